/**
 * PCG64 (PCG XSL-RR 128/64, Melissa O'Neill, "PCG: A Family of Simple Fast
 * Space-Efficient Statistically Good Algorithms for Random Number Generation", 2014),
 * seeded exactly as numpy's `numpy.random.PCG64(SeedSequence)`:
 * four uint64 words from `generate_state(4)` give initstate (words 0,1) and initseq
 * (words 2,3); then pcg_setseq_128_srandom_r: state = 0, inc = initseq << 1 | 1, step,
 * state += initstate, step. Each draw steps first, then outputs the new state.
 *
 * The 128-bit state is kept as eight 16-bit limbs in plain numbers so that every partial
 * product (< 2^32) and every column sum (< 2^36) is exact in a double; no BigInt or
 * allocation on the hot path.
 */
import { type SeedEntropy, SeedSequence } from './seed-sequence.js';

/** PCG's default 128-bit LCG multiplier 0x2360ED051FC65DA44385DF649FCCF645, 16-bit limbs, low first. */
const MULT = [0xf645, 0x9fcc, 0xdf64, 0x4385, 0x5da4, 0x1fc6, 0xed05, 0x2360] as const;
const TWO16 = 65536;

export interface PCG64State {
  /** 128-bit LCG state. */
  state: bigint;
  /** 128-bit increment (odd). */
  inc: bigint;
  hasUint32: boolean;
  uinteger: number;
}

function toLimbs(x: bigint, out: Float64Array): void {
  for (let i = 0; i < 8; i++) {
    out[i] = Number(x & 0xffffn);
    x >>= 16n;
  }
}

function fromLimbs(l: Float64Array): bigint {
  let x = 0n;
  for (let i = 7; i >= 0; i--) x = (x << 16n) | BigInt(l[i]);
  return x;
}

export class PCG64 {
  private readonly s = new Float64Array(8);
  private readonly inc = new Float64Array(8);
  private readonly acc = new Float64Array(8);
  /** Upper 32-bit half of the last 64-bit draw, kept for the next `nextUint32` (numpy's has_uint32). */
  private hasUint32 = false;
  private uinteger = 0;
  /** High and low 32-bit halves of the last `nextUint64` output (read after `next64()`). */
  hi = 0;
  lo = 0;

  /**
   * `new PCG64(seed)` is numpy's `PCG64(seed)`: an integer (or list) seed goes through
   * `SeedSequence`; a SeedSequence is used as given.
   */
  constructor(seed: SeedEntropy | SeedSequence) {
    const seq = seed instanceof SeedSequence ? seed : new SeedSequence(seed);
    const w = seq.generateState(4);
    const initstate = (w[0] << 64n) | w[1];
    const initseq = (w[2] << 64n) | w[3];
    const mask = (1n << 128n) - 1n;
    toLimbs(((initseq << 1n) | 1n) & mask, this.inc);
    this.s.fill(0);
    this.step();
    toLimbs((fromLimbs(this.s) + initstate) & mask, this.s);
    this.step();
  }

  /** state = state * MULT + inc (mod 2^128). */
  private step(): void {
    const s = this.s;
    const acc = this.acc;
    for (let k = 0; k < 8; k++) {
      let sum = 0;
      for (let i = 0; i <= k; i++) sum += s[i] * MULT[k - i];
      acc[k] = sum;
    }
    let carry = 0;
    const inc = this.inc;
    for (let k = 0; k < 8; k++) {
      const t = acc[k] + inc[k] + carry;
      const q = Math.floor(t / TWO16);
      s[k] = t - q * TWO16;
      carry = q;
    }
  }

  /** Advances and leaves the 64-bit output in `hi`/`lo` (unsigned 32-bit halves). */
  next64(): void {
    this.step();
    const s = this.s;
    const xh = (((s[7] * TWO16 + s[6]) ^ (s[3] * TWO16 + s[2])) >>> 0) as number;
    const xl = (((s[5] * TWO16 + s[4]) ^ (s[1] * TWO16 + s[0])) >>> 0) as number;
    const rot = s[7] >>> 10; // top six bits of the 128-bit state
    if (rot === 0) {
      this.hi = xh;
      this.lo = xl;
    } else if (rot < 32) {
      this.hi = ((xh >>> rot) | (xl << (32 - rot))) >>> 0;
      this.lo = ((xl >>> rot) | (xh << (32 - rot))) >>> 0;
    } else if (rot === 32) {
      this.hi = xl;
      this.lo = xh;
    } else {
      const r = rot - 32;
      this.hi = ((xl >>> r) | (xh << (32 - r))) >>> 0;
      this.lo = ((xh >>> r) | (xl << (32 - r))) >>> 0;
    }
  }

  /** The next 64-bit output as a BigInt (convenient, allocates; use `next64` in hot loops). */
  nextUint64(): bigint {
    this.next64();
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** numpy's `next_uint32`: the low half of a fresh 64-bit draw, then its high half. */
  nextUint32(): number {
    if (this.hasUint32) {
      this.hasUint32 = false;
      return this.uinteger;
    }
    this.next64();
    this.hasUint32 = true;
    this.uinteger = this.hi;
    return this.lo;
  }

  /** numpy's `next_double`: (u64 >> 11) * 2^-53, in [0, 1). */
  nextDouble(): number {
    this.next64();
    return (this.hi * 2097152 + (this.lo >>> 11)) * 1.1102230246251565e-16;
  }

  getState(): PCG64State {
    return {
      state: fromLimbs(this.s),
      inc: fromLimbs(this.inc),
      hasUint32: this.hasUint32,
      uinteger: this.uinteger,
    };
  }

  setState(st: PCG64State): void {
    toLimbs(st.state, this.s);
    toLimbs(st.inc, this.inc);
    this.hasUint32 = st.hasUint32;
    this.uinteger = st.uinteger;
  }
}

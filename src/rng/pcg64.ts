/**
 * PCG64 (PCG XSL-RR 128/64, Melissa O'Neill, "PCG: A Family of Simple Fast
 * Space-Efficient Statistically Good Algorithms for Random Number Generation", 2014),
 * seeded exactly as numpy's `numpy.random.PCG64(SeedSequence)`:
 * four uint64 words from `generate_state(4)` give initstate (words 0,1) and initseq
 * (words 2,3); then pcg_setseq_128_srandom_r: state = 0, inc = initseq << 1 | 1, step,
 * state += initstate, step. Each draw steps first, then outputs the new state.
 *
 * The step state = state * MULT + inc (mod 2^128) runs on plain doubles, exactly: the
 * state is held as four 32-bit words and the constant multiplier as eight 16-bit limbs, so
 * every partial product is below 2^48 and every 16-bit column (at most four products, the
 * increment limb and a carry) stays below 2^51. Products that land at or above bit 128 are
 * never formed (20 products instead of the 64 of a full 128x128 multiply). No BigInt and no
 * allocation on the hot path.
 */
import { type SeedEntropy, SeedSequence } from './seed-sequence.js';

/**
 * PCG's default 128-bit LCG multiplier 0x2360ED051FC65DA44385DF649FCCF645 (pcg_random.hpp,
 * PCG_DEFAULT_MULTIPLIER_128), as 16-bit limbs, low first; written out in `step`.
 */
const M0 = 0xf645;
const M1 = 0x9fcc;
const M2 = 0xdf64;
const M3 = 0x4385;
const M4 = 0x5da4;
const M5 = 0x1fc6;
const M6 = 0xed05;
const M7 = 0x2360;
const TWO16 = 65536;
const INV_TWO16 = 1 / 65536; // exact: floor(t * 2^-16) is the 16-bit carry of t
const MASK128 = (1n << 128n) - 1n;

export interface PCG64State {
  /** 128-bit LCG state. */
  state: bigint;
  /** 128-bit increment (odd). */
  inc: bigint;
  hasUint32: boolean;
  uinteger: number;
}

export class PCG64 {
  /** State, four 32-bit words, low first. */
  private w0 = 0;
  private w1 = 0;
  private w2 = 0;
  private w3 = 0;
  /** Increment, eight 16-bit limbs, low first. */
  private i0 = 0;
  private i1 = 0;
  private i2 = 0;
  private i3 = 0;
  private i4 = 0;
  private i5 = 0;
  private i6 = 0;
  private i7 = 0;
  /** Upper 32-bit half of the last 64-bit draw, kept for the next `nextUint32` (numpy's has_uint32). */
  private hasUint32 = false;
  private uinteger = 0;
  /** High and low 32-bit halves of the last `nextUint64` output (read after `next64()`). */
  hi = 0;
  lo = 0;

  /**
   * `new PCG64(seed)` is numpy's `PCG64(seed)`: an integer (or list) seed goes through
   * `SeedSequence`; a SeedSequence is used as given (and kept, for `spawn`).
   */
  readonly seedSequence: SeedSequence;

  constructor(seed: SeedEntropy | SeedSequence) {
    const seq = seed instanceof SeedSequence ? seed : new SeedSequence(seed);
    this.seedSequence = seq;
    const w = seq.generateState(4);
    const initstate = (w[0] << 64n) | w[1];
    const initseq = (w[2] << 64n) | w[3];
    this.setRaw(0n, ((initseq << 1n) | 1n) & MASK128);
    this.step();
    this.setRaw((this.rawState() + initstate) & MASK128, this.rawInc());
    this.step();
  }

  /** state = state * MULT + inc (mod 2^128), column by column in 16-bit limbs. */
  private step(): void {
    const w0 = this.w0;
    const w1 = this.w1;
    const w2 = this.w2;
    const w3 = this.w3;
    // Column k collects w[i] * M[j] with 2i + j = k (weight 2^(16k)), plus inc limb k and
    // the carry from column k - 1.
    let t = w0 * M0 + this.i0;
    let c = Math.floor(t * INV_TWO16);
    const n0 = t - c * TWO16;
    t = w0 * M1 + this.i1 + c;
    c = Math.floor(t * INV_TWO16);
    const n1 = t - c * TWO16;
    t = w0 * M2 + w1 * M0 + this.i2 + c;
    c = Math.floor(t * INV_TWO16);
    const n2 = t - c * TWO16;
    t = w0 * M3 + w1 * M1 + this.i3 + c;
    c = Math.floor(t * INV_TWO16);
    const n3 = t - c * TWO16;
    t = w0 * M4 + w1 * M2 + w2 * M0 + this.i4 + c;
    c = Math.floor(t * INV_TWO16);
    const n4 = t - c * TWO16;
    t = w0 * M5 + w1 * M3 + w2 * M1 + this.i5 + c;
    c = Math.floor(t * INV_TWO16);
    const n5 = t - c * TWO16;
    t = w0 * M6 + w1 * M4 + w2 * M2 + w3 * M0 + this.i6 + c;
    c = Math.floor(t * INV_TWO16);
    const n6 = t - c * TWO16;
    t = w0 * M7 + w1 * M5 + w2 * M3 + w3 * M1 + this.i7 + c;
    c = Math.floor(t * INV_TWO16);
    const n7 = t - c * TWO16; // the carry out of bit 128 is dropped (mod 2^128)
    this.w0 = n0 + n1 * TWO16;
    this.w1 = n2 + n3 * TWO16;
    this.w2 = n4 + n5 * TWO16;
    this.w3 = n6 + n7 * TWO16;
  }

  /** Advances and leaves the 64-bit output in `hi`/`lo` (unsigned 32-bit halves). */
  next64(): void {
    this.step();
    // XSL-RR: (high 64 bits XOR low 64 bits) rotated right by the top six bits of the state.
    const xh = this.w3 ^ this.w1;
    const xl = this.w2 ^ this.w0;
    const rot = this.w3 >>> 26;
    if (rot === 0) {
      this.hi = xh >>> 0;
      this.lo = xl >>> 0;
    } else if (rot < 32) {
      this.hi = ((xh >>> rot) | (xl << (32 - rot))) >>> 0;
      this.lo = ((xl >>> rot) | (xh << (32 - rot))) >>> 0;
    } else if (rot === 32) {
      this.hi = xl >>> 0;
      this.lo = xh >>> 0;
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
      state: this.rawState(),
      inc: this.rawInc(),
      hasUint32: this.hasUint32,
      uinteger: this.uinteger,
    };
  }

  setState(st: PCG64State): void {
    this.setRaw(st.state & MASK128, st.inc & MASK128);
    this.hasUint32 = st.hasUint32;
    this.uinteger = st.uinteger >>> 0;
  }

  private rawState(): bigint {
    return (BigInt(this.w3) << 96n) | (BigInt(this.w2) << 64n) | (BigInt(this.w1) << 32n) | BigInt(this.w0);
  }

  private rawInc(): bigint {
    const l = [this.i0, this.i1, this.i2, this.i3, this.i4, this.i5, this.i6, this.i7];
    let x = 0n;
    for (let k = 7; k >= 0; k--) x = (x << 16n) | BigInt(l[k]);
    return x;
  }

  private setRaw(state: bigint, inc: bigint): void {
    const word = (k: number): number => Number((state >> BigInt(32 * k)) & 0xffffffffn);
    this.w0 = word(0);
    this.w1 = word(1);
    this.w2 = word(2);
    this.w3 = word(3);
    const limb = (k: number): number => Number((inc >> BigInt(16 * k)) & 0xffffn);
    this.i0 = limb(0);
    this.i1 = limb(1);
    this.i2 = limb(2);
    this.i3 = limb(3);
    this.i4 = limb(4);
    this.i5 = limb(5);
    this.i6 = limb(6);
    this.i7 = limb(7);
  }
}

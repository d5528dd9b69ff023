/**
 * numpy's `Generator` distributions over a PCG64 bit stream, reproduced draw for draw:
 * `new Generator(seed)` is `numpy.random.Generator(numpy.random.PCG64(SeedSequence(seed)))`,
 * which is what Gymnasium's `np_random(seed)` builds. Each method names the numpy routine
 * (numpy/random/_generator.pyx, numpy/random/src/distributions/distributions.c) whose
 * consumption of the bit stream it follows, so that the same seed gives the same values.
 */
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../errors.js';
import { PCG64 } from './pcg64.js';
import { type SeedEntropy, SeedSequence } from './seed-sequence.js';
import {
  FE,
  FI,
  KE,
  KI,
  WE,
  WI,
  ZIGGURAT_EXP_R,
  ZIGGURAT_NOR_INV_R,
  ZIGGURAT_NOR_R,
} from './ziggurat-tables.js';

// The ziggurat tables as typed arrays: indexed reads on the hot path stay monomorphic.
const ki = Float64Array.from(KI);
const wi = Float64Array.from(WI);
const fi = Float64Array.from(FI);
const ke = Float64Array.from(KE);
const we = Float64Array.from(WE);
const fe = Float64Array.from(FE);

export class Generator {
  readonly bitGenerator: PCG64;

  constructor(seed: SeedEntropy | SeedSequence | PCG64) {
    this.bitGenerator = seed instanceof PCG64 ? seed : new PCG64(seed);
  }

  /** `Generator(PCG64(seq))` for a given SeedSequence (e.g. one of `seq.spawn(n)`). */
  static fromSeedSequence(seq: SeedSequence): Generator {
    return new Generator(new PCG64(seq));
  }

  /**
   * numpy's `Generator.spawn(n)`: `n` independent child generators whose seed sequences
   * extend this one's spawn key. Calling it again gives further, different children.
   */
  spawn(n: number): Generator[] {
    return this.bitGenerator.seedSequence.spawn(n).map((s) => Generator.fromSeedSequence(s));
  }

  /** `Generator.random()`: (u64 >> 11) * 2^-53 in [0, 1). */
  random(): number {
    return this.bitGenerator.nextDouble();
  }

  /** `Generator.uniform(low, high)`: low + (high - low) * random() (numpy's random_uniform). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.bitGenerator.nextDouble();
  }

  /** Fills `out` with `uniform(low[i], high[i])` in order, as numpy's vectorised call does. */
  uniformInto(
    out: Float64Array | Float32Array | number[],
    low: ArrayLike<number>,
    high: ArrayLike<number>,
  ): void {
    for (let i = 0; i < out.length; i++)
      out[i] = low[i] + (high[i] - low[i]) * this.bitGenerator.nextDouble();
  }

  /**
   * `Generator.standard_normal()`: numpy's random_standard_normal, the 256-layer ziggurat of
   * Marsaglia & Tsang ("The Ziggurat Method for Generating Random Variables", 2000).
   *
   * One 64-bit word per try: bits 0-7 pick the layer, bit 8 the sign, bits 9-60 a 52-bit
   * magnitude `rabs`; x = rabs * wi[layer]. Inside the layer's core (rabs < ki[layer]) x is
   * returned at once (about 99% of draws). Otherwise layer 0 samples the tail beyond R with
   * Marsaglia's exponential method (two doubles per try, through log1p(-u) as numpy does)
   * and any other layer accepts x when a uniform point of its wedge lies under the density;
   * a rejected try starts over with a fresh word.
   */
  standardNormal(): number {
    const bg = this.bitGenerator;
    for (;;) {
      bg.next64();
      const hi = bg.hi;
      const lo = bg.lo;
      const idx = lo & 0xff;
      // rabs = (u64 >> 9) & (2^52 - 1): 23 bits from the low word, 29 from the high word.
      const rabs = (hi & 0x1fffffff) * 8388608 + (lo >>> 9);
      let x = rabs * wi[idx];
      if ((lo & 0x100) !== 0) x = -x;
      if (rabs < ki[idx]) return x;
      if (idx === 0) {
        for (;;) {
          const xx = -ZIGGURAT_NOR_INV_R * Math.log1p(-bg.nextDouble());
          const yy = -Math.log1p(-bg.nextDouble());
          // The tail's sign is bit 8 of rabs (bit 17 of the word), as in numpy.
          if (yy + yy > xx * xx) return (lo & 0x20000) !== 0 ? -(ZIGGURAT_NOR_R + xx) : ZIGGURAT_NOR_R + xx;
        }
      }
      if ((fi[idx - 1] - fi[idx]) * bg.nextDouble() + fi[idx] < Math.exp(-0.5 * x * x)) return x;
    }
  }

  /** `Generator.normal(loc, scale)`: loc + scale * standard_normal() (numpy's random_normal). */
  normal(loc = 0, scale = 1): number {
    return loc + scale * this.standardNormal();
  }

  /**
   * Fills `out` with `normal(loc, scale)` draws in order, as numpy's
   * `normal(loc, scale, size=out.length)`; `loc` and `scale` may be per-element arrays.
   */
  normalInto(
    out: Float64Array | Float32Array | number[],
    loc: number | ArrayLike<number> = 0,
    scale: number | ArrayLike<number> = 1,
  ): void {
    if (typeof loc === 'number' && typeof scale === 'number') {
      for (let i = 0; i < out.length; i++) out[i] = loc + scale * this.standardNormal();
      return;
    }
    for (let i = 0; i < out.length; i++) {
      const m = typeof loc === 'number' ? loc : loc[i];
      const s = typeof scale === 'number' ? scale : scale[i];
      out[i] = m + s * this.standardNormal();
    }
  }

  /**
   * `Generator.standard_exponential()` (method 'zig', the default): numpy's
   * random_standard_exponential, the 256-layer exponential ziggurat of Marsaglia & Tsang.
   *
   * One 64-bit word per try: bits 3-10 pick the layer and bits 11-63 give a 53-bit
   * magnitude `ri`; x = ri * we[layer]. Inside the layer's core (ri < ke[layer]) x is
   * returned at once. Layer 0 beyond its core returns R - log1p(-u), the memoryless tail;
   * any other layer accepts x when a uniform point of its wedge lies under exp(-x), and a
   * rejected try starts over.
   */
  standardExponential(): number {
    const bg = this.bitGenerator;
    for (;;) {
      bg.next64();
      const idx = (bg.lo >>> 3) & 0xff;
      const ri = bg.hi * 2097152 + (bg.lo >>> 11); // u64 >> 11, exact below 2^53
      const x = ri * we[idx];
      if (ri < ke[idx]) return x;
      if (idx === 0) return ZIGGURAT_EXP_R - Math.log1p(-bg.nextDouble());
      if ((fe[idx - 1] - fe[idx]) * bg.nextDouble() + fe[idx] < Math.exp(-x)) return x;
    }
  }

  /** `Generator.exponential(scale)`: scale * standard_exponential() (numpy's random_exponential). */
  exponential(scale = 1): number {
    return scale * this.standardExponential();
  }

  /**
   * `Generator.integers(low, high)` with numpy's default int64 dtype and `endpoint=False`:
   * uniform on [low, high). Ranges up to 2^32 use Lemire's multiply-shift rejection on the
   * buffered 32-bit stream (numpy's `buffered_bounded_lemire_uint32`); a range of one
   * value draws nothing. Wider ranges use the 64-bit Lemire method.
   */
  integers(low: number, high?: number): number {
    if (high === undefined) {
      high = low;
      low = 0;
    }
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) {
      throw new ValidationError(`integers() bounds must be safe integers, got [${low}, ${high})`, {
        field: 'high',
      });
    }
    if (high <= low) {
      throw new ValidationError(`integers(): high (${high}) must be greater than low (${low})`, {
        field: 'high',
      });
    }
    const rng = high - low - 1; // inclusive span, as numpy's `rng`
    if (rng === 0) return low;
    if (rng <= 0xffffffff) return low + this.boundedLemire32(rng);
    return low + Number(this.boundedLemire64(BigInt(rng)));
  }

  /**
   * numpy's `buffered_bounded_lemire_uint32` (Lemire, "Fast Random Integer Generation in an
   * Interval", 2019) on the bit generator's buffered 32-bit stream: m = u32 * (rng + 1); the
   * high word is the result unless the low word falls below (2^32 - rng - 1) mod (rng + 1).
   */
  private boundedLemire32(rng: number): number {
    const bg = this.bitGenerator;
    if (rng === 0xffffffff) return bg.nextUint32();
    const rngExcl = rng + 1;
    let hi = mulHi32(bg.nextUint32(), rngExcl);
    let lo = mulLoRest;
    if (lo < rngExcl) {
      const threshold = (0xffffffff - rng) % rngExcl;
      while (lo < threshold) {
        hi = mulHi32(bg.nextUint32(), rngExcl);
        lo = mulLoRest;
      }
    }
    return hi;
  }

  private boundedLemire64(rng: bigint): bigint {
    const bg = this.bitGenerator;
    const MASK = (1n << 64n) - 1n;
    if (rng === MASK) return bg.nextUint64();
    const rngExcl = rng + 1n;
    let m = bg.nextUint64() * rngExcl;
    let leftover = m & MASK;
    if (leftover < rngExcl) {
      const threshold = (MASK - rng) % rngExcl;
      while (leftover < threshold) {
        m = bg.nextUint64() * rngExcl;
        leftover = m & MASK;
      }
    }
    return m >> 64n;
  }

  /**
   * numpy's `Generator.choice(len(p), p=p)` for one draw: the index of the first entry of
   * cdf = cumsum(p) / sum(p) that exceeds one `random()` (searchsorted, side='right').
   * `p` must be non-negative and sum to 1 within sqrt(machine epsilon), as numpy checks
   * (a Float32Array gets float32's epsilon, as a float32 array does in numpy).
   */
  choiceIndex(p: ArrayLike<number>): number {
    const n = p.length;
    if (n === 0) throw new ValidationError('choiceIndex(): p must not be empty', { field: 'p' });
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (!(p[i] >= 0)) {
        throw new ValidationError(`choiceIndex(): probabilities must be non-negative, got ${p[i]}`, {
          field: 'p',
        });
      }
      total += p[i];
    }
    // numpy widens its tolerance to sqrt(eps) of p's own dtype when that is float32.
    const atol = p instanceof Float32Array ? CHOICE_ATOL_F32 : CHOICE_ATOL;
    if (Math.abs(total - 1) > atol) {
      throw new ValidationError(`choiceIndex(): probabilities must sum to 1, got ${total}`, { field: 'p' });
    }
    const u = this.random();
    let c = 0;
    for (let i = 0; i < n - 1; i++) {
      c += p[i];
      if (u < c / total) return i;
    }
    return n - 1;
  }
}

/** numpy's tolerance on sum(p) in `choice`: sqrt of the machine epsilon of float64 / float32. */
const CHOICE_ATOL = Math.sqrt(Number.EPSILON);
const CHOICE_ATOL_F32 = Math.sqrt(2 ** -23);

/** Low 32 bits of the last `mulHi32` product (a module slot, so the hot path allocates nothing). */
let mulLoRest = 0;

/** High 32 bits of the exact 64-bit product of two uint32 values; the low 32 go to `mulLoRest`. */
function mulHi32(a: number, b: number): number {
  const ah = a >>> 16;
  const al = a & 0xffff;
  const x = ah * b; // < 2^48, exact
  const y = al * b; // < 2^48, exact
  const xHi = Math.floor(x / 65536);
  const xLo = x - xHi * 65536;
  const rest = xLo * 65536 + y; // < 2^49, exact
  const restHi = Math.floor(rest / 4294967296);
  mulLoRest = rest - restHi * 4294967296;
  return xHi + restHi;
}

/** Gymnasium's `np_random(seed)`: a Generator and the seed it used (fresh OS entropy when none is given). */
export function npRandom(seed?: number): { rng: Generator; seed: number | bigint } {
  if (seed !== undefined) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new ValidationError(`seed must be a non-negative integer, got ${seed}`, { field: 'seed' });
    }
    return { rng: new Generator(new SeedSequence(seed)), seed };
  }
  const entropy = freshEntropy();
  return { rng: new Generator(new SeedSequence(entropy)), seed: entropy };
}

/** 128 bits of OS entropy, as numpy's SeedSequence() without a seed. */
export function freshEntropy(): bigint {
  const b = randomBytes(16);
  return (b.readBigUInt64LE(0) << 64n) | b.readBigUInt64LE(8);
}

/**
 * numpy's `Generator` distributions over a PCG64 bit stream, reproduced draw for draw:
 * `new Generator(seed)` is `numpy.random.Generator(numpy.random.PCG64(SeedSequence(seed)))`,
 * which is what Gymnasium's `np_random(seed)` builds.
 */
import { randomBytes } from 'node:crypto';
import { PCG64 } from './pcg64.js';
import { type SeedEntropy, SeedSequence } from './seed-sequence.js';

export class Generator {
  readonly bitGenerator: PCG64;

  constructor(seed: SeedEntropy | SeedSequence | PCG64) {
    this.bitGenerator = seed instanceof PCG64 ? seed : new PCG64(seed);
  }

  /** `Generator.random()`: (u64 >> 11) * 2^-53 in [0, 1). */
  random(): number {
    return this.bitGenerator.nextDouble();
  }

  /** `Generator.uniform(low, high)`: low + (high - low) * random(). */
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
      throw new RangeError(`integers() bounds must be safe integers, got [${low}, ${high})`);
    }
    if (high <= low) throw new RangeError(`integers(): high (${high}) must be greater than low (${low})`);
    const rng = high - low - 1; // inclusive span, as numpy's `rng`
    if (rng === 0) return low;
    if (rng <= 0xffffffff) return low + this.boundedLemire32(rng);
    return low + Number(this.boundedLemire64(BigInt(rng)));
  }

  private boundedLemire32(rng: number): number {
    const bg = this.bitGenerator;
    if (rng === 0xffffffff) return bg.nextUint32();
    const rngExcl = rng + 1;
    let [hi, lo] = mul32x32(bg.nextUint32(), rngExcl);
    if (lo < rngExcl) {
      const threshold = (0xffffffff - rng) % rngExcl;
      while (lo < threshold) [hi, lo] = mul32x32(bg.nextUint32(), rngExcl);
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

  /** Picks an index with probability proportional to `p` (which must sum to ~1), using one `random()` draw. */
  choiceIndex(p: ArrayLike<number>): number {
    const u = this.random();
    let c = 0;
    for (let i = 0; i < p.length; i++) {
      c += p[i];
      if (u < c) return i;
    }
    return p.length - 1;
  }
}

/** Exact 64-bit product of two uint32 values as [high32, low32]. */
function mul32x32(a: number, b: number): [number, number] {
  const ah = a >>> 16;
  const al = a & 0xffff;
  const x = ah * b; // < 2^48, exact
  const y = al * b; // < 2^48, exact
  const xHi = Math.floor(x / 65536);
  const xLo = x - xHi * 65536;
  const rest = xLo * 65536 + y; // < 2^49, exact
  const restHi = Math.floor(rest / 4294967296);
  return [xHi + restHi, rest - restHi * 4294967296];
}

/** Gymnasium's `np_random(seed)`: a Generator and the seed it used (fresh OS entropy when none is given). */
export function npRandom(seed?: number): { rng: Generator; seed: number | bigint } {
  if (seed !== undefined) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
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

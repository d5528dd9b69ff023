/**
 * numpy's `SeedSequence` (numpy/random/bit_generator.pyx), reproduced word for word so
 * that `new SeedSequence(s).generateState(4)` equals
 * `numpy.random.SeedSequence(s).generate_state(4, numpy.uint64)`.
 *
 * The algorithm is Melissa O'Neill's seed_seq hash ("Developing a seed_seq alternative",
 * pcg-random.org, 2015) with numpy's constants: an entropy pool of four uint32 words,
 * mixed with two multiplicative hashes.
 */
import { ValidationError } from '../errors.js';

const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const XSHIFT = 16;
const POOL_SIZE = 4;

/** Entropy accepted by SeedSequence: a non-negative integer or a list of them. */
export type SeedEntropy = number | bigint | ReadonlyArray<number | bigint>;

/** Splits a non-negative integer into little-endian uint32 words (0 → [0]), as numpy does. */
function coerceToUint32Words(value: number | bigint): number[] {
  let v: bigint;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ValidationError(`seed must be a non-negative safe integer, got ${value}`, { field: 'seed' });
    }
    v = BigInt(value);
  } else {
    if (value < 0n) throw new ValidationError(`seed must be non-negative, got ${value}`, { field: 'seed' });
    v = value;
  }
  if (v === 0n) return [0];
  const words: number[] = [];
  while (v > 0n) {
    words.push(Number(v & 0xffffffffn));
    v >>= 32n;
  }
  return words;
}

function coerceEntropy(entropy: SeedEntropy): number[] {
  if (Array.isArray(entropy)) {
    return (entropy as ReadonlyArray<number | bigint>).flatMap((e) => coerceToUint32Words(e));
  }
  return coerceToUint32Words(entropy as number | bigint);
}

export class SeedSequence {
  readonly entropy: SeedEntropy;
  readonly spawnKey: readonly (number | bigint)[];
  /** The mixed entropy pool (four uint32 words). */
  readonly pool: Uint32Array;
  /** How many children `spawn` has handed out; the next child's key ends with this number. */
  nChildrenSpawned: number;

  constructor(entropy: SeedEntropy, spawnKey: readonly (number | bigint)[] = [], nChildrenSpawned = 0) {
    this.entropy = entropy;
    this.spawnKey = [...spawnKey];
    this.nChildrenSpawned = nChildrenSpawned;
    this.pool = new Uint32Array(POOL_SIZE);
    this.mixEntropy(this.assembledEntropy());
  }

  private assembledEntropy(): number[] {
    const run = coerceEntropy(this.entropy);
    const spawn = this.spawnKey.flatMap((k) => coerceToUint32Words(k));
    if (spawn.length > 0 && run.length < POOL_SIZE) {
      while (run.length < POOL_SIZE) run.push(0);
    }
    return run.concat(spawn);
  }

  private mixEntropy(entropy: number[]): void {
    let hashConst = INIT_A;
    const hashmix = (value: number): number => {
      value = (value ^ hashConst) >>> 0;
      hashConst = Math.imul(hashConst, MULT_A) >>> 0;
      value = Math.imul(value, hashConst) >>> 0;
      return (value ^ (value >>> XSHIFT)) >>> 0;
    };
    const mix = (x: number, y: number): number => {
      let r = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
      r = (r ^ (r >>> XSHIFT)) >>> 0;
      return r;
    };
    const pool = this.pool;
    for (let i = 0; i < POOL_SIZE; i++) pool[i] = hashmix(i < entropy.length ? entropy[i] : 0);
    for (let src = 0; src < POOL_SIZE; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) {
        if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
      }
    }
    for (let src = POOL_SIZE; src < entropy.length; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst], hashmix(entropy[src]));
    }
  }

  /** `generate_state(nWords, uint32)`. */
  generateState32(nWords: number): Uint32Array {
    let hashConst = INIT_B;
    const out = new Uint32Array(nWords);
    for (let i = 0; i < nWords; i++) {
      let v = (this.pool[i % POOL_SIZE] ^ hashConst) >>> 0;
      hashConst = Math.imul(hashConst, MULT_B) >>> 0;
      v = Math.imul(v, hashConst) >>> 0;
      out[i] = (v ^ (v >>> XSHIFT)) >>> 0;
    }
    return out;
  }

  /** `generate_state(nWords, uint64)`: pairs of uint32 words, little-endian. */
  generateState(nWords: number): BigUint64Array {
    const w = this.generateState32(nWords * 2);
    const out = new BigUint64Array(nWords);
    for (let i = 0; i < nWords; i++) out[i] = (BigInt(w[2 * i + 1]) << 32n) | BigInt(w[2 * i]);
    return out;
  }

  /**
   * numpy's `SeedSequence.spawn(n)`: `n` children with spawn keys this key + (i,) for the
   * next `n` values of i, so repeated calls never hand out the same child twice.
   */
  spawn(n: number): SeedSequence[] {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new ValidationError(`spawn(): n must be a non-negative integer, got ${n}`, { field: 'n' });
    }
    const children: SeedSequence[] = [];
    for (let i = 0; i < n; i++) {
      children.push(new SeedSequence(this.entropy, [...this.spawnKey, this.nChildrenSpawned + i]));
    }
    this.nChildrenSpawned += n;
    return children;
  }
}

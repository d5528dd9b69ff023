/**
 * Loading of the numpy known answers in test/fixtures/rng (written by
 * scripts/fixtures/rng_fixtures.py with numpy 2.4): big integers come as decimal strings.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SeedEntropy } from '../../src/rng/index.js';

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/rng/${name}.json`, import.meta.url), 'utf8')) as T;
}

export type JsonInt = number | string;
export type JsonSeed = JsonInt | JsonInt[];

export function toInt(v: JsonInt): number | bigint {
  return typeof v === 'string' ? BigInt(v) : v;
}

export function toSeed(s: JsonSeed): SeedEntropy {
  return Array.isArray(s) ? s.map(toInt) : toInt(s);
}

export function seedLabel(s: JsonSeed): string {
  return JSON.stringify(s);
}

/** sha256 of the little-endian bytes of a typed array (the fixtures hash numpy's `tobytes()`). */
export function sha256(a: Float64Array | BigUint64Array): string {
  return createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');
}

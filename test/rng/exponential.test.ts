// Known answers: numpy 2.4's Generator.standard_exponential (default method 'zig', the
// 256-layer ziggurat of random_standard_exponential) and exponential(scale);
// test/fixtures/rng/exponential.json, written by scripts/fixtures/rng_fixtures.py.
import { describe, expect, it } from 'vitest';
import { Generator } from '../../src/rng/index.js';
import { FE, KE, WE, ZIGGURAT_EXP_R } from '../../src/rng/ziggurat-tables.js';
import { type JsonSeed, loadFixture, seedLabel, sha256, toSeed } from './fixtures.js';

interface Fixture {
  streams: {
    seed: JsonSeed;
    first: number[];
    count: number;
    block: number;
    block_sha256: string[];
    tail: [number, number][];
  }[];
  exponential_scale: { seed: number; scale: number; values: number[] };
  forced: { case: string; state: string; inc: string; value: number; state_after: string }[];
}

const fx = loadFixture<Fixture>('exponential');

describe('standardExponential matches numpy bit for bit', () => {
  for (const s of fx.streams) {
    it(`seed ${seedLabel(s.seed)}: ${s.count} draws`, () => {
      const g = new Generator(toSeed(s.seed));
      const x = new Float64Array(s.count);
      for (let i = 0; i < s.count; i++) x[i] = g.standardExponential();
      expect(Array.from(x.subarray(0, s.first.length))).toEqual(s.first);
      expect(s.tail.map(([i]) => [i, x[i]])).toEqual(s.tail);
      const blocks = s.block_sha256.map((_, b) => sha256(x.subarray(b * s.block, (b + 1) * s.block)));
      expect(blocks).toEqual(s.block_sha256);
      expect(Math.min(...x)).toBeGreaterThanOrEqual(0);
    });
  }

  it('follows numpy at chosen words: core edges, wedges, the tail (state after included)', () => {
    // numpy's PCG64 was set so that its next two words were chosen; the state after the
    // draw shows how many words numpy consumed.
    const g = new Generator(0);
    const got = fx.forced.map((c) => {
      g.bitGenerator.setState({ state: BigInt(c.state), inc: BigInt(c.inc), hasUint32: false, uinteger: 0 });
      const value = g.standardExponential();
      return { case: c.case, value, after: g.bitGenerator.getState().state.toString() };
    });
    expect(got).toEqual(fx.forced.map((c) => ({ case: c.case, value: c.value, after: c.state_after })));
    expect(fx.forced.some((c) => c.case.endsWith('tail') && c.value > 40)).toBe(true);
  });

  it('exponential(scale) is scale * standard_exponential()', () => {
    const c = fx.exponential_scale;
    const g = new Generator(c.seed);
    expect(c.values.map(() => g.exponential(c.scale))).toEqual(c.values);
  });
});

describe('exponential ziggurat tables', () => {
  // Structural checks, independent of numpy: x[i] = 2^53 we[i] are the layer edges, every
  // layer has area V = (R + 1) exp(-R), the base strip plus tail too.
  const x = WE.map((w) => w * 2 ** 53);
  const V = (ZIGGURAT_EXP_R + 1) * Math.exp(-ZIGGURAT_EXP_R);

  it('has 256 entries each and the base layer at R', () => {
    expect([KE.length, WE.length, FE.length]).toEqual([256, 256, 256]);
    expect(x[255]).toBe(ZIGGURAT_EXP_R);
    expect(FE[0]).toBe(1);
    expect(KE[1]).toBe(0);
  });

  it('edges increase, densities decrease, and every layer has area V', () => {
    for (let i = 2; i < 256; i++) expect(x[i]).toBeGreaterThan(x[i - 1]);
    for (let i = 1; i < 256; i++) expect(Math.abs(FE[i] - Math.exp(-x[i]))).toBeLessThan(1e-15);
    for (let i = 1; i < 255; i++) expect(Math.abs(x[i + 1] * (FE[i] - FE[i + 1]) - V)).toBeLessThan(1e-15);
    expect(Math.abs(x[0] * FE[255] - V)).toBeLessThan(1e-17);
  });

  it('ke[i] is 2^53 x[i-1] / x[i] truncated to an even integer', () => {
    for (let i = 2; i < 256; i++) {
      const exact = (x[i - 1] / x[i]) * 2 ** 53;
      expect(KE[i] % 2).toBe(0);
      expect(exact - KE[i]).toBeGreaterThan(-2); // x[] are the edges rounded to doubles
      expect(exact - KE[i]).toBeLessThan(4);
    }
  });

  it('draws have the moments of a unit exponential (1e5 draws, 5 sigma bounds)', () => {
    const g = new Generator(2027);
    const n = 100_000;
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = g.standardExponential();
      s1 += v;
      s2 += v * v;
    }
    expect(Math.abs(s1 / n - 1)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 2)).toBeLessThan(5 * Math.sqrt(20 / n));
  });
});

// Known answers: numpy 2.4's Generator.standard_normal / normal (the 256-layer ziggurat of
// random_standard_normal); test/fixtures/rng/normal.json, written by
// scripts/fixtures/rng_fixtures.py. Six seeds x 20 000 draws are compared bit for bit
// (sha256 per block of 5000, the first 200 values and every tail draw explicitly).
import { describe, expect, it } from 'vitest';
import { Generator } from '../../src/rng/index.js';
import { FI, KI, WI, ZIGGURAT_NOR_INV_R, ZIGGURAT_NOR_R } from '../../src/rng/ziggurat-tables.js';
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
  normal_scalar: { seed: number; loc: number; scale: number; values: number[] };
  normal_vector: { seed: number; loc: number[]; scale: number[]; values: number[][] };
  forced: { case: string; state: string; inc: string; value: number; state_after: string }[];
}

const fx = loadFixture<Fixture>('normal');

describe('standardNormal matches numpy bit for bit', () => {
  it('covers at least 100 000 draws, including tail draws', () => {
    expect(fx.streams.reduce((n, s) => n + s.count, 0)).toBeGreaterThanOrEqual(100_000);
    expect(fx.streams.reduce((n, s) => n + s.tail.length, 0)).toBeGreaterThan(10);
  });

  for (const s of fx.streams) {
    it(`seed ${seedLabel(s.seed)}: ${s.count} draws`, () => {
      const g = new Generator(toSeed(s.seed));
      const x = new Float64Array(s.count);
      for (let i = 0; i < s.count; i++) x[i] = g.standardNormal();
      // Explicit values first, so a mismatch reports the draw that differs.
      expect(Array.from(x.subarray(0, s.first.length))).toEqual(s.first);
      const tail = s.tail.map(([i]) => [i, x[i]]);
      expect(tail).toEqual(s.tail);
      const blocks = s.block_sha256.map((_, b) => sha256(x.subarray(b * s.block, (b + 1) * s.block)));
      expect(blocks).toEqual(s.block_sha256);
      // Tail draws are exactly those beyond R: the layer cores stop short of it.
      const beyond = Array.from(x.keys()).filter((i) => Math.abs(x[i]) > ZIGGURAT_NOR_R);
      expect(beyond).toEqual(s.tail.map(([i]) => i));
    });
  }

  it('follows numpy at chosen words: core edges, wedges, the far tail (state after included)', () => {
    // numpy's PCG64 state and increment were set so that its next two words were chosen
    // (layer, sign, rabs at a ki boundary, then the uniform); the state after the draw shows
    // how many words numpy consumed. For the far tail, states were searched until the
    // third word (the second tail uniform) accepts.
    const g = new Generator(0);
    const got = fx.forced.map((c) => {
      g.bitGenerator.setState({ state: BigInt(c.state), inc: BigInt(c.inc), hasUint32: false, uinteger: 0 });
      const value = g.standardNormal();
      return { case: c.case, value, after: g.bitGenerator.getState().state.toString() };
    });
    expect(got).toEqual(fx.forced.map((c) => ({ case: c.case, value: c.value, after: c.state_after })));
    const labels = new Set(fx.forced.map((c) => c.case.replace(/^layer \d+ /, '')));
    expect([...labels].sort()).toEqual(['beyond core', 'core edge', 'far tail', 'outer edge', 'tail']);
    expect(Math.max(...fx.forced.map((c) => Math.abs(c.value)))).toBeGreaterThan(8);
  });

  it('normal(loc, scale) is loc + scale * standard_normal()', () => {
    const c = fx.normal_scalar;
    const g = new Generator(c.seed);
    expect(c.values.map(() => g.normal(c.loc, c.scale))).toEqual(c.values);
  });

  it('normalInto with scalar loc/scale equals repeated normal()', () => {
    const c = fx.normal_scalar;
    const out = new Float64Array(c.values.length);
    new Generator(c.seed).normalInto(out, c.loc, c.scale);
    expect(Array.from(out)).toEqual(c.values);
  });

  it('normalInto with per-element loc/scale matches numpy normal(loc_array, scale_array)', () => {
    const c = fx.normal_vector;
    const g = new Generator(c.seed);
    const out = new Float64Array(c.loc.length);
    for (const row of c.values) {
      g.normalInto(out, c.loc, c.scale);
      expect(Array.from(out)).toEqual(row);
    }
  });

  it('normal() defaults to loc 0 and scale 1', () => {
    const a = new Generator(3);
    const b = new Generator(3);
    for (let i = 0; i < 100; i++) expect(a.normal()).toBe(b.standardNormal());
  });
});

describe('ziggurat tables', () => {
  // Structural checks, independent of numpy: x[i] = 2^52 wi[i] are the layer edges, from
  // the top (x[1]) down to the base (x[255] = R); every layer has the same area V.
  const x = WI.map((w) => w * 2 ** 52);
  const V = 0.0049286732339746519;

  it('has 256 entries each and the base layer at R', () => {
    expect([KI.length, WI.length, FI.length]).toEqual([256, 256, 256]);
    expect(x[255]).toBe(ZIGGURAT_NOR_R);
    expect(ZIGGURAT_NOR_INV_R).toBe(1 / ZIGGURAT_NOR_R);
    expect(FI[0]).toBe(1);
    expect(KI[1]).toBe(0);
  });

  it('edges increase, densities decrease, and fi is the density at each edge', () => {
    for (let i = 2; i < 256; i++) {
      expect(x[i]).toBeGreaterThan(x[i - 1]);
      expect(FI[i]).toBeLessThan(FI[i - 1]);
    }
    for (let i = 1; i < 256; i++) expect(Math.abs(FI[i] - Math.exp(-0.5 * x[i] * x[i]))).toBeLessThan(1e-15);
  });

  it('every layer has area V, and the base strip plus tail too', () => {
    for (let i = 1; i < 255; i++) {
      // Layer i spans [f(x[i+1]), f(x[i])] vertically and x[i+1] horizontally.
      expect(Math.abs(x[i + 1] * (FI[i] - FI[i + 1]) - V)).toBeLessThan(1e-15);
    }
    // The base strip is drawn as width wi[0] * 2^52 = V / f(R) at height f(R).
    expect(Math.abs(x[0] * FI[255] - V)).toBeLessThan(1e-17);
  });

  it('ki[i] is round(2^52 x[i-1] / x[i]): the share of layer i under the layer above', () => {
    for (let i = 2; i < 256; i++)
      expect(Math.abs(KI[i] - (x[i - 1] / x[i]) * 2 ** 52)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(KI[0] - ((ZIGGURAT_NOR_R * FI[255]) / V) * 2 ** 52)).toBeLessThanOrEqual(1);
    for (const k of KI) expect(Number.isSafeInteger(k) && k < 2 ** 52).toBe(true);
  });

  it('draws have the moments of a standard normal (1e5 draws, 5 sigma bounds)', () => {
    const g = new Generator(2026);
    const n = 100_000;
    let s1 = 0;
    let s2 = 0;
    let s4 = 0;
    for (let i = 0; i < n; i++) {
      const v = g.standardNormal();
      s1 += v;
      s2 += v * v;
      s4 += v * v * v * v;
    }
    expect(Math.abs(s1 / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(s4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
  });
});

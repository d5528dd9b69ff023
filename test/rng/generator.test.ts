// Known answers: numpy 2.4's Generator(PCG64(seed)) — random, uniform, integers, choice,
// spawn and one mixed stream of calls; test/fixtures/rng/generator.json, written by
// scripts/fixtures/rng_fixtures.py.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { Generator, npRandom, SeedSequence } from '../../src/rng/index.js';
import { type JsonSeed, loadFixture, seedLabel, toSeed } from './fixtures.js';

interface Fixture {
  random: { seed: JsonSeed; values: number[] }[];
  uniform: { seed: number; low: number; high: number; values: number[] }[];
  integers: { seed: number; low: number; high: number; values: number[]; next_random: number }[];
  choice: { seed: number; p: number[]; values: number[] }[];
  choice_float32: { seed: number; p: number[]; values: number[] };
  spawn: { seed: number; first_call: number[][]; second_call: number[][]; parent_after: number[] };
  mixed: { seed: number; calls: [string, number][] };
}

const fx = loadFixture<Fixture>('generator');

describe('Generator matches numpy', () => {
  for (const c of fx.random) {
    it(`random() for seed ${seedLabel(c.seed)}`, () => {
      const g = new Generator(toSeed(c.seed));
      expect(c.values.map(() => g.random())).toEqual(c.values);
    });
  }

  for (const c of fx.uniform) {
    it(`uniform(${c.low}, ${c.high})`, () => {
      const g = new Generator(c.seed);
      expect(c.values.map(() => g.uniform(c.low, c.high))).toEqual(c.values);
    });
  }

  it('uniformInto draws element by element like numpy uniform(low_array, high_array)', () => {
    const c = fx.uniform.find((u) => u.low === -0.05)!;
    const g = new Generator(c.seed);
    const out = new Float64Array(c.values.length);
    g.uniformInto(out, new Array(out.length).fill(c.low), new Array(out.length).fill(c.high));
    expect(Array.from(out)).toEqual(c.values);
  });

  it('integers covers ranges 1, 2, 2^32 and 2^33', () => {
    const spans = fx.integers.map((c) => c.high - c.low);
    for (const span of [1, 2, 2 ** 32, 2 ** 33]) expect(spans).toContain(span);
  });

  for (const c of fx.integers) {
    it(`integers(${c.low}, ${c.high}) and the stream position after it`, () => {
      const g = new Generator(c.seed);
      const got = c.values.map(() => g.integers(c.low, c.high));
      expect(got).toEqual(c.values);
      for (const v of got) {
        expect(v).toBeGreaterThanOrEqual(c.low);
        expect(v).toBeLessThan(c.high);
      }
      expect(g.random()).toBe(c.next_random);
    });
  }

  it('integers(high) is integers(0, high)', () => {
    const c = fx.integers.find((x) => x.low === 0 && x.high === 7)!;
    const g = new Generator(c.seed);
    expect(c.values.map(() => g.integers(7))).toEqual(c.values);
  });

  for (const c of fx.choice) {
    it(`choiceIndex(p = ${JSON.stringify(c.p)})`, () => {
      const g = new Generator(c.seed);
      expect(c.values.map(() => g.choiceIndex(c.p))).toEqual(c.values);
    });
  }

  it('choiceIndex accepts float32 probabilities with float32 tolerance, as numpy', () => {
    const c = fx.choice_float32;
    const p = Float32Array.from(c.p);
    const g = new Generator(c.seed);
    expect(c.values.map(() => g.choiceIndex(p))).toEqual(c.values);
    // The same numbers as float64 miss numpy's float64 tolerance (sum is 1 + ~1e-7).
    expect(() => new Generator(1).choiceIndex(Array.from(p))).toThrow(ValidationError);
  });

  it('spawn() gives numpy child streams and keeps counting', () => {
    const parent = new Generator(fx.spawn.seed);
    const first = parent.spawn(fx.spawn.first_call.length);
    expect(first.map((k) => [0, 1, 2, 3, 4].map(() => k.random()))).toEqual(fx.spawn.first_call);
    const second = parent.spawn(fx.spawn.second_call.length);
    expect(second.map((k) => [0, 1, 2, 3, 4].map(() => k.random()))).toEqual(fx.spawn.second_call);
    // Spawning consumes nothing from the parent's own stream.
    expect([0, 1, 2].map(() => parent.random())).toEqual(fx.spawn.parent_after);
  });

  it('fromSeedSequence(seq) is new Generator(seq)', () => {
    const a = Generator.fromSeedSequence(new SeedSequence(42, [3]));
    const b = new Generator(new SeedSequence(42, [3]));
    for (let i = 0; i < 10; i++) expect(a.random()).toBe(b.random());
  });

  it('a mixed stream of calls matches numpy call for call', () => {
    const g = new Generator(fx.mixed.seed);
    const draw: Record<string, () => number> = {
      int2: () => g.integers(2),
      int7: () => g.integers(7),
      int1: () => g.integers(1),
      'int2^32': () => g.integers(2 ** 32),
      'int2^33': () => g.integers(2 ** 33),
      int100: () => g.integers(-50, 50),
      random: () => g.random(),
      uniform: () => g.uniform(-0.05, 0.05),
      normal: () => g.standardNormal(),
    };
    const got = fx.mixed.calls.map(([kind]) => [kind, draw[kind]()]);
    expect(got).toEqual(fx.mixed.calls);
    expect(new Set(fx.mixed.calls.map(([k]) => k)).size).toBe(Object.keys(draw).length);
  });
});

describe('Generator input checks', () => {
  it('rejects empty or non-integer integer ranges', () => {
    const g = new Generator(0);
    expect(() => g.integers(0)).toThrow(ValidationError);
    expect(() => g.integers(5, 5)).toThrow(ValidationError);
    expect(() => g.integers(0, 2.5)).toThrow(ValidationError);
    expect(() => g.integers(0, 2 ** 60)).toThrow(ValidationError);
  });

  it('rejects probability vectors numpy rejects', () => {
    const g = new Generator(0);
    expect(() => g.choiceIndex([])).toThrow(ValidationError);
    expect(() => g.choiceIndex([0.5, 0.6])).toThrow(ValidationError);
    expect(() => g.choiceIndex([1.5, -0.5])).toThrow(ValidationError);
    expect(() => g.choiceIndex([Number.NaN, 1])).toThrow(ValidationError);
  });

  it('npRandom(seed) is Generator(SeedSequence(seed)) and rejects bad seeds', () => {
    const { rng, seed } = npRandom(123);
    expect(seed).toBe(123);
    const ref = new Generator(123);
    for (let i = 0; i < 5; i++) expect(rng.random()).toBe(ref.random());
    expect(() => npRandom(-1)).toThrow(ValidationError);
    expect(() => npRandom(0.5)).toThrow(ValidationError);
  });

  it('npRandom() without a seed draws 128 bits of fresh entropy', () => {
    const a = npRandom();
    const b = npRandom();
    expect(typeof a.seed).toBe('bigint');
    expect(a.seed).not.toBe(b.seed);
    expect(a.seed as bigint).toBeLessThan(1n << 128n);
  });
});

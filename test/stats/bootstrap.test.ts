import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { Generator } from '../../src/rng/index.js';
import { bootstrapCI, bootstrapDifferenceCI } from '../../src/stats/bootstrap.js';
import { iqm, mean, median } from '../../src/stats/descriptive.js';
import { expectClose, loadFixture } from './helpers.js';

// Known answers: a plain numpy loop (scripts/fixtures/stats_fixtures.py) drawing each index
// with numpy.random.default_rng(seed).integers(0, n) in the documented order, computing the
// statistic with numpy/scipy and the interval with numpy.quantile. Our draws are the same
// bits, so the intervals agree to rounding.
interface SingleCase {
  kind: 'single';
  data: number[];
  statistic: 'mean' | 'median' | 'iqm';
  seed: number;
  confidence: number;
  resamples: number;
  low: number;
  high: number;
  estimate: number;
}
interface StrataCase {
  kind: 'strata';
  data: number[][];
  statistic: 'iqm' | 'mean' | 'meanOfMeans';
  seed: number;
  confidence: number;
  resamples: number;
  stratified: boolean;
  low: number;
  high: number;
  estimate: number;
}
interface DifferenceCase {
  kind: 'difference';
  a: number[];
  b: number[];
  statistic: 'mean' | 'iqm';
  seed: number;
  confidence: number;
  resamples: number;
  low: number;
  high: number;
  estimate: number;
}
const cases = loadFixture<(SingleCase | StrataCase | DifferenceCase)[]>('bootstrap.json');

/** rliable's aggregate mean: the mean over tasks of the per-task means. */
function meanOfMeans(values: Float64Array, offsets: Int32Array): number {
  let total = 0;
  const k = offsets.length - 1;
  for (let j = 0; j < k; j++) total += mean(values.subarray(offsets[j], offsets[j + 1]));
  return total / k;
}

describe('bootstrapCI reproduces the numpy reference loop', () => {
  for (const c of cases) {
    it(`${c.kind} ${c.statistic} seed ${c.seed}${c.kind === 'strata' ? ` stratified=${c.stratified}` : ''}`, () => {
      let r: ReturnType<typeof bootstrapCI>;
      if (c.kind === 'single') {
        r = bootstrapCI(c.data, c.statistic, {
          seed: c.seed,
          confidence: c.confidence,
          resamples: c.resamples,
        });
      } else if (c.kind === 'strata') {
        const statistic = c.statistic === 'meanOfMeans' ? meanOfMeans : c.statistic;
        r = bootstrapCI(c.data, statistic, {
          seed: c.seed,
          confidence: c.confidence,
          resamples: c.resamples,
          stratified: c.stratified,
        });
      } else {
        r = bootstrapDifferenceCI(c.a, c.b, {
          statistic: c.statistic,
          seed: c.seed,
          confidence: c.confidence,
          resamples: c.resamples,
        });
      }
      expectClose(r.estimate, c.estimate, 1e-13, 1e-15, 'estimate');
      expectClose(r.low, c.low, 1e-12, 1e-14, 'low');
      expectClose(r.high, c.high, 1e-12, 1e-14, 'high');
      expect(r.resamples).toBe(c.resamples);
      expect(r.confidence).toBe(c.confidence);
    });
  }
});

describe('bootstrap properties', () => {
  const g = new Generator(4242);
  const normalSample = (n: number, mu = 0) => Array.from({ length: n }, () => mu + g.standardNormal());

  it('draws exactly the indices Generator.integers(0, n) draws', () => {
    for (const n of [1, 2, 3, 7, 100, 1000, 2 ** 21 + 5]) {
      const indices = Float64Array.from({ length: n }, (_, i) => i);
      const seen: number[] = [];
      let calls = 0;
      bootstrapCI(
        indices,
        (v) => {
          if (calls++ === 0) return 0; // the first call computes the estimate on the data
          for (let i = 0; i < Math.min(v.length, 2000); i++) seen.push(v[i]);
          return 0;
        },
        { seed: 31, resamples: n > 1000 ? 1 : 3 },
      );
      const ref = new Generator(31);
      const expected: number[] = [];
      for (let r = 0; r < (n > 1000 ? 1 : 3); r++) {
        for (let i = 0; i < n; i++) {
          const idx = ref.integers(0, n);
          if (i < 2000) expected.push(idx);
        }
      }
      expect(seen).toEqual(expected);
    }
  });

  it('is reproducible with the same seed and changes with the seed', () => {
    const x = normalSample(40);
    expect(bootstrapCI(x, 'iqm', { seed: 3, resamples: 500 })).toEqual(
      bootstrapCI(x, 'iqm', { seed: 3, resamples: 500 }),
    );
    expect(bootstrapCI(x, 'iqm', { seed: 3, resamples: 500 }).low).not.toBe(
      bootstrapCI(x, 'iqm', { seed: 4, resamples: 500 }).low,
    );
    // Defaults: seed 0, 10,000 resamples, 95%.
    const byDefault = bootstrapCI(x);
    expect(byDefault).toEqual(bootstrapCI(x, 'mean', { seed: 0, resamples: 10_000, confidence: 0.95 }));
    expect(byDefault.resamples).toBe(10_000);
  });

  it('uses and advances a given Generator', () => {
    const x = normalSample(30);
    const rng = new Generator(8);
    const first = bootstrapCI(x, 'mean', { rng, resamples: 200 });
    const second = bootstrapCI(x, 'mean', { rng, resamples: 200 });
    expect(first).toEqual(bootstrapCI(x, 'mean', { seed: 8, resamples: 200 }));
    expect(second.low).not.toBe(first.low);
  });

  it('built-in statistics equal the same statistic passed as a function (same draws)', () => {
    const x = Array.from({ length: 57 }, () => Math.round(g.uniform(0, 20))); // ties
    for (const [name, f] of [
      ['mean', (v: Float64Array) => mean(v)],
      ['median', (v: Float64Array) => median(v)],
      ['iqm', (v: Float64Array) => iqm(v)],
    ] as const) {
      const builtin = bootstrapCI(x, name, { seed: 6, resamples: 700 });
      const viaFunction = bootstrapCI(x, f, { seed: 6, resamples: 700 });
      expectClose(builtin.low, viaFunction.low, 1e-13, 1e-15, `${name} low`);
      expectClose(builtin.high, viaFunction.high, 1e-13, 1e-15, `${name} high`);
      expect(builtin.estimate).toBe(viaFunction.estimate);
    }
  });

  it('contains the estimate, and narrows as n grows (≈ 1/√n)', () => {
    for (let k = 0; k < 5; k++) {
      const x = normalSample(200, 3);
      const ci = bootstrapCI(x, 'mean', { seed: k, resamples: 2000 });
      expect(ci.low).toBeLessThanOrEqual(ci.estimate);
      expect(ci.high).toBeGreaterThanOrEqual(ci.estimate);
      const iqmCi = bootstrapCI(x, 'iqm', { seed: k, resamples: 2000 });
      expect(iqmCi.low).toBeLessThanOrEqual(iqmCi.estimate);
      expect(iqmCi.high).toBeGreaterThanOrEqual(iqmCi.estimate);
    }
    const small = bootstrapCI(normalSample(25), 'mean', { resamples: 4000 });
    const large = bootstrapCI(normalSample(2500), 'mean', { resamples: 4000 });
    const ratio = (small.high - small.low) / (large.high - large.low);
    expect(ratio).toBeGreaterThan(6); // √100 = 10 in expectation
    expect(ratio).toBeLessThan(16);
    // Normal theory: width ≈ 2 · 1.96 / √2500.
    expectClose(large.high - large.low, (2 * 1.96) / 50, 0.1);
  });

  it('widens with the confidence level', () => {
    const x = normalSample(60);
    const c80 = bootstrapCI(x, 'iqm', { confidence: 0.8, resamples: 3000 });
    const c99 = bootstrapCI(x, 'iqm', { confidence: 0.99, resamples: 3000 });
    expect(c99.low).toBeLessThan(c80.low);
    expect(c99.high).toBeGreaterThan(c80.high);
  });

  it('one stratum is the plain bootstrap; typed arrays equal plain arrays', () => {
    const x = normalSample(33);
    const plain = bootstrapCI(x, 'iqm', { seed: 2, resamples: 300 });
    expect(bootstrapCI([x], 'iqm', { seed: 2, resamples: 300 })).toEqual(plain);
    expect(bootstrapCI(Float64Array.from(x), 'iqm', { seed: 2, resamples: 300 })).toEqual(plain);
  });

  it('stratified resampling keeps each stratum its own size and values', () => {
    const strata = [
      [1, 1, 1],
      [10, 10, 10, 10, 10],
    ];
    // Every stratified resample has three 1s and five 10s, so the mean never varies.
    const stratified = bootstrapCI(strata, 'mean', { resamples: 200 });
    expect(stratified.low).toBe(stratified.high);
    expectClose(stratified.estimate, 53 / 8, 1e-15);
    // Pooled resampling mixes them.
    const pooled = bootstrapCI(strata, 'mean', { resamples: 200, stratified: false });
    expect(pooled.high - pooled.low).toBeGreaterThan(1);
    // The function sees the offsets.
    const seen: number[][] = [];
    bootstrapCI(
      strata,
      (v, offsets) => {
        seen.push(Array.from(offsets));
        expect(Array.from(v.subarray(0, 3))).toEqual([1, 1, 1]);
        return 0;
      },
      { resamples: 3 },
    );
    expect(seen[0]).toEqual([0, 3, 8]);
  });

  it('difference of means: covers the true shift, and is antisymmetric in its arguments', () => {
    const a = normalSample(300, 1);
    const b = normalSample(250, 0.5);
    const d = bootstrapDifferenceCI(a, b, { resamples: 3000 });
    expect(d.low).toBeLessThan(0.5 + 0.25);
    expect(d.high).toBeGreaterThan(0.5 - 0.25);
    expectClose(d.estimate, mean(a) - mean(b), 1e-14, 1e-15);
    const same = bootstrapDifferenceCI(a, a, { resamples: 500 });
    expect(same.estimate).toBe(0);
    expect(same.low).toBeLessThan(0);
    expect(same.high).toBeGreaterThan(0);
    const custom = bootstrapDifferenceCI(a, b, { resamples: 300, statistic: (v) => median(v) });
    expectClose(custom.estimate, median(a) - median(b), 1e-14);
  });

  it('degenerate inputs behave as documented', () => {
    expect(bootstrapCI([4.5], 'iqm')).toMatchObject({ low: 4.5, high: 4.5, estimate: 4.5 });
    expect(bootstrapDifferenceCI([3], [1], { resamples: 50 })).toMatchObject({
      low: 2,
      high: 2,
      estimate: 2,
    });
    expect(bootstrapCI([1, 2, 3], () => Number.NaN, { resamples: 10 }).low).toBeNaN();
    expect(() => bootstrapCI([], 'mean')).toThrow(ValidationError);
    expect(() => bootstrapCI([[1, 2], []], 'mean')).toThrow(/data\[1\]/);
    expect(() => bootstrapCI([1, Number.NaN], 'mean')).toThrow(/data\[1\]/);
    expect(() => bootstrapCI([1, 2], 'mean', { confidence: 1 })).toThrow(/confidence/);
    expect(() => bootstrapCI([1, 2], 'mean', { resamples: 0 })).toThrow(/resamples/);
    expect(() => bootstrapCI([1, 2], 'mode' as 'mean')).toThrow(/statistic/);
    expect(() => bootstrapDifferenceCI([1], [])).toThrow(/b must not be empty/);
  });
});

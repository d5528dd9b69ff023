import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { Generator } from '../../src/rng/index.js';
import {
  iqm,
  kurtosis,
  max,
  mean,
  median,
  min,
  quantile,
  skewness,
  standardError,
  std,
  sum,
  trimmedMean,
  variance,
} from '../../src/stats/descriptive.js';
import { expectClose, loadFixture } from './helpers.js';

// Known answers (scripts/fixtures/stats_fixtures.py): mean, variances, sem, skewness and
// kurtosis in exact rational arithmetic with SciPy's definitions; median, quantiles
// (method 'linear'), min/max from NumPy 2.4; trimmed means from scipy.stats.trim_mean.
interface DescriptiveCase {
  kind: string;
  x: number[];
  mean: number;
  var0: number;
  var1: number;
  std0: number;
  std1: number;
  median: number;
  min: number;
  max: number;
  q: number[];
  quantiles: number[];
  iqm: number;
  trim10: number;
  trim40: number;
  sem: number;
  skew: number;
  skewUnbiased: number;
  kurtosis: number;
  kurtosisUnbiased: number;
}
const cases = loadFixture<DescriptiveCase[]>('descriptive.json');

const REL = 1e-9;

describe('descriptive statistics against NumPy/SciPy', () => {
  it('has a broad fixture', () => {
    expect(cases.length).toBeGreaterThanOrEqual(48);
  });

  for (const c of cases) {
    const label = `${c.kind} n=${c.x.length}`;
    it(`matches for ${label}`, () => {
      for (const x of [c.x, Float64Array.from(c.x)]) {
        expectClose(mean(x), c.mean, 1e-15, 0, `${label} mean`);
        // Exact-arithmetic variance: the compensated two-pass keeps even the 1e8 + 1e-3
        // noise samples to ~1e-9 relative.
        expectClose(variance(x), c.var0, REL, 1e-300, `${label} var`);
        expectClose(variance(x, 1), c.var1, REL, 1e-300, `${label} var ddof=1`);
        expectClose(std(x), c.std0, REL, 1e-300, `${label} std`);
        expectClose(std(x, 1), c.std1, REL, 1e-300, `${label} std ddof=1`);
        expectClose(standardError(x), c.sem, REL, 1e-300, `${label} sem`);
        expect(min(x)).toBe(c.min);
        expect(max(x)).toBe(c.max);
        expectClose(median(x), c.median, 1e-15, 0, `${label} median`);
        const qs = quantile(x, c.q);
        c.q.forEach((q, i) => {
          expectClose(qs[i], c.quantiles[i], 1e-15, 0, `${label} q=${q}`);
          expectClose(quantile(x, q), c.quantiles[i], 1e-15, 0, `${label} scalar q=${q}`);
        });
        expectClose(iqm(x), c.iqm, 1e-14, 0, `${label} iqm`);
        expectClose(trimmedMean(x, 0.1), c.trim10, 1e-14, 0, `${label} trim 0.1`);
        expectClose(trimmedMean(x, 0.4), c.trim40, 1e-14, 0, `${label} trim 0.4`);
        expectClose(skewness(x), c.skew, REL, 1e-12, `${label} skew`);
        expectClose(skewness(x, { bias: false }), c.skewUnbiased, REL, 1e-12, `${label} skew unbiased`);
        expectClose(kurtosis(x), c.kurtosis, REL, 1e-12, `${label} kurtosis`);
        expectClose(
          kurtosis(x, { bias: false }),
          c.kurtosisUnbiased,
          REL,
          1e-12,
          `${label} kurtosis unbiased`,
        );
      }
    });
  }
});

describe('hand-computed values', () => {
  it('quantile interpolates linearly between order statistics', () => {
    // sorted [1, 2, 4, 8]: h = 3q; q = 0.5 → between 2 and 4 → 3; q = 0.9 → h = 2.7 → 4 + 0.7·4
    expect(quantile([8, 1, 4, 2], 0.5)).toBe(3);
    expectClose(quantile([8, 1, 4, 2], 0.9), 6.8, 1e-15);
    expect(quantile([8, 1, 4, 2], [0, 1])).toEqual([1, 8]);
  });
  it('iqm drops ⌊n/4⌋ values per side with no partial weights', () => {
    // n = 9: ⌊9/4⌋ = 2 dropped per side → mean of 3, 4, 5, 6, 7 = 5 (the outlier 1000 is gone)
    expect(iqm([1, 2, 3, 4, 5, 6, 7, 8, 1000])).toBe(5);
    // n = 7: 1 per side → mean of 2..6 = 4; n = 3: nothing dropped → plain mean
    expect(iqm([1, 2, 3, 4, 5, 6, 100])).toBe(4);
    expect(iqm([1, 2, 30])).toBe(11);
  });
  it('variance defaults to ddof 0 like numpy', () => {
    expect(variance([1, 2, 3, 4])).toBe(1.25);
    expectClose(variance([1, 2, 3, 4], 1), 5 / 3, 1e-15);
    expect(std([2, 4, 4, 4, 5, 5, 7, 9])).toBe(2);
  });
  it('sum is compensated', () => {
    // 1 + 1e100 + 1 − 1e100: naive left-to-right summation gives 0.
    expect(sum([1, 1e100, 1, -1e100])).toBe(2);
    expect(mean([1e16, 1, -1e16, 1])).toBe(0.5);
  });
  it('median averages the middle pair for even n', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([1.7976931348623157e308, 1.7976931348623157e308])).toBe(1.7976931348623157e308);
  });
});

describe('properties', () => {
  const g = new Generator(11);
  const samples = Array.from({ length: 25 }, (_, k) => {
    const n = 1 + g.integers(0, 60);
    return Array.from({ length: n }, () => (k % 3 === 0 ? g.integers(0, 5) : g.uniform(-10, 10)));
  });

  it('every statistic is invariant to the order of the sample', () => {
    for (const x of samples) {
      const shuffled = [...x];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = g.integers(0, i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      expectClose(mean(shuffled), mean(x), 1e-15, 1e-15);
      expectClose(variance(shuffled), variance(x), 1e-12, 1e-15);
      expect(median(shuffled)).toBe(median(x));
      expect(iqm(shuffled)).toBeCloseTo(iqm(x), 12);
      expect(quantile(shuffled, [0.1, 0.37, 0.9])).toEqual(quantile(x, [0.1, 0.37, 0.9]));
      expect(min(shuffled)).toBe(min(x));
      expect(max(shuffled)).toBe(max(x));
    }
  });

  it('quantile is monotone in q and spans [min, max]', () => {
    const qs = Array.from({ length: 101 }, (_, i) => i / 100);
    for (const x of samples) {
      const values = quantile(x, qs);
      for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
      expect(values[0]).toBe(min(x));
      expect(values[100]).toBe(max(x));
    }
  });

  it('iqm and every trimmed mean lie between min and max, and iqm of a constant is the constant', () => {
    for (const x of samples) {
      for (const v of [iqm(x), trimmedMean(x, 0.1), trimmedMean(x, 0.45), median(x), mean(x)]) {
        expect(v).toBeGreaterThanOrEqual(min(x) - 1e-12);
        expect(v).toBeLessThanOrEqual(max(x) + 1e-12);
      }
    }
    expect(iqm([7, 7, 7, 7, 7])).toBe(7);
  });

  it('scalar and array quantiles agree (selection and sorting paths)', () => {
    for (const x of samples) {
      for (const q of [0, 0.013, 0.25, 0.5, 0.61, 0.975, 1]) expect(quantile(x, q)).toBe(quantile(x, [q])[0]);
    }
  });
});

describe('degenerate inputs', () => {
  it('empty samples give NaN', () => {
    for (const f of [mean, median, min, max, iqm, standardError, skewness, kurtosis]) expect(f([])).toBeNaN();
    expect(variance([])).toBeNaN();
    expect(quantile([], 0.5)).toBeNaN();
    expect(quantile([], [0.1, 0.9])).toEqual([Number.NaN, Number.NaN]);
    expect(trimmedMean([], 0.1)).toBeNaN();
    expect(sum([])).toBe(0);
  });
  it('one value: defined statistics equal it, ddof=1 quantities are NaN', () => {
    expect(mean([4])).toBe(4);
    expect(median([4])).toBe(4);
    expect(iqm([4])).toBe(4);
    expect(quantile([4], 0.3)).toBe(4);
    expect(variance([4])).toBe(0);
    expect(variance([4], 1)).toBeNaN();
    expect(standardError([4])).toBeNaN();
  });
  it('constant samples: zero spread, NaN shape statistics (as SciPy)', () => {
    expect(variance([3, 3, 3])).toBe(0);
    expect(std([1e8, 1e8], 1)).toBe(0);
    expect(skewness([3, 3, 3])).toBeNaN();
    expect(kurtosis([3, 3, 3, 3])).toBeNaN();
  });
  it('NaN in the input throws a ValidationError naming the argument', () => {
    for (const f of [mean, median, min, max, iqm, variance, std, standardError, skewness, kurtosis, sum]) {
      expect(() => f([1, Number.NaN, 2])).toThrow(ValidationError);
    }
    expect(() => quantile([1, Number.NaN], 0.5)).toThrow(/x\[1\]/);
  });
  it('rejects invalid parameters', () => {
    expect(() => quantile([1, 2], 1.5)).toThrow(ValidationError);
    expect(() => quantile([1, 2], [0.5, -0.1])).toThrow(/q\[1\]/);
    expect(() => variance([1, 2], -1)).toThrow(ValidationError);
    expect(() => variance([1, 2], 0.5)).toThrow(ValidationError);
    expect(() => trimmedMean([1, 2], 0.5)).toThrow(ValidationError);
  });
  it('infinities propagate by IEEE arithmetic', () => {
    expect(mean([1, Number.POSITIVE_INFINITY])).toBe(Number.POSITIVE_INFINITY);
    expect(max([1, Number.POSITIVE_INFINITY])).toBe(Number.POSITIVE_INFINITY);
    expect(variance([1, Number.POSITIVE_INFINITY])).toBeNaN();
    expect(median([Number.NEGATIVE_INFINITY, 0, 5])).toBe(0);
  });
});

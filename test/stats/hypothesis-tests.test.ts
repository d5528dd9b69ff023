import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { Generator } from '../../src/rng/index.js';
import {
  type Alternative,
  type MannWhitneyMethod,
  mannWhitneyExactCdf,
  mannWhitneyU,
  welchTTest,
  welchTTestFromStats,
} from '../../src/stats/hypothesis-tests.js';
import { expectClose, loadFixture } from './helpers.js';

// Known answers: scipy.stats.ttest_ind(equal_var=False), ttest_ind_from_stats and
// mannwhitneyu of SciPy 1.17.1 (scripts/fixtures/stats_fixtures.py). Tolerances: 1e-9
// relative for statistics, 1e-8 absolute for p-values, and 1e-9 relative for p-values in
// the tails (down to 1e-12 and beyond) so that small p-values are not passed by accident.
const ALTERNATIVES: Alternative[] = ['two-sided', 'less', 'greater'];

function expectPValue(actual: number, expected: number, label: string): void {
  expectClose(actual, expected, 0, 1e-8, label);
  if (expected > 0 && expected < 1e-6) expectClose(actual, expected, 1e-9, 0, `${label} (tail, relative)`);
}

interface WelchCase {
  a: number[];
  b: number[];
  'two-sided': [number, number, number];
  less: [number, number, number];
  greater: [number, number, number];
}
interface FromStatsCase {
  args: [number, number, number, number, number, number];
  'two-sided': [number, number];
  less: [number, number];
  greater: [number, number];
}
const welch = loadFixture<{ samples: WelchCase[]; fromStats: FromStatsCase[] }>('welch.json');

describe('welchTTest against scipy.stats.ttest_ind(equal_var=False)', () => {
  it('matches statistic, df and p-value for every alternative', () => {
    expect(welch.samples.length).toBeGreaterThan(100);
    welch.samples.forEach((c, k) => {
      for (const alternative of ALTERNATIVES) {
        const [statistic, df, pValue] = c[alternative];
        const r = welchTTest(c.a, c.b, { alternative });
        const label = `case ${k} ${alternative}`;
        expectClose(r.statistic, statistic, 1e-9, 1e-12, `${label} t`);
        expectClose(r.df, df, 1e-9, 0, `${label} df`);
        expectPValue(r.pValue, pValue, `${label} p`);
      }
    });
  });

  it('reaches far-tail p-values with relative accuracy', () => {
    const c = welch.samples[welch.samples.length - 1];
    const r = welchTTest(c.a, c.b, { alternative: 'less' });
    expect(c.less[2]).toBeLessThan(1e-12);
    expectClose(r.pValue, c.less[2], 1e-9, 0, 'tail');
  });

  it('welchTTestFromStats matches ttest_ind_from_stats', () => {
    for (const c of welch.fromStats) {
      for (const alternative of ALTERNATIVES) {
        const r = welchTTestFromStats(...c.args, { alternative });
        expectClose(r.statistic, c[alternative][0], 1e-9, 1e-12, `${c.args} t`);
        expectPValue(r.pValue, c[alternative][1], `${c.args} ${alternative}`);
      }
    }
  });

  it('data and summary forms agree', () => {
    const a = [1.2, 3.4, 2.2, 5.1, 0.3];
    const b = [2.5, 2.9, 4.4, 6.2, 5.5, 3.3];
    const sd = (x: number[]) => {
      const m = x.reduce((s, v) => s + v, 0) / x.length;
      return Math.sqrt(x.reduce((s, v) => s + (v - m) ** 2, 0) / (x.length - 1));
    };
    const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
    const r1 = welchTTest(a, b, { alternative: 'less' });
    const r2 = welchTTestFromStats(mean(a), sd(a), a.length, mean(b), sd(b), b.length, {
      alternative: 'less',
    });
    expectClose(r2.statistic, r1.statistic, 1e-12);
    expectClose(r2.df, r1.df, 1e-12);
    expectClose(r2.pValue, r1.pValue, 1e-12);
  });

  it('one-sided p-values add to 1 and two-sided is twice the smaller', () => {
    const g = new Generator(5);
    for (let k = 0; k < 20; k++) {
      const a = Array.from({ length: 3 + g.integers(0, 20) }, () => g.uniform(0, 1));
      const b = Array.from({ length: 3 + g.integers(0, 20) }, () => g.uniform(0.2, 1.4));
      const less = welchTTest(a, b, { alternative: 'less' }).pValue;
      const greater = welchTTest(a, b, { alternative: 'greater' }).pValue;
      const two = welchTTest(a, b).pValue;
      expectClose(less + greater, 1, 1e-14);
      expectClose(two, 2 * Math.min(less, greater), 1e-14);
      // Swapping the samples flips the sign and the one-sided direction.
      const swapped = welchTTest(b, a, { alternative: 'greater' });
      expectClose(swapped.pValue, less, 1e-14);
    }
  });

  it('degenerate inputs behave as documented (and as SciPy for statistic and p-value)', () => {
    // Both variances zero, means differ: t = −∞; SciPy gives p 0 / 0 / 1.
    expect(welchTTest([1, 1, 1], [2, 2, 2])).toEqual({
      statistic: Number.NEGATIVE_INFINITY,
      df: Number.NaN,
      pValue: 0,
    });
    expect(welchTTest([1, 1, 1], [2, 2, 2], { alternative: 'less' }).pValue).toBe(0);
    expect(welchTTest([1, 1, 1], [2, 2, 2], { alternative: 'greater' }).pValue).toBe(1);
    // Equal constants: 0/0.
    const same = welchTTest([1, 1, 1], [1, 1, 1]);
    expect(same.statistic).toBeNaN();
    expect(same.pValue).toBeNaN();
    // One variance zero: df = n − 1 of the other (SciPy: t = 5.196…, p = 0.98245… for 'less').
    const one = welchTTest([5, 5, 5], [1, 2, 3], { alternative: 'less' });
    expectClose(one.statistic, 5.196152422706632, 1e-12);
    expectClose(one.df, 2, 1e-12);
    expectClose(one.pValue, 0.9824506406770077, 1e-12);
    // Fewer than two values: no variance.
    const tiny = welchTTest([1], [2, 3, 4]);
    expect(tiny.statistic).toBeNaN();
    expect(tiny.pValue).toBeNaN();
    expect(welchTTest([], [2, 3]).pValue).toBeNaN();
    expect(welchTTestFromStats(1, 1, 1, 1, 0, 3).pValue).toBeNaN();
  });

  it('validates its inputs', () => {
    expect(() => welchTTest([1, Number.NaN], [1, 2])).toThrow(/a\[1\]/);
    expect(() => welchTTest([1, 2], [1, 2], { alternative: 'bigger' as Alternative })).toThrow(
      ValidationError,
    );
    expect(() => welchTTestFromStats(0, -1, 3, 0, 1, 3)).toThrow(/stdA/);
    expect(() => welchTTestFromStats(0, 1, 0, 0, 1, 3)).toThrow(/nA/);
    expect(() => welchTTestFromStats(Number.NaN, 1, 3, 0, 1, 3)).toThrow(/meanA/);
  });
});

interface MwuCase {
  x: number[];
  y: number[];
  results: [Alternative, MannWhitneyMethod, boolean, number, number][];
}
const mwu = loadFixture<{ cases: MwuCase[]; exactCdf: { n1: number; n2: number; cdf: number[] }[] }>(
  'mannwhitney.json',
);

describe('mannWhitneyU against scipy.stats.mannwhitneyu', () => {
  it('matches U and the p-value for every alternative, method and continuity setting', () => {
    let checked = 0;
    mwu.cases.forEach((c, k) => {
      for (const [alternative, method, useContinuity, statistic, pValue] of c.results) {
        const r = mannWhitneyU(c.x, c.y, { alternative, method, useContinuity });
        const label = `case ${k} (${c.x.length}, ${c.y.length}) ${alternative} ${method} cc=${useContinuity}`;
        expectClose(r.statistic, statistic, 1e-12, 0, `${label} U`);
        expectPValue(r.pValue, pValue, `${label} p`);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(300);
  });

  it('exact null CDF matches SciPy', () => {
    for (const { n1, n2, cdf } of mwu.exactCdf) {
      const mine = mannWhitneyExactCdf(cdf.length - 1, n1, n2);
      cdf.forEach((v, k) => {
        expectClose(mine[k], v, 1e-12, 1e-15, `(${n1}, ${n2}) P(U ≤ ${k})`);
      });
    }
  });

  it('exact null distribution equals brute-force enumeration of all rank subsets', () => {
    // U of the first sample = (sum of its ranks) − n1(n1+1)/2 over all C(n1+n2, n1) subsets.
    for (const [n1, n2] of [
      [1, 1],
      [2, 3],
      [4, 4],
      [3, 7],
      [6, 5],
      [7, 7],
    ]) {
      const n = n1 + n2;
      const counts = new Float64Array(n1 * n2 + 1);
      let total = 0;
      for (let mask = 0; mask < 1 << n; mask++) {
        let bits = 0;
        let rankSum = 0;
        for (let i = 0; i < n; i++) {
          if (mask & (1 << i)) {
            bits++;
            rankSum += i + 1;
          }
        }
        if (bits !== n1) continue;
        counts[rankSum - (n1 * (n1 + 1)) / 2]++;
        total++;
      }
      const cdf = mannWhitneyExactCdf(n1 * n2, n1, n2);
      let running = 0;
      for (let k = 0; k <= n1 * n2; k++) {
        running += counts[k];
        expectClose(cdf[k], running / total, 1e-14, 1e-16, `(${n1}, ${n2}) k=${k}`);
      }
      expect(cdf[n1 * n2]).toBe(1);
    }
  });

  it('exact distribution stays accurate for larger samples (symmetry, normal limit)', () => {
    const n1 = 40;
    const n2 = 60;
    const cdf = mannWhitneyExactCdf(n1 * n2, n1, n2);
    // Symmetry of U about n1n2/2: P(U ≤ k) = 1 − P(U ≤ n1n2 − k − 1).
    for (const k of [0, 10, 300, 900, 1199]) expectClose(cdf[k], 1 - cdf[n1 * n2 - k - 1], 1e-10, 1e-14);
    // Close to the normal approximation at the centre.
    expectClose(cdf[(n1 * n2) / 2], 0.5 + 0.5 * (cdf[1200] - cdf[1199]), 1e-12);
    // Smallest value: P(U = 0) = 1/C(100, 40).
    let logBinom = 0;
    for (let i = 1; i <= n1; i++) logBinom += Math.log(n2 + i) - Math.log(i);
    expectClose(cdf[0], Math.exp(-logBinom), 1e-12);
  });

  it("'auto' follows SciPy 1.17: exact when one sample has ≤ 8 untied values", () => {
    const g = new Generator(2);
    const draw = (n: number) => Array.from({ length: n }, () => g.random());
    expect(mannWhitneyU(draw(8), draw(50)).method).toBe('exact');
    expect(mannWhitneyU(draw(9), draw(9)).method).toBe('asymptotic');
    expect(mannWhitneyU([1, 2, 2], [3, 4]).method).toBe('asymptotic');
    expect(mannWhitneyU([1, 2, 3], [4, 5]).method).toBe('exact');
  });

  it('reproduces the worked example of the SciPy documentation', () => {
    // males [19, 22, 16, 29, 24] vs females [20, 11, 17, 12]: U = 17, exact p = 1/9,
    // asymptotic p = 0.11134688653314041, without continuity 0.0864107329737.
    const males = [19, 22, 16, 29, 24];
    const females = [20, 11, 17, 12];
    const exact = mannWhitneyU(males, females, { method: 'exact' });
    expect(exact.statistic).toBe(17);
    expectClose(exact.pValue, 1 / 9, 1e-14);
    expectClose(mannWhitneyU(males, females, { method: 'asymptotic' }).pValue, 0.11134688653314041, 1e-12);
    expectClose(
      mannWhitneyU(males, females, { method: 'asymptotic', useContinuity: false }).pValue,
      0.0864107329737,
      1e-10,
    );
    const less = mannWhitneyU(females, males, { alternative: 'less', method: 'exact' });
    expect(less.statistic).toBe(3);
    expectClose(less.pValue, 1 / 18, 1e-14);
  });

  it('is invariant to the order within each sample and antisymmetric between them', () => {
    const g = new Generator(9);
    for (let k = 0; k < 10; k++) {
      const x = Array.from({ length: 4 + g.integers(0, 15) }, () => g.integers(0, 6));
      const y = Array.from({ length: 4 + g.integers(0, 15) }, () => g.integers(0, 6));
      const r = mannWhitneyU(x, y, { alternative: 'greater' });
      const reversed = mannWhitneyU([...x].reverse(), [...y].reverse(), { alternative: 'greater' });
      expect(reversed).toEqual(r);
      const swapped = mannWhitneyU(y, x, { alternative: 'less' });
      expect(swapped.statistic).toBe(x.length * y.length - r.statistic);
      expectClose(swapped.pValue, r.pValue, 1e-14);
    }
  });

  it('degenerate inputs behave as documented (matching SciPy)', () => {
    // All values tied: σ = 0; with continuity p = 1, without p = NaN.
    expect(mannWhitneyU([1, 1, 1], [1, 1, 1])).toMatchObject({ statistic: 4.5, pValue: 1 });
    expect(mannWhitneyU([1, 1], [1, 1], { method: 'asymptotic', useContinuity: false }).pValue).toBeNaN();
    expect(mannWhitneyU([1], [1])).toMatchObject({ statistic: 0.5, pValue: 1 });
    expect(mannWhitneyU([1], [2])).toMatchObject({ statistic: 0, pValue: 1, method: 'exact' });
    expect(() => mannWhitneyU([], [1, 2])).toThrow(/x must not be empty/);
    expect(() => mannWhitneyU([1], [Number.NaN])).toThrow(/y\[0\]/);
    expect(() => mannWhitneyU([1], [2], { method: 'perm' as MannWhitneyMethod })).toThrow(ValidationError);
    // Infinite values rank normally.
    expect(mannWhitneyU([Number.POSITIVE_INFINITY, 5], [1, 2]).statistic).toBe(4);
    expect(() => mannWhitneyExactCdf(-1, 2, 2)).toThrow(/kMax/);
    expect(() => mannWhitneyExactCdf(3, 0, 2)).toThrow(/n1/);
  });
});

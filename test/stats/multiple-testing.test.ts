import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { Generator } from '../../src/rng/index.js';
import { holmBonferroni } from '../../src/stats/multiple-testing.js';
import { expectClose, loadFixture } from './helpers.js';

// Known answers: Holm's procedure written out in numpy the way statsmodels'
// multipletests(method='holm') computes it (scripts/fixtures/stats_fixtures.py).
interface HolmCase {
  p: number[];
  alpha: number;
  adjusted: number[];
  rejected: boolean[];
}
const cases = loadFixture<HolmCase[]>('holm.json');

describe('holmBonferroni', () => {
  it('matches the statsmodels formulation', () => {
    for (const c of cases) {
      const r = holmBonferroni(c.p, c.alpha);
      c.adjusted.forEach((v, i) => {
        expectClose(r.adjusted[i], v, 1e-15, 0, `m=${c.p.length} #${i}`);
      });
      expect(r.rejected).toEqual(c.rejected);
    }
  });

  it('works a small example by hand', () => {
    // sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 → cummax 0.06.
    // Rejections: 0.005 ≤ 0.05/4, 0.01 ≤ 0.05/3, 0.03 > 0.05/2 → stop.
    const r = holmBonferroni([0.01, 0.04, 0.03, 0.005], 0.05);
    expect(r.adjusted.map((v) => Number(v.toFixed(12)))).toEqual([0.03, 0.06, 0.06, 0.02]);
    expect(r.rejected).toEqual([true, false, false, true]);
    // Capped at 1.
    expect(holmBonferroni([0.6, 0.7]).adjusted).toEqual([1, 1]);
  });

  it('adjusted ≥ raw, capped at 1, order-preserving; rejection ⇔ adjusted ≤ alpha; permutation-invariant', () => {
    const g = new Generator(17);
    for (let k = 0; k < 40; k++) {
      const m = 1 + g.integers(0, 25);
      const p = Array.from({ length: m }, () => g.random() ** 3);
      const r = holmBonferroni(p, 0.05);
      for (let i = 0; i < m; i++) {
        expect(r.adjusted[i]).toBeGreaterThanOrEqual(p[i]);
        expect(r.adjusted[i]).toBeLessThanOrEqual(1);
        expect(r.rejected[i]).toBe(r.adjusted[i] <= 0.05);
        for (let j = 0; j < m; j++) if (p[i] < p[j]) expect(r.adjusted[i]).toBeLessThanOrEqual(r.adjusted[j]);
      }
      const perm = p.map((_, i) => i).reverse();
      const rp = holmBonferroni(
        perm.map((i) => p[i]),
        0.05,
      );
      perm.forEach((i, pos) => {
        expect(rp.adjusted[pos]).toBe(r.adjusted[i]);
        expect(rp.rejected[pos]).toBe(r.rejected[i]);
      });
    }
  });

  it('rejects or keeps tied p-values together', () => {
    // sorted 0.001, 0.02, 0.02 at alpha 0.03: 0.001 ≤ 0.01, then 0.02 > 0.015 → stop.
    const kept = holmBonferroni([0.02, 0.02, 0.001], 0.03);
    expect(kept.rejected).toEqual([false, false, true]);
    expect(kept.adjusted[0]).toBe(kept.adjusted[1]);
    // at alpha 0.05: 0.02 ≤ 0.025, and the tied copy faces the larger threshold 0.05.
    expect(holmBonferroni([0.02, 0.02, 0.001], 0.05).rejected).toEqual([true, true, true]);
  });

  it('handles empty input and validates arguments', () => {
    expect(holmBonferroni([])).toEqual({ adjusted: [], rejected: [] });
    expect(() => holmBonferroni([0.1, Number.NaN])).toThrow(/pValues\[1\]/);
    expect(() => holmBonferroni([1.2])).toThrow(ValidationError);
    expect(() => holmBonferroni([0.1], 0)).toThrow(/alpha/);
  });
});

import { describe, expect, it } from 'vitest';
import {
  erf,
  erfc,
  incompleteBeta,
  logBeta,
  logGamma,
  normalCdf,
  normalIsf,
  normalPdf,
  normalQuantile,
  normalSf,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTSf,
} from '../../src/stats/special.js';
import { expectClose, loadFixture } from './helpers.js';

// Known answers: mpmath at 40 significant digits (scripts/fixtures/stats_fixtures.py),
// independent of SciPy, so the tails are checked against true values.
interface SpecialFixture {
  logGamma: [number, number][];
  erf: [number, number][];
  erfc: [number, number][];
  normalSf: [number, number][];
  normalCdf: [number, number][];
  normalQuantile: [number, number][];
  studentTSf: [number, number, number][];
  incompleteBeta: [number, number, number, number, number][];
}
const fx = loadFixture<SpecialFixture>('special.json');

describe('logGamma', () => {
  it('matches mpmath to ~1e-15 absolute (relative for large x)', () => {
    for (const [x, want] of fx.logGamma) expectClose(logGamma(x), want, 2e-15, 3e-15, `lnΓ(${x})`);
  });
  it('is exact at the integers through the factorial', () => {
    let fact = 1;
    for (let n = 1; n <= 25; n++) {
      expectClose(logGamma(n), Math.log(fact), 1e-15, 3e-15, `lnΓ(${n})`);
      fact *= n;
    }
  });
  it('returns NaN outside its domain', () => {
    expect(logGamma(0)).toBeNaN();
    expect(logGamma(-1.5)).toBeNaN();
    expect(logGamma(Number.NaN)).toBeNaN();
    expect(logGamma(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });
  it('logBeta agrees with the log-gamma definition in every branch', () => {
    for (const [a, b] of [
      [0.5, 0.5],
      [3, 4.5],
      [0.5, 40],
      [25, 2],
      [15, 30],
      [120.5, 300.25],
    ]) {
      expectClose(logBeta(a, b), logGamma(a) + logGamma(b) - logGamma(a + b), 1e-13, 1e-13, `lnB(${a},${b})`);
    }
    expect(logBeta(0, 1)).toBeNaN();
  });
});

describe('erf / erfc', () => {
  it('match mpmath to a few ulp relative, including the far tail of erfc', () => {
    for (const [x, want] of fx.erf) expectClose(erf(x), want, 4e-15, 1e-300, `erf(${x})`);
    for (const [x, want] of fx.erfc) expectClose(erfc(x), want, 4e-15, 1e-300, `erfc(${x})`);
  });
  it('erf is odd and erf + erfc = 1', () => {
    for (const x of [0.01, 0.4, 0.99, 1, 1.3, 2.2, 3.9]) {
      expect(erf(-x)).toBe(-erf(x));
      expectClose(erf(x) + erfc(x), 1, 2e-16);
      expectClose(erfc(-x), 2 - erfc(x), 2e-16);
    }
  });
  it('has the right limits', () => {
    expect(erf(0)).toBe(0);
    expect(erfc(0)).toBe(1);
    expect(erf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(erfc(Number.POSITIVE_INFINITY)).toBe(0);
    expect(erfc(Number.NEGATIVE_INFINITY)).toBe(2);
    expect(erf(Number.NaN)).toBeNaN();
  });
});

describe('normal distribution', () => {
  it('survival function and CDF match mpmath in both tails', () => {
    for (const [z, want] of fx.normalSf) expectClose(normalSf(z), want, 4e-15, 1e-320, `Q(${z})`);
    for (const [z, want] of fx.normalCdf) expectClose(normalCdf(z), want, 4e-15, 1e-320, `Φ(${z})`);
  });
  it('quantile matches mpmath to ~1e-15 relative', () => {
    for (const [p, want] of fx.normalQuantile) expectClose(normalQuantile(p), want, 2e-15, 0, `Φ⁻¹(${p})`);
  });
  it('quantile inverts the CDF and normalIsf inverts the survival function in the far tail', () => {
    for (const z of [-30, -8, -2.5, -0.1, 0.3, 1.7, 4])
      expectClose(normalQuantile(normalCdf(z)), z, 1e-14, 1e-15);
    for (const z of [5, 10, 20, 35]) expectClose(normalIsf(normalSf(z)), z, 1e-14);
  });
  it('has the right limits and rejects non-probabilities with NaN', () => {
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(1.5)).toBeNaN();
    expect(normalIsf(0)).toBe(Number.POSITIVE_INFINITY);
    expect(normalIsf(-0.1)).toBeNaN();
    expect(normalSf(Number.NaN)).toBeNaN();
    expect(normalPdf(0)).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 15);
    expect(normalPdf(50)).toBe(0);
  });
});

describe("Student's t", () => {
  it('survival function matches mpmath over df from 1 to 1e9 and tails to 1e-300', () => {
    for (const [t, df, want] of fx.studentTSf)
      expectClose(studentTSf(t, df), want, 2e-13, 1e-300, `sf(${t}; ${df})`);
  });
  it('agrees with the closed forms for 1 and 2 degrees of freedom', () => {
    for (const t of [-30, -2, -0.5, 0.1, 1, 3.3, 12, 1e4]) {
      // Cauchy: P(T > t) = ½ − atan(t)/π; ν = 2: ½ − t/(2√(2 + t²)).
      expectClose(studentTSf(t, 1), 0.5 - Math.atan(t) / Math.PI, 1e-13, 1e-16, `cauchy ${t}`);
      expectClose(studentTSf(t, 2), 0.5 - t / (2 * Math.sqrt(2 + t * t)), 1e-13, 1e-16, `ν=2 ${t}`);
    }
  });
  it('is symmetric, complements the CDF, and tends to the normal', () => {
    for (const df of [1.5, 4, 33, 1e5]) {
      for (const t of [0.2, 1.1, 2.9, 7]) {
        expectClose(studentTSf(-t, df), 1 - studentTSf(t, df), 1e-15, 1e-16);
        expectClose(studentTCdf(t, df) + studentTSf(t, df), 1, 1e-15);
      }
    }
    expect(studentTSf(1.3, Number.POSITIVE_INFINITY)).toBe(normalSf(1.3));
    expectClose(studentTSf(2.5, 1e12), normalSf(2.5), 1e-10);
    expect(studentTSf(0, 3)).toBe(0.5);
    expect(studentTSf(Number.POSITIVE_INFINITY, 3)).toBe(0);
    expect(studentTSf(Number.NEGATIVE_INFINITY, 3)).toBe(1);
    expect(studentTSf(1, 0)).toBeNaN();
    expect(studentTSf(1, Number.NaN)).toBeNaN();
  });
});

describe('incompleteBeta', () => {
  it('value and complement match mpmath, each to relative accuracy', () => {
    for (const [a, b, x, want, wantComplement] of fx.incompleteBeta) {
      const r = incompleteBeta(a, b, x);
      expectClose(r.value, want, 1e-12, 1e-300, `I_${x}(${a}, ${b})`);
      expectClose(r.complement, wantComplement, 1e-12, 1e-300, `1 − I_${x}(${a}, ${b})`);
    }
  });
  it('reduces to the closed forms I_x(1, 1) = x and I_x(a, 1) = x^a', () => {
    for (const x of [0.001, 0.2, 0.5, 0.77, 0.999]) {
      expectClose(regularizedIncompleteBeta(1, 1, x), x, 1e-14);
      expectClose(regularizedIncompleteBeta(3.5, 1, x), x ** 3.5, 1e-13);
      expectClose(regularizedIncompleteBeta(1, 2.5, x), 1 - (1 - x) ** 2.5, 1e-13);
    }
  });
  it('handles the end points and invalid arguments', () => {
    expect(incompleteBeta(2, 3, 0)).toEqual({ value: 0, complement: 1 });
    expect(incompleteBeta(2, 3, 1)).toEqual({ value: 1, complement: 0 });
    expect(incompleteBeta(-1, 3, 0.5).value).toBeNaN();
    expect(incompleteBeta(2, 3, 1.5).value).toBeNaN();
  });
});

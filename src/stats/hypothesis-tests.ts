/**
 * Two-sample tests used by regression detection, defined as SciPy 1.17 defines them:
 *
 * - `welchTTest` = scipy.stats.ttest_ind(a, b, equal_var=False, alternative=…), Welch (1947):
 *   t = (ā − b̄)/√(s_a²/n_a + s_b²/n_b) with sample variances (ddof 1) and the
 *   Welch–Satterthwaite degrees of freedom; `welchTTestFromStats` = ttest_ind_from_stats.
 * - `mannWhitneyU` = scipy.stats.mannwhitneyu: U of the first sample, average ranks for
 *   ties, the tie-corrected normal approximation with continuity correction ½, or the exact
 *   null distribution of U (Mann & Whitney 1947) when the samples are small and untied.
 *
 * `alternative` follows SciPy: 'less' means the first sample tends to be smaller
 * (for Welch: mean_a < mean_b), 'greater' the opposite.
 */
import { ValidationError } from '../errors.js';
import { checkNonEmpty, checkSample, neumaierSum, type Sample } from './internal.js';
import { rankSummary } from './ranks.js';
import { normalSf, studentTSf } from './special.js';

/** The alternative hypothesis, as SciPy's `alternative`. */
export type Alternative = 'two-sided' | 'less' | 'greater';

const ALTERNATIVES: readonly Alternative[] = ['two-sided', 'less', 'greater'];

function checkAlternative(alternative: string): Alternative {
  if (!(ALTERNATIVES as readonly string[]).includes(alternative)) {
    throw new ValidationError(`alternative must be one of ${ALTERNATIVES.join(', ')}, got '${alternative}'`, {
      field: 'alternative',
    });
  }
  return alternative as Alternative;
}

// ---------------------------------------------------------------------------------------
// Welch's t-test

/** Options of the t-tests. */
export interface TTestOptions {
  /** Default 'two-sided'. */
  alternative?: Alternative;
}

/** Result of a t-test. */
export interface TTestResult {
  /** The t statistic (±Infinity when both variances are zero and the means differ). */
  statistic: number;
  /** Welch–Satterthwaite degrees of freedom; NaN where undefined (see the functions). */
  df: number;
  /** The p-value for the chosen alternative. */
  pValue: number;
}

/** p-value of a t statistic; an infinite statistic decides the test whatever df is. */
function tPValue(t: number, df: number, alternative: Alternative): number {
  if (Number.isNaN(t)) return Number.NaN;
  if (!Number.isFinite(t)) {
    if (alternative === 'two-sided') return 0;
    return (alternative === 'less') === t < 0 ? 0 : 1;
  }
  if (alternative === 'greater') return studentTSf(t, df);
  if (alternative === 'less') return studentTSf(-t, df);
  return Math.min(1, 2 * studentTSf(Math.abs(t), df));
}

/** Welch's test from means, variances (ddof 1) and sizes. */
function welchFromMoments(
  meanA: number,
  varA: number,
  nA: number,
  meanB: number,
  varB: number,
  nB: number,
  alternative: Alternative,
): TTestResult {
  const vnA = varA / nA;
  const vnB = varB / nB;
  const statistic = (meanA - meanB) / Math.sqrt(vnA + vnB);
  if (nA < 2 || nB < 2) return { statistic, df: Number.NaN, pValue: Number.NaN };
  // Welch–Satterthwaite; 0/0 (both variances zero) stays NaN: the df is undefined then.
  const df = (vnA + vnB) ** 2 / ((vnA * vnA) / (nA - 1) + (vnB * vnB) / (nB - 1));
  return { statistic, df, pValue: tPValue(statistic, df, alternative) };
}

/** Mean and unbiased variance (ddof 1), corrected two-pass, of a NaN-free sample with n ≥ 1. */
function meanAndSampleVariance(x: Sample): { mean: number; variance: number } {
  const n = x.length;
  const m = neumaierSum(x) / n;
  if (n < 2 || !Number.isFinite(m)) return { mean: m, variance: Number.NaN };
  let ss = 0;
  let dev = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - m;
    dev += d;
    ss += d * d;
  }
  return { mean: m, variance: Math.max(0, ss - (dev * dev) / n) / (n - 1) };
}

/**
 * Welch's unequal-variance t-test of a against b, as
 * scipy.stats.ttest_ind(a, b, equal_var=False, alternative=…).
 *
 * Degenerate inputs: NaN in a or b → ValidationError. A sample with fewer than two
 * values has no variance: statistic, df and pValue are NaN (SciPy: NaN statistic and
 * p-value). Both variances zero: statistic = ±Infinity when the means differ (pValue 0,
 * or 1 for the alternative pointing the other way, as SciPy) and NaN when they are equal
 * (pValue NaN); df is NaN in both cases (SciPy reports a placeholder df of 1). One
 * variance zero is fine: df = n − 1 of the other sample.
 */
export function welchTTest(a: Sample, b: Sample, options: TTestOptions = {}): TTestResult {
  checkSample(a, 'a');
  checkSample(b, 'b');
  const alternative = checkAlternative(options.alternative ?? 'two-sided');
  if (a.length < 2 || b.length < 2) return { statistic: Number.NaN, df: Number.NaN, pValue: Number.NaN };
  const sa = meanAndSampleVariance(a);
  const sb = meanAndSampleVariance(b);
  return welchFromMoments(sa.mean, sa.variance, a.length, sb.mean, sb.variance, b.length, alternative);
}

/**
 * Welch's t-test from summary statistics, as scipy.stats.ttest_ind_from_stats(meanA, stdA,
 * nA, meanB, stdB, nB, equal_var=False): `stdA`, `stdB` are sample standard deviations
 * (ddof 1). Used when a stored baseline kept only its summary.
 *
 * Degenerate inputs: NaN arguments, negative std or non-positive n → ValidationError.
 * n < 2 → df and pValue NaN (the statistic is still reported). Zero stds behave as in
 * `welchTTest`.
 */
export function welchTTestFromStats(
  meanA: number,
  stdA: number,
  nA: number,
  meanB: number,
  stdB: number,
  nB: number,
  options: TTestOptions = {},
): TTestResult {
  const args: Record<string, number> = { meanA, stdA, nA, meanB, stdB, nB };
  for (const [name, v] of Object.entries(args)) {
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new ValidationError(`${name} must be a number, got ${v}`, { field: name });
    }
  }
  for (const [name, v] of [
    ['stdA', stdA],
    ['stdB', stdB],
  ] as const) {
    if (v < 0) throw new ValidationError(`${name} must be ≥ 0, got ${v}`, { field: name });
  }
  for (const [name, v] of [
    ['nA', nA],
    ['nB', nB],
  ] as const) {
    if (!(v > 0)) throw new ValidationError(`${name} must be > 0, got ${v}`, { field: name });
  }
  const alternative = checkAlternative(options.alternative ?? 'two-sided');
  return welchFromMoments(meanA, stdA * stdA, nA, meanB, stdB * stdB, nB, alternative);
}

// ---------------------------------------------------------------------------------------
// Mann–Whitney U

/** How the Mann–Whitney p-value is computed; 'auto' as SciPy chooses. */
export type MannWhitneyMethod = 'auto' | 'asymptotic' | 'exact';

/** Options of `mannWhitneyU`. */
export interface MannWhitneyOptions {
  /** Default 'two-sided'. */
  alternative?: Alternative;
  /** Default 'auto'. */
  method?: MannWhitneyMethod;
  /** Continuity correction ½ in the normal approximation; default true (SciPy's). */
  useContinuity?: boolean;
}

/** Result of `mannWhitneyU`. */
export interface MannWhitneyResult {
  /** U of the first sample (ties counted ½). U of the second is n1·n2 − statistic. */
  statistic: number;
  pValue: number;
  /** The method actually used ('auto' resolved). */
  method: 'asymptotic' | 'exact';
}

/**
 * SciPy 1.17's `_mwu_choose_method`: asymptotic when both samples have more than 8
 * values or when there are ties; exact otherwise (so one sample of ≤ 8 untied values
 * is enough for the exact test).
 */
function chooseMethod(n1: number, n2: number, hasTies: boolean): 'asymptotic' | 'exact' {
  if (n1 > 8 && n2 > 8) return 'asymptotic';
  if (hasTies) return 'asymptotic';
  return 'exact';
}

/**
 * P(U ≤ k) for k = 0 … kMax under the null hypothesis, for samples of sizes n1 and n2.
 *
 * The null distribution of U is that of the sum of ranks of a random n1-subset, whose
 * generating function is the Gaussian binomial coefficient
 * [n1+n2 choose m]_q / C(n1+n2, m) = Π_{i=1}^{m} (1 − q^{n+i}) / (1 − q^i) · i/(n+i)
 * with m = min(n1, n2), n = max(n1, n2) (Mann & Whitney 1947; Andrews, "The Theory of
 * Partitions", §3.3). The product is applied one factor at a time to the polynomial
 * truncated at q^kMax: division by (1 − q^i) is a running sum with stride i, multiplication
 * by (1 − q^{n+i}) a shifted subtraction, and the factor i/(n+i) keeps every intermediate a
 * probability distribution, so nothing overflows. Cost O(m · kMax). Below q^{n+1} no
 * subtraction ever happens, so the small tail probabilities are exact to rounding.
 */
export function mannWhitneyExactCdf(kMax: number, n1: number, n2: number): Float64Array {
  for (const [name, v, least] of [
    ['kMax', kMax, 0],
    ['n1', n1, 1],
    ['n2', n2, 1],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < least) {
      throw new ValidationError(`${name} must be an integer ≥ ${least}, got ${v}`, { field: name });
    }
  }
  const m = Math.min(n1, n2);
  const n = Math.max(n1, n2);
  const K = Math.min(kMax, m * n);
  const c = new Float64Array(K + 1);
  c[0] = 1;
  for (let i = 1; i <= m; i++) {
    const scale = i / (n + i);
    for (let k = i; k <= K; k++) c[k] += c[k - i];
    for (let k = K; k >= n + i; k--) c[k] -= c[k - n - i];
    const support = Math.min(K, i * n);
    for (let k = 0; k <= support; k++) c[k] = c[k] > 0 ? c[k] * scale : 0; // clamp rounding below 0
    for (let k = support + 1; k <= K; k++) c[k] = 0;
  }
  for (let k = 1; k <= K; k++) c[k] += c[k - 1];
  const out = new Float64Array(kMax + 1);
  out.set(c);
  for (let k = 0; k <= kMax; k++) if (out[k] > 1 || k >= m * n) out[k] = 1; // the whole support: exactly 1
  return out;
}

/** P(U ≥ u) under the null, from the left tail by the symmetry U ↔ n1n2 − U (as SciPy's _MWU.sf). */
function exactSf(u: number, n1: number, n2: number): number {
  const total = n1 * n2;
  const uc = total - u;
  if (u < uc) {
    if (u <= 0) return 1;
    const cdf = mannWhitneyExactCdf(u - 1, n1, n2);
    return 1 - cdf[u - 1];
  }
  if (uc < 0) return 0;
  return mannWhitneyExactCdf(uc, n1, n2)[uc];
}

/**
 * The Mann–Whitney U test (Wilcoxon rank-sum) of x against y, as scipy.stats.mannwhitneyu.
 *
 * statistic = U1 of x. For 'greater' the p-value is P(U ≥ U1), for 'less' P(U ≥ U2) with
 * U2 = n1n2 − U1, and 'two-sided' doubles P(U ≥ max(U1, U2)), clipped at 1.
 * 'asymptotic': z = (U − n1n2/2 − ½)/σ with σ² = n1n2/12 · ((n+1) − Σ(t³−t)/(n(n−1)))
 * (the ½ only with useContinuity), p = Q(z). 'exact': the permutation distribution of U
 * (see `mannWhitneyExactCdf`); like SciPy it ignores ties and truncates a half-integer U.
 * 'auto' is SciPy 1.17's rule: exact when either sample has at most 8 values and there are
 * no ties, asymptotic otherwise.
 *
 * Degenerate inputs: NaN → ValidationError; an empty sample → ValidationError (SciPy
 * raises too). All values tied: σ = 0, so with the continuity correction z = −∞ and
 * pValue = 1, without it z = 0/0 and pValue = NaN (as SciPy).
 */
export function mannWhitneyU(x: Sample, y: Sample, options: MannWhitneyOptions = {}): MannWhitneyResult {
  checkNonEmpty(x, 'x');
  checkNonEmpty(y, 'y');
  const alternative = checkAlternative(options.alternative ?? 'two-sided');
  const requested = options.method ?? 'auto';
  if (requested !== 'auto' && requested !== 'asymptotic' && requested !== 'exact') {
    throw new ValidationError(`method must be 'auto', 'asymptotic' or 'exact', got '${requested}'`, {
      field: 'method',
    });
  }
  const useContinuity = options.useContinuity ?? true;
  const n1 = x.length;
  const n2 = y.length;
  const { u1, tieTerm, hasTies } = rankSummary(x, y);
  const u2 = n1 * n2 - u1;
  let u: number;
  let factor: number;
  if (alternative === 'greater') {
    u = u1;
    factor = 1;
  } else if (alternative === 'less') {
    u = u2; // the survival function of U2 instead of the CDF of U1, by symmetry
    factor = 1;
  } else {
    u = Math.max(u1, u2);
    factor = 2;
  }
  const method = requested === 'auto' ? chooseMethod(n1, n2, hasTies) : requested;
  let p: number;
  if (method === 'exact') {
    p = exactSf(Math.trunc(u), n1, n2);
  } else {
    const n = n1 + n2;
    const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
    let numerator = u - (n1 * n2) / 2;
    if (useContinuity) numerator -= 0.5;
    p = normalSf(numerator / sigma);
  }
  p *= factor;
  if (p > 1) p = 1;
  if (p < 0) p = 0;
  return { statistic: u1, pValue: p, method };
}

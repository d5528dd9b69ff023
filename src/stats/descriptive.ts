/**
 * Descriptive statistics of one sample, defined as NumPy/SciPy define them so that numbers
 * reported here agree with a Python notebook run on the same returns:
 *
 * - `mean`, `variance`, `std`: numpy.mean / numpy.var / numpy.std (ddof = 0 by default;
 *   pass ddof = 1 for the unbiased sample variance that the t-test and `standardError` use).
 * - `quantile`: numpy.quantile with its default method 'linear' (Hyndman & Fan type 7).
 * - `median`: numpy.median (mean of the two middle values for even n).
 * - `trimmedMean`: scipy.stats.trim_mean; `iqm` is trim_mean(x, 0.25), the interquartile
 *   mean of Agarwal et al. (2021), "Deep RL at the Edge of the Statistical Precipice" (rliable).
 * - `standardError`: scipy.stats.sem (ddof = 1).
 * - `skewness`, `kurtosis`: scipy.stats.skew / scipy.stats.kurtosis (Fisher, biased by default).
 *
 * Sums are compensated (Neumaier) and the variance uses the corrected two-pass algorithm
 * (Björck; Chan, Golub & LeVeque 1983), so long runs of large, nearly equal returns do not
 * lose their spread to rounding.
 *
 * Degenerate inputs, for every function here: NaN in `x` throws a ValidationError naming
 * the argument; an empty sample gives NaN (there is nothing to describe, and NaN cannot be
 * mistaken for a real value). ±Infinity propagates by IEEE arithmetic.
 */
import { ValidationError } from '../errors.js';
import { checkSample, neumaierSum, type Sample, selectInPlace, trimmedMeanInPlace } from './internal.js';

/** Σ x, compensated (Neumaier). 0 for an empty sample. */
export function sum(x: Sample): number {
  checkSample(x, 'x');
  return neumaierSum(x);
}

/** Arithmetic mean (numpy.mean). NaN for an empty sample. */
export function mean(x: Sample): number {
  checkSample(x, 'x');
  if (x.length === 0) return Number.NaN;
  return neumaierSum(x) / x.length;
}

/** Mean of x without validation (x non-empty, NaN-free). */
function meanUnchecked(x: Sample): number {
  return neumaierSum(x) / x.length;
}

/**
 * Σ (x − m)² − (Σ (x − m))² / n: the corrected two-pass sum of squared deviations, whose
 * second term removes the error of the computed mean m.
 */
function sumSquaredDeviations(x: Sample, m: number): number {
  let ss = 0;
  let ssComp = 0;
  let dev = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - m;
    dev += d;
    const sq = d * d;
    const t = ss + sq;
    ssComp += ss >= sq ? ss - t + sq : sq - t + ss;
    ss = t;
  }
  return ss + ssComp - (dev * dev) / x.length;
}

function checkDdof(ddof: number): void {
  if (!Number.isInteger(ddof) || ddof < 0) {
    throw new ValidationError(`ddof must be a non-negative integer, got ${ddof}`, { field: 'ddof' });
  }
}

/**
 * Variance Σ (x − mean)² / (n − ddof), as numpy.var(x, ddof=ddof). The default ddof = 0
 * is numpy's (the population variance); ddof = 1 gives the unbiased sample variance.
 * NaN when n − ddof ≤ 0 (e.g. one observation with ddof = 1) or x is empty.
 */
export function variance(x: Sample, ddof = 0): number {
  checkSample(x, 'x');
  checkDdof(ddof);
  const n = x.length;
  if (n === 0 || n - ddof <= 0) return Number.NaN;
  const m = meanUnchecked(x);
  if (!Number.isFinite(m)) return Number.NaN;
  return Math.max(0, sumSquaredDeviations(x, m)) / (n - ddof);
}

/** Standard deviation √variance(x, ddof), as numpy.std(x, ddof=ddof); ddof defaults to 0 as in numpy. */
export function std(x: Sample, ddof = 0): number {
  return Math.sqrt(variance(x, ddof));
}

/** Standard error of the mean, std(x, ddof=1)/√n, as scipy.stats.sem. NaN for n < 2. */
export function standardError(x: Sample): number {
  return std(x, 1) / Math.sqrt(x.length);
}

/** Smallest value. NaN for an empty sample. */
export function min(x: Sample): number {
  checkSample(x, 'x');
  if (x.length === 0) return Number.NaN;
  let m = x[0];
  for (let i = 1; i < x.length; i++) if (x[i] < m) m = x[i];
  return m;
}

/** Largest value. NaN for an empty sample. */
export function max(x: Sample): number {
  checkSample(x, 'x');
  if (x.length === 0) return Number.NaN;
  let m = x[0];
  for (let i = 1; i < x.length; i++) if (x[i] > m) m = x[i];
  return m;
}

/** (a + b)/2 as numpy's mean of two values, without overflowing for huge finite a, b. */
function midpoint(a: number, b: number): number {
  const s = a + b;
  return Number.isFinite(s) || !Number.isFinite(a) || !Number.isFinite(b) ? s / 2 : a / 2 + b / 2;
}

/** Median as numpy.median: the middle value, or the mean of the two middle values for even n. NaN when empty. */
export function median(x: Sample): number {
  checkSample(x, 'x');
  const n = x.length;
  if (n === 0) return Number.NaN;
  const buf = Float64Array.from(x);
  return medianInPlace(buf, n);
}

/** Median of buf[0..n), rearranging buf (n ≥ 1, no NaN). */
export function medianInPlace(buf: Float64Array, n: number): number {
  const h = n >>> 1;
  selectInPlace(buf, h, 0, n - 1);
  if (n % 2 === 1) return buf[h];
  // The other middle value is the largest of the lower half.
  let lowerMax = buf[0];
  for (let i = 1; i < h; i++) if (buf[i] > lowerMax) lowerMax = buf[i];
  return midpoint(lowerMax, buf[h]);
}

/**
 * numpy's `_lerp(a, b, t)`: a + (b − a) t for t < ½ and b − (b − a)(1 − t) for t ≥ ½,
 * which is exact at both ends and monotone in t.
 */
function lerp(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** The q-quantile of an ascending array (numpy 'linear': virtual index (n − 1) q). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  if (h >= n - 1) return sorted[n - 1];
  const lo = Math.floor(h);
  return lerp(sorted[lo], sorted[lo + 1], h - lo);
}

function checkProbability(q: number, name: string): void {
  if (!(q >= 0 && q <= 1)) {
    throw new ValidationError(`${name} must be in [0, 1], got ${q}`, { field: name });
  }
}

/**
 * Quantile(s) of x as numpy.quantile(x, q) with the default method 'linear': with x sorted
 * and h = (n − 1) q, the value x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]). `q` is one probability
 * or an array of them, each in [0, 1] (ValidationError otherwise). NaN (or NaNs) when x is empty.
 */
export function quantile(x: Sample, q: number): number;
export function quantile(x: Sample, q: ArrayLike<number>): number[];
export function quantile(x: Sample, q: number | ArrayLike<number>): number | number[] {
  checkSample(x, 'x');
  if (typeof q === 'number') {
    checkProbability(q, 'q');
    const n = x.length;
    if (n === 0) return Number.NaN;
    // One quantile needs only the two order statistics around h: select, then take the
    // smallest value above the selected one.
    const buf = Float64Array.from(x);
    const h = (n - 1) * q;
    if (h >= n - 1) {
      let m = buf[0];
      for (let i = 1; i < n; i++) if (buf[i] > m) m = buf[i];
      return m;
    }
    const lo = Math.floor(h);
    selectInPlace(buf, lo, 0, n - 1);
    let next = buf[lo + 1];
    for (let i = lo + 2; i < n; i++) if (buf[i] < next) next = buf[i];
    return lerp(buf[lo], next, h - lo);
  }
  for (let i = 0; i < q.length; i++) checkProbability(q[i], `q[${i}]`);
  const sorted = Float64Array.from(x).sort();
  const out = new Array<number>(q.length);
  for (let i = 0; i < q.length; i++) out[i] = quantileSorted(sorted, q[i]);
  return out;
}

/**
 * Trimmed mean as scipy.stats.trim_mean(x, proportion): ⌊proportion · n⌋ values are cut
 * from each end (no partial weights) and the rest averaged. `proportion` in [0, 0.5)
 * (ValidationError otherwise). NaN when x is empty.
 */
export function trimmedMean(x: Sample, proportion: number): number {
  checkSample(x, 'x');
  if (!(proportion >= 0 && proportion < 0.5)) {
    throw new ValidationError(`proportion must be in [0, 0.5), got ${proportion}`, { field: 'proportion' });
  }
  const n = x.length;
  if (n === 0) return Number.NaN;
  // int(proportiontocut * nobs) in SciPy: the product is rounded before truncation.
  const g = Math.trunc(proportion * n);
  return trimmedMeanInPlace(Float64Array.from(x), n, g);
}

/**
 * Interquartile mean: the mean of the middle 50%, scipy.stats.trim_mean(x, 0.25) exactly as
 * rliable's `aggregate_iqm` uses it (⌊n/4⌋ values dropped per side). Robust to the outlier
 * runs that move the mean, yet far less noisy than the median (Agarwal et al. 2021).
 * For n < 4 nothing is trimmed and it equals the mean. NaN when x is empty.
 */
export function iqm(x: Sample): number {
  return trimmedMean(x, 0.25);
}

/** Options of `skewness` and `kurtosis`. */
export interface MomentOptions {
  /** false applies the small-sample corrections (SciPy's bias=False); default true as SciPy. */
  bias?: boolean;
}

/**
 * Central moments m2, m3, m4 (divided by n). The deviations are taken from the computed
 * mean and then shifted by the mean of those deviations (the rounding error of the mean),
 * which otherwise enters m3 at first order when the spread is tiny next to the level.
 */
function centralMoments(x: Sample): { mean: number; m2: number; m3: number; m4: number } {
  const n = x.length;
  const m = meanUnchecked(x);
  let shift = 0;
  for (let i = 0; i < n; i++) shift += x[i] - m;
  shift /= n;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - m - shift;
    const d2 = d * d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
  }
  return { mean: m, m2: s2 / n, m3: s3 / n, m4: s4 / n };
}

/** SciPy's test for a constant sample: m2 ≤ (resolution · mean)², resolution = 1e-15 for float64. */
function isNumericallyConstant(m2: number, meanValue: number): boolean {
  const r = 1e-15 * meanValue;
  return m2 <= r * r;
}

/**
 * Sample skewness g1 = m3 / m2^{3/2} as scipy.stats.skew (bias=True by default; with
 * bias=false the adjusted Fisher–Pearson G1 = g1 √(n(n−1))/(n−2), NaN for n < 3).
 * NaN for an empty or (numerically) constant sample, as SciPy.
 */
export function skewness(x: Sample, options: MomentOptions = {}): number {
  checkSample(x, 'x');
  const n = x.length;
  if (n === 0) return Number.NaN;
  const { mean: m, m2, m3 } = centralMoments(x);
  if (isNumericallyConstant(m2, m)) return Number.NaN;
  const g1 = m3 / m2 ** 1.5;
  if (options.bias ?? true) return g1;
  if (n < 3) return Number.NaN;
  return (g1 * Math.sqrt(n * (n - 1))) / (n - 2);
}

/**
 * Excess kurtosis g2 = m4 / m2² − 3 (Fisher's definition) as scipy.stats.kurtosis (bias=True
 * by default; with bias=false the adjusted G2 = ((n+1) g2 + 6)(n−1)/((n−2)(n−3)), NaN for
 * n < 4). NaN for an empty or (numerically) constant sample, as SciPy.
 */
export function kurtosis(x: Sample, options: MomentOptions = {}): number {
  checkSample(x, 'x');
  const n = x.length;
  if (n === 0) return Number.NaN;
  const { mean: m, m2, m4 } = centralMoments(x);
  if (isNumericallyConstant(m2, m)) return Number.NaN;
  const g2 = m4 / (m2 * m2) - 3;
  if (options.bias ?? true) return g2;
  if (n < 4) return Number.NaN;
  return (((n + 1) * g2 + 6) * (n - 1)) / ((n - 2) * (n - 3));
}

/**
 * Special functions behind the tests: log-gamma, log-beta, the regularised incomplete beta
 * function (for Student's t), erf/erfc and the normal distribution (CDF, survival function,
 * quantile).
 *
 * Every function is written for float64 accuracy in the tails, because p-values of 1e-12
 * must come out right, not as 0 or as 1 − (1 − p):
 *
 * - ln Γ(x): Stirling's series with the Bernoulli-number correction terms (DLMF 5.11.1)
 *   for x ≥ 10, and the recurrence Γ(x) = Γ(x + k) / (x (x+1) … (x+k−1)) below that.
 *   Absolute error ≈ 1e-15 (what matters once it is exponentiated).
 * - ln B(a, b): for large arguments the Stirling forms are combined algebraically so that the
 *   big terms cancel exactly instead of in floating point.
 * - I_x(a, b): the continued fraction DLMF 8.17.22 evaluated by the modified Lentz method
 *   (Numerical Recipes §6.4), on the side of the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) where
 *   it converges fast, and returned together with its complement so that neither is ever
 *   formed as 1 − (something close to 1). For b = ½ and large a (Student's t with many
 *   degrees of freedom), where the fraction cancels, an asymptotic expansion in incomplete
 *   gamma functions (BGRAT of DiDonato & Morris, TOMS 708) is used instead.
 * - erfc: the Maclaurin series of erf for |x| < 1, and for x ≥ 1 the even part of the Laplace
 *   continued fraction (DLMF 7.9.2), evaluated backwards from a fixed depth (stable, ≈ 1 ulp).
 *   The factor e^{−x²} is formed with x split into a short head and a tail (the device of
 *   W. J. Cody's erfc code) so that the rounding of x² does not cost relative accuracy.
 * - Normal quantile: the rational approximation of Abramowitz & Stegun 26.2.23 (|error| <
 *   4.5e-4) refined by Halley steps on the accurate CDF, to full double precision.
 */

// ---------------------------------------------------------------------------------------
// Log-gamma and log-beta

/** ½ ln(2π). */
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Coefficients B_{2k} / (2k (2k−1)) of Stirling's series ln Γ(x) ≈ (x−½) ln x − x + ½ ln 2π +
 * Σ_k B_{2k} / (2k (2k−1) x^{2k−1}) (DLMF 5.11.1), from the Bernoulli numbers B_2 … B_16.
 * At x ≥ 10 the first omitted term is below 2e-18.
 */
const STIRLING = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510].map(
  (b, i) => b / ((2 * i + 2) * (2 * i + 1)),
);

/** Where Stirling's series is used directly. */
const STIRLING_MIN = 10;

/** Stirling's correction δ(x) = ln Γ(x) − [(x−½) ln x − x + ½ ln 2π], for x ≥ 10. */
function stirlingCorrection(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  let s = 0;
  for (let k = STIRLING.length - 1; k >= 0; k--) s = s * r2 + STIRLING[k];
  return s * r;
}

/**
 * ln Γ(x) for x > 0 (NaN for x ≤ 0 or NaN; +Infinity for x = +Infinity).
 * Absolute error about 1e-15 over (0, 1e300).
 */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return x;
  if (x >= STIRLING_MIN) return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + stirlingCorrection(x);
  // Γ(x) = Γ(x + k) / (x (x+1) … (x+k−1)); the product stays below 10! · 10 ≈ 4e7.
  let prod = 1;
  let z = x;
  while (z < STIRLING_MIN) {
    prod *= z;
    z += 1;
  }
  return logGamma(z) - Math.log(prod);
}

/**
 * ln[Γ(a) / Γ(a + b)] for a ≥ 10 (b > 0), from Stirling's series with the large terms
 * cancelled algebraically: (a−½) ln(a/c) − b ln c + b + δ(a) − δ(c), c = a + b.
 */
function logGammaRatioLarge(a: number, b: number): number {
  const c = a + b;
  return (a - 0.5) * Math.log1p(-b / c) - b * Math.log(c) + b + stirlingCorrection(a) - stirlingCorrection(c);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), for a, b > 0 (NaN otherwise). */
export function logBeta(a: number, b: number): number {
  if (!(a > 0 && b > 0)) return Number.NaN;
  const big = Math.max(a, b);
  const small = Math.min(a, b);
  if (big < STIRLING_MIN) return logGamma(a) + logGamma(b) - logGamma(a + b);
  if (small < STIRLING_MIN) return logGamma(small) + logGammaRatioLarge(big, small);
  // Both large: (a−½) ln(a/c) + (b−½) ln(b/c) − ½ ln c + ½ ln 2π + δ(a) + δ(b) − δ(c).
  const c = a + b;
  return (
    (a - 0.5) * Math.log1p(-b / c) +
    (b - 0.5) * Math.log1p(-a / c) -
    0.5 * Math.log(c) +
    LN_SQRT_2PI +
    stirlingCorrection(a) +
    stirlingCorrection(b) -
    stirlingCorrection(c)
  );
}

// ---------------------------------------------------------------------------------------
// Regularised incomplete beta

/** A regularised incomplete beta value I_x(a, b) and its complement 1 − I_x(a, b), both to full relative accuracy. */
export interface BetaPair {
  value: number;
  complement: number;
}

/**
 * ln[x^a y^b / B(a, b)] with y = 1 − x given separately (so that it is exact when x is close
 * to 1). For a, b ≥ 10 near the mode the Stirling terms are folded together (as TOMS 708 does):
 * a ln(xc/a) + b ln(yc/b) + ½ ln(ab/c) − ½ ln 2π − [δ(a) + δ(b) − δ(c)], with
 * xc/a = 1 + (xb − ya)/a, so nothing large cancels numerically.
 */
function logBetaPowerTerm(a: number, b: number, x: number, y: number): number {
  const d = x * b - y * a;
  // Near the mode (x ≈ a/c) the separate terms are large and cancel: fold them. Far from
  // it 1 + d/a itself would cancel, and the plain logarithms are accurate.
  if (a >= STIRLING_MIN && b >= STIRLING_MIN && Math.abs(d) < 0.5 * Math.min(a, b)) {
    const c = a + b;
    return (
      a * Math.log1p(d / a) +
      b * Math.log1p(-d / b) +
      0.5 * Math.log((a / c) * b) -
      LN_SQRT_2PI -
      (stirlingCorrection(a) + stirlingCorrection(b) - stirlingCorrection(c))
    );
  }
  const lnX = x > 0.5 ? Math.log1p(-y) : Math.log(x);
  const lnY = y > 0.5 ? Math.log1p(-x) : Math.log(y);
  return a * lnX + b * lnY - logBeta(a, b);
}

const LENTZ_TINY = 1e-300;
const LENTZ_EPS = 1e-16;
const LENTZ_MAX_ITERATIONS = 100_000;

/**
 * The continued fraction of DLMF 8.17.22, 1/(1 + d1/(1 + d2/(1 + …))), by the modified Lentz
 * method, with d_{2m+1} = −(a+m)(a+b+m) x / ((a+2m)(a+2m+1)) and
 * d_{2m} = m(b−m) x / ((a+2m−1)(a+2m)). Converges quickly for x < (a+1)/(a+b+2).
 */
function betaContinuedFraction(a: number, b: number, x: number): number {
  // Term d1 (m = 0 of the odd form) first, then pairs (even m, odd m).
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < LENTZ_TINY) d = LENTZ_TINY;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= LENTZ_MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    // even step: d_{2m}
    let coef = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + coef * d;
    if (Math.abs(d) < LENTZ_TINY) d = LENTZ_TINY;
    c = 1 + coef / c;
    if (Math.abs(c) < LENTZ_TINY) c = LENTZ_TINY;
    d = 1 / d;
    f *= d * c;
    // odd step: d_{2m+1}
    coef = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + coef * d;
    if (Math.abs(d) < LENTZ_TINY) d = LENTZ_TINY;
    c = 1 + coef / c;
    if (Math.abs(c) < LENTZ_TINY) c = LENTZ_TINY;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < LENTZ_EPS) return f;
  }
  // Not converged after 100,000 steps (only for extreme a, b): the last convergent is the best available.
  return f;
}

/**
 * Power-series coefficients c_n of g(w) = ((1 − e^{−w})/w)^{b−1} e^{(b−1)w/2} =
 * (sinh(w/2)/(w/2))^{b−1} = Σ c_n w^{2n} for b = ½: the series sinh(v)/v = Σ v^{2k}/(2k+1)!
 * raised to the power b − 1 by J. C. P. Miller's recurrence (Knuth, TAOCP vol. 2, §4.7),
 * then v = w/2. The radius of convergence is |w| = 2π, so c_n shrinks like (2π)^{−2n}.
 */
const HALF_B_SERIES = ((): Float64Array => {
  const terms = 40;
  const alpha = -0.5; // b − 1 with b = ½
  const s = new Float64Array(terms); // sinh(v)/v in powers of z = v²
  let fact = 1;
  for (let k = 0; k < terms; k++) {
    if (k > 0) fact *= 2 * k * (2 * k + 1);
    s[k] = 1 / fact;
  }
  const p = new Float64Array(terms);
  p[0] = 1;
  for (let n = 1; n < terms; n++) {
    let acc = 0;
    for (let k = 1; k <= n; k++) acc += ((alpha + 1) * k - n) * s[k] * p[n - k];
    p[n] = acc / n;
  }
  for (let n = 0; n < terms; n++) p[n] /= 4 ** n; // z = v² = w²/4
  return p;
})();

/** Smallest a for which the large-a expansion below is used (its truncation error is ≈ e^{−2πa}). */
const LARGE_A_MIN = 15;

/**
 * I_x(a, ½) for large a and x > ½, where the continued fraction loses digits (its first
 * partial denominators are 1 − O(1/a) and cancel). This is the expansion behind BGRAT of
 * DiDonato & Morris (TOMS 708), derived for b = ½: with t = e^{−w},
 * t^{a−1}(1−t)^{b−1} dt = e^{−Tw} w^{b−1} g(w) dw, T = a + (b−1)/2, so with u = −T ln x
 * I_x(a,b) = Σ_n c_n T^{−2n} Γ(b+2n, u) / (B(a,b) T^b). Γ(½, u) = √π erfc(√u), and
 * Γ(s+2, u) = (s+1) s Γ(s, u) + u^s e^{−u} (s + 1 + u) gives the rest (forward, stable).
 */
function largeAHalfB(a: number, y: number): BetaPair {
  const b = 0.5;
  const T = a + (b - 1) / 2;
  const u = -T * Math.log1p(-y);
  const ru = Math.sqrt(u);
  // H_n = Γ(b+2n, u) e^u u^{−b} / T^{2n}; H_0 = √π erfcx(√u)/√u.
  let h = (Math.sqrt(Math.PI) * erfcx(ru)) / ru;
  let uOverT2n = 1; // (u/T)^{2n}
  const invT2 = 1 / (T * T);
  let sum = HALF_B_SERIES[0] * h;
  for (let n = 0; n + 1 < HALF_B_SERIES.length; n++) {
    const sExp = b + 2 * n;
    h = ((sExp + 1) * sExp * h + uOverT2n * (sExp + 1 + u)) * invT2;
    uOverT2n *= (u / T) * (u / T);
    const term = HALF_B_SERIES[n + 1] * h;
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  const value = Math.exp(-u + b * Math.log(u / T) - logBeta(a, b)) * sum;
  return { value, complement: 1 - value };
}

/**
 * The regularised incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b) and its
 * complement, for a, b > 0 and 0 ≤ x ≤ 1. Pass `y` = 1 − x when it is known more
 * accurately than by subtraction (e.g. y = t²/(ν + t²) for Student's t). NaN arguments or
 * a, b ≤ 0 or x outside [0, 1] give NaN for both.
 */
export function incompleteBeta(a: number, b: number, x: number, y: number = 1 - x): BetaPair {
  if (!(a > 0 && b > 0 && x >= 0 && x <= 1 && y >= 0 && y <= 1)) {
    return { value: Number.NaN, complement: Number.NaN };
  }
  if (x === 0) return { value: 0, complement: 1 };
  if (y === 0) return { value: 1, complement: 0 };
  if (x < (a + 1) / (a + b + 2)) {
    if (b === 0.5 && a >= LARGE_A_MIN && x > 0.5) return largeAHalfB(a, y);
    const value = (Math.exp(logBetaPowerTerm(a, b, x, y)) / a) * betaContinuedFraction(a, b, x);
    return { value, complement: 1 - value };
  }
  const complement = (Math.exp(logBetaPowerTerm(b, a, y, x)) / b) * betaContinuedFraction(b, a, y);
  return { value: 1 - complement, complement };
}

/** I_x(a, b), the regularised incomplete beta function (see `incompleteBeta`). */
export function regularizedIncompleteBeta(a: number, b: number, x: number): number {
  return incompleteBeta(a, b, x).value;
}

// ---------------------------------------------------------------------------------------
// Student's t

/**
 * Survival function P(T > t) of Student's t with `df` > 0 degrees of freedom:
 * ½ I_{ν/(ν+t²)}(ν/2, ½) for t > 0 (DLMF 8.17.4 with the t ↔ beta relation), and
 * 1 − that for t < 0 computed from the complement. `df` = Infinity gives the normal
 * survival function. NaN when t or df is NaN or df ≤ 0.
 */
export function studentTSf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
  if (df === Number.POSITIVE_INFINITY) return normalSf(t);
  if (t === 0) return 0.5;
  if (t === Number.POSITIVE_INFINITY) return 0;
  if (t === Number.NEGATIVE_INFINITY) return 1;
  // x = ν/(ν+t²) and y = t²/(ν+t²), each formed without cancellation or overflow of t².
  let x: number;
  let y: number;
  if (Math.abs(t) > Math.sqrt(df)) {
    const r = df / t / t;
    x = r / (1 + r);
    y = 1 / (1 + r);
  } else {
    const r = (t / df) * t;
    x = 1 / (1 + r);
    y = r / (1 + r);
  }
  const beta = incompleteBeta(df / 2, 0.5, x, y);
  // P(T > |t|) = ½ I_x(ν/2, ½); for t < 0, P(T > t) = 1 − that = ½ + ½ (1 − I_x), from the complement.
  return t > 0 ? 0.5 * beta.value : 0.5 + 0.5 * beta.complement;
}

/** CDF P(T ≤ t) of Student's t with `df` degrees of freedom: studentTSf(−t, df). */
export function studentTCdf(t: number, df: number): number {
  return studentTSf(-t, df);
}

// ---------------------------------------------------------------------------------------
// erf, erfc and the normal distribution

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** erf(x) for |x| < 1 from its Maclaurin series 2/√π Σ (−1)^n x^{2n+1} / (n! (2n+1)) (DLMF 7.6.1). */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x; // (−1)^n x^{2n+1} / n!
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= -x2 / n;
    const contribution = term / (2 * n + 1);
    sum += contribution;
    if (Math.abs(contribution) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

/**
 * The scaled complementary error function e^{x²} erfc(x) for x ≥ 1, from the even
 * contraction of Laplace's continued fraction (DLMF 7.9.2):
 * erfc(x) = (2x e^{−x²}/√π) / (2x² + 1 − 1·2/(2x² + 5 − 3·4/(2x² + 9 − …))).
 * Evaluated backwards from depth N = ⌈100/x²⌉ + 12, enough for full double precision at x = 1
 * (checked against mpmath), and fewer terms as x grows.
 */
function erfcxContinuedFraction(x: number): number {
  const z = 2 * x * x;
  const depth = Math.ceil(100 / (x * x)) + 12;
  let f = z + 1 + 4 * depth;
  for (let k = depth; k >= 1; k--) f = z + 1 + 4 * (k - 1) - ((2 * k - 1) * (2 * k)) / f;
  return (TWO_OVER_SQRT_PI * x) / f;
}

/**
 * e^{−s x²} for x ≥ 0 and s ∈ {1, ½} without the rounding error of x²: x is split into a
 * head h = ⌊16x⌋/16 (whose square is exact) and the rest, and
 * e^{−s x²} = e^{−s h²} · e^{−s (x−h)(x+h)} (Cody's trick).
 */
function expNegSquare(x: number, s: number): number {
  const h = Math.trunc(x * 16) / 16;
  return Math.exp(-s * h * h) * Math.exp(-s * (x - h) * (x + h));
}

/** The scaled complementary error function e^{x²} erfc(x) for x ≥ 0. */
function erfcx(x: number): number {
  if (x < 1) return Math.exp(x * x) * (1 - erfSeries(x));
  return erfcxContinuedFraction(x);
}

/** The error function erf(x) = 2/√π ∫₀ˣ e^{−t²} dt (odd; ±1 at ±Infinity; NaN for NaN). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  if (ax < 1) return erfSeries(x);
  const tail = ax > 27 ? 0 : expNegSquare(ax, 1) * erfcxContinuedFraction(ax);
  return x > 0 ? 1 - tail : tail - 1;
}

/**
 * The complementary error function erfc(x) = 1 − erf(x), accurate to a few ulp relative
 * for x > 0 (where it is small) down to the underflow threshold near x = 26.6.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return x;
  if (Math.abs(x) < 1) return 1 - erfSeries(x);
  const ax = Math.abs(x);
  const tail = ax > 27 ? 0 : expNegSquare(ax, 1) * erfcxContinuedFraction(ax);
  return x > 0 ? tail : 2 - tail;
}

/** Standard normal density φ(z) = e^{−z²/2}/√(2π). */
export function normalPdf(z: number): number {
  if (Number.isNaN(z)) return z;
  const az = Math.abs(z);
  if (az > 40) return 0;
  return INV_SQRT_2PI * expNegSquare(az, 0.5);
}

/**
 * Standard normal survival function Q(z) = P(Z > z) = ½ erfc(z/√2), with relative accuracy
 * in the upper tail (Q(37) ≈ 5.7e-300 comes out right). The exponential is formed from z
 * itself, not from the rounded z/√2, so only the slowly varying factor sees that rounding.
 */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return z;
  const x = z / Math.SQRT2;
  if (Math.abs(x) < 1) return 0.5 * (1 - erfSeries(x));
  const az = Math.abs(z);
  const tail = az > 40 ? 0 : 0.5 * expNegSquare(az, 0.5) * erfcxContinuedFraction(Math.abs(x));
  return z > 0 ? tail : 1 - tail;
}

/** Standard normal CDF Φ(z) = P(Z ≤ z) = Q(−z), accurate in the lower tail. */
export function normalCdf(z: number): number {
  return normalSf(-z);
}

/**
 * Lower-tail normal quantile for 0 < p ≤ ½ (result ≤ 0): the starting value of
 * Abramowitz & Stegun 26.2.23, t − (c0 + c1 t + c2 t²)/(1 + d1 t + d2 t² + d3 t³) with
 * t = √(−2 ln p) (|error| < 4.5e-4), then Halley's method on Φ(x) − p, which triples the
 * number of correct digits per step.
 */
function lowerNormalQuantile(p: number): number {
  const t = Math.sqrt(-2 * Math.log(p));
  let x = -(
    t -
    (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308)))
  );
  // Near the centre Φ(x) − p is formed as ½ erf(x/√2) − (p − ½): p − ½ is exact there
  // (Sterbenz) and erf keeps the relative accuracy of a small x.
  const central = p > 0.25;
  for (let iter = 0; iter < 6; iter++) {
    const e = central ? 0.5 * erfSeries(x / Math.SQRT2) - (p - 0.5) : normalCdf(x) - p;
    // u = e / φ(x), written with logarithms so that φ(x) cannot underflow for tiny p.
    const u =
      e === 0 ? 0 : Math.sign(e) * Math.exp(Math.log(Math.abs(e)) + 0.5 * x * x - Math.log(INV_SQRT_2PI));
    const step = u / (1 + 0.5 * x * u);
    x -= step;
    if (Math.abs(step) <= 1e-16 * Math.abs(x)) break;
  }
  return x;
}

/**
 * Standard normal quantile (inverse CDF) Φ⁻¹(p): −Infinity at 0, +Infinity at 1, NaN
 * outside [0, 1]. Accurate to about 1e-15 relative; for upper-tail probabilities given as a
 * small q = 1 − p, use `normalIsf(q)`, which avoids the rounding of 1 − q.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  return p < 0.5 ? lowerNormalQuantile(p) : -lowerNormalQuantile(1 - p);
}

/** Inverse survival function of the standard normal: the z with P(Z > z) = q. */
export function normalIsf(q: number): number {
  if (!(q >= 0 && q <= 1)) return Number.NaN;
  if (q === 0) return Number.POSITIVE_INFINITY;
  if (q === 1) return Number.NEGATIVE_INFINITY;
  if (q === 0.5) return 0;
  return q < 0.5 ? -lowerNormalQuantile(q) : lowerNormalQuantile(1 - q);
}

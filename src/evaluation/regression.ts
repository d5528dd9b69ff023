/**
 * Regression verdicts: is the current agent worse than its baseline, how sure are we, how
 * bad is it, and should it be rolled back? (DESIGN.md §5; definitions and measured error
 * rates in docs/evaluation/regression.md.)
 *
 * Two layers, kept apart on purpose:
 *
 * 1. The four policy checks of the original design, each a plain threshold on the
 *    observed figures (configurable, DESIGN.md §8): failure rate > EVAL_FAILURE_RATE (0.15),
 *    reward drop > EVAL_REWARD_DROP_PCT (10%), loss trend increasing (only when training),
 *    return variance > EVAL_VARIANCE_MULTIPLIER (2.5) × the baseline's. They say what is
 *    wrong; on their own they cannot tell a real change from noise.
 * 2. Statistical evidence on the returns: one-sided Welch t-tests (Welch 1947) of a drop, of
 *    a gain, and of "the drop is at least the threshold" (a non-inferiority test), the
 *    one-sided Mann-Whitney U test, a seeded percentile-bootstrap CI of the difference of
 *    means, Hedges' g, and Holm's correction (Holm 1979) across environments.
 *
 * The verdict, in the spirit of Chromium Pinpoint's different / same / unknown:
 *   regression     a drop is significant at alpha (Holm-adjusted) AND it is practically
 *                  relevant: a drop of the threshold or more is not ruled out, or a policy
 *                  check failed;
 *   improvement    otherwise, a gain is significant at alpha (Holm-adjusted);
 *   no_regression  otherwise, a drop of the threshold or more is ruled out at alpha (the
 *                  upper confidence bound of the drop is below the threshold);
 *   inconclusive   otherwise: the data cannot separate a relevant drop from noise.
 * The Welch tests decide (the policy speaks of the mean return, and the bootstrap CI and the
 * Mann-Whitney test are about other quantities or are not exact at small n); the
 * Mann-Whitney p-value and the bootstrap CI are reported beside them as a cross-check.
 */
import { ValidationError } from '../errors.js';
import {
  bootstrapDifferenceCI,
  holmBonferroni,
  logGamma,
  mannWhitneyU,
  mean,
  studentTSf,
  variance,
  zTestSampleSize,
} from '../stats/index.js';
import {
  type BaselineMetrics,
  type ConfidenceInterval,
  type MetricsResult,
  type RegressionFigures,
  type RegressionReport,
  SEVERITIES,
  type Severity,
  type Verdict,
} from './schemas.js';

// ---------------------------------------------------------------------------------------
// Configuration

/** Thresholds and settings of regression detection. */
export interface RegressionThresholds {
  /** EVAL_FAILURE_RATE: the failure-rate check fails when the current failure rate exceeds this. */
  failureRate: number;
  /**
   * EVAL_REWARD_DROP_PCT: the reward-drop check fails when the mean return fell by more than
   * this percentage of the reward scale; also the margin of the non-inferiority test.
   */
  rewardDropPct: number;
  /**
   * The loss-trend check fails when the loss trend exceeds this. The trend is computed with
   * the metrics: the least-squares slope of the loss per update over the last
   * EVAL_LOSS_TREND_WINDOW updates (10 by default), relative to the mean |loss| of that
   * window. Default 0.01: a rise of 1% of the mean loss per update, 10% over a 10-update
   * window — "increasing" beyond the wobble of a flat loss.
   */
  lossTrendTolerance: number;
  /** EVAL_VARIANCE_MULTIPLIER: the variance check fails above this ratio to the baseline variance. */
  varianceMultiplier: number;
  /** Significance level of the one-sided tests (family-wise across environments, by Holm). */
  alpha: number;
  /** should_rollback when a regression's severity is at least this. */
  rollbackSeverity: Severity;
  /**
   * The denominator of reward_drop_pct in reward units; null (default) picks
   * max(|baseline mean|, baseline std) — see `rewardScale`.
   */
  rewardScale: number | null;
  /** Coverage of the bootstrap CI of the difference of means. */
  ciLevel: number;
  /** Bootstrap resamples; 0 skips the bootstrap (diff_ci null; the verdict does not use it). */
  bootstrapResamples: number;
  /** Seed of the bootstrap's Generator: the same inputs always give the same report. */
  seed: number;
}

/** The defaults (DESIGN.md §8 for the four policy thresholds). */
export const DEFAULT_REGRESSION_THRESHOLDS: Readonly<RegressionThresholds> = Object.freeze({
  failureRate: 0.15,
  rewardDropPct: 10,
  lossTrendTolerance: 0.01,
  varianceMultiplier: 2.5,
  alpha: 0.05,
  rollbackSeverity: 'high',
  rewardScale: null,
  ciLevel: 0.95,
  bootstrapResamples: 2000,
  seed: 0,
});

/** Names of the policy checks, as they appear in `failed_checks`. */
export const POLICY_CHECKS = ['failure_rate', 'reward_drop', 'loss_trend', 'variance'] as const;
export type PolicyCheck = (typeof POLICY_CHECKS)[number];

/**
 * Below this fraction of the reward scale, a baseline's standard deviation is treated as
 * this fraction for the variance check: a baseline that never varied (CartPole at 500 in
 * every episode) would otherwise make any spread at all an infinite variance ratio.
 */
const VARIANCE_FLOOR_FRACTION = 0.01;

function fail(field: string, message: string): never {
  throw new ValidationError(`${field} ${message}`, { field });
}

/** Defaults merged with `partial`, validated (ValidationError naming the field). */
export function resolveThresholds(partial: Partial<RegressionThresholds> = {}): RegressionThresholds {
  const t: RegressionThresholds = { ...DEFAULT_REGRESSION_THRESHOLDS };
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    if (!(key in t)) fail(key, 'is not a regression threshold');
    (t as unknown as Record<string, unknown>)[key] = value;
  }
  const unit = (name: keyof RegressionThresholds, v: number, open: boolean) => {
    if (typeof v !== 'number' || !(open ? v > 0 && v < 1 : v >= 0 && v <= 1)) {
      fail(name, `must be in ${open ? '(0, 1)' : '[0, 1]'}, got ${v}`);
    }
  };
  unit('failureRate', t.failureRate, false);
  unit('alpha', t.alpha, true);
  unit('ciLevel', t.ciLevel, true);
  if (t.alpha >= 0.5) fail('alpha', `must be below 0.5 for one-sided tests, got ${t.alpha}`);
  for (const name of ['rewardDropPct', 'lossTrendTolerance'] as const) {
    const v = t[name];
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))
      fail(name, `must be a finite number ≥ 0, got ${v}`);
  }
  if (
    typeof t.varianceMultiplier !== 'number' ||
    !(t.varianceMultiplier >= 1) ||
    !Number.isFinite(t.varianceMultiplier)
  ) {
    fail('varianceMultiplier', `must be a finite number ≥ 1, got ${t.varianceMultiplier}`);
  }
  if (!(SEVERITIES as readonly string[]).includes(t.rollbackSeverity)) {
    fail('rollbackSeverity', `must be one of ${SEVERITIES.join(', ')}, got ${t.rollbackSeverity}`);
  }
  if (
    t.rewardScale !== null &&
    !(typeof t.rewardScale === 'number' && t.rewardScale > 0 && Number.isFinite(t.rewardScale))
  ) {
    fail('rewardScale', `must be null or a positive finite number, got ${t.rewardScale}`);
  }
  if (!Number.isSafeInteger(t.bootstrapResamples) || t.bootstrapResamples < 0) {
    fail('bootstrapResamples', `must be an integer ≥ 0, got ${t.bootstrapResamples}`);
  }
  if (!Number.isSafeInteger(t.seed) || t.seed < 0) fail('seed', `must be an integer ≥ 0, got ${t.seed}`);
  return t;
}

// ---------------------------------------------------------------------------------------
// One side of the comparison

/** What detectRegression needs of either side: a MetricsResult, or a stored baseline's summary. */
export type ComparableMetrics = MetricsResult | BaselineMetrics;

/** Summary of one side: size, mean, unbiased variance, and the raw returns when present. */
export interface ArmSummary {
  n: number;
  mean: number;
  /** Sample variance (ddof 1); NaN when n < 2. */
  variance: number;
  returns: readonly number[] | null;
}

/**
 * The size, mean and variance of one side, from the raw returns when the record carries
 * them (checked against its summary fields, so a corrupted record cannot yield a silent
 * wrong number), otherwise from `mean_reward` and `std_reward` (ddof 0, as the metrics
 * report it; rescaled to ddof 1). An empty `episode_returns` array counts as absent.
 */
export function summarizeArm(m: ComparableMetrics, name: string): ArmSummary {
  if (m === null || typeof m !== 'object') fail(name, 'must be a metrics record');
  const n = m.num_episodes;
  if (!Number.isSafeInteger(n) || n < 1) fail(`${name}.num_episodes`, `must be an integer ≥ 1, got ${n}`);
  const raw = m.episode_returns;
  if (raw !== undefined && raw !== null && raw.length > 0) {
    if (raw.length !== n) {
      fail(`${name}.episode_returns`, `has ${raw.length} returns but num_episodes is ${n}`);
    }
    for (let i = 0; i < raw.length; i++) {
      if (typeof raw[i] !== 'number' || !Number.isFinite(raw[i])) {
        throw new ValidationError(`${name}.episode_returns[${i}] must be a finite number, got ${raw[i]}`, {
          field: `${name}.episode_returns`,
          index: i,
        });
      }
    }
    const mu = mean(raw);
    const v = n >= 2 ? variance(raw, 1) : Number.NaN;
    // The summary must describe these returns (up to float32 rounding of a stored record).
    const spread = Math.sqrt(n >= 2 ? (v * (n - 1)) / n : 0);
    const tol = 1e-6 * Math.max(Math.abs(mu), spread, 1e-9);
    if (!(Math.abs(m.mean_reward - mu) <= tol)) {
      fail(`${name}.mean_reward`, `(${m.mean_reward}) disagrees with the mean of episode_returns (${mu})`);
    }
    if (!(Math.abs(m.std_reward - spread) <= tol)) {
      fail(
        `${name}.std_reward`,
        `(${m.std_reward}) disagrees with the std (ddof 0) of episode_returns (${spread})`,
      );
    }
    return { n, mean: mu, variance: v, returns: raw };
  }
  if (typeof m.mean_reward !== 'number' || !Number.isFinite(m.mean_reward)) {
    fail(`${name}.mean_reward`, `must be a finite number, got ${m.mean_reward}`);
  }
  if (typeof m.std_reward !== 'number' || !(m.std_reward >= 0) || !Number.isFinite(m.std_reward)) {
    fail(`${name}.std_reward`, `must be a finite number ≥ 0, got ${m.std_reward}`);
  }
  const v = n >= 2 ? (m.std_reward * m.std_reward * n) / (n - 1) : Number.NaN;
  return { n, mean: m.mean_reward, variance: v, returns: null };
}

/**
 * The reward scale that turns a drop into a percentage: the configured one, else
 * max(|baseline mean|, baseline std). For every ordinary baseline (|mean| ≥ std, e.g. any
 * trained agent on the Gymnasium tasks, with positive or negative rewards) this is the plain
 * |baseline mean|. When the mean is closer to 0 than one standard deviation, a percentage of
 * the mean would call a negligible change huge (a baseline mean of 0.1 makes a drop of 1
 * reward "1000%"), so the spread is the scale instead. A constant baseline of 0 (e.g. a
 * MountainCarContinuous policy that never moves) has neither: the current side's scale is
 * used, and 1 reward unit when that is 0 too (both sides identical zeros, no drop at all).
 */
export function rewardScale(current: ArmSummary, baseline: ArmSummary, configured: number | null): number {
  if (configured !== null) return configured;
  const sdB = baseline.n >= 2 ? Math.sqrt(baseline.variance) : 0;
  const s = Math.max(Math.abs(baseline.mean), sdB);
  if (s > 0) return s;
  const sdC = current.n >= 2 ? Math.sqrt(current.variance) : 0;
  const sc = Math.max(Math.abs(current.mean), sdC);
  return sc > 0 ? sc : 1;
}

// ---------------------------------------------------------------------------------------
// Statistical evidence

/** The tests of one environment before the multiple-testing correction. */
export interface PairEvidence {
  /** Both sides have n ≥ 2, so a Welch test exists. */
  testable: boolean;
  /** Why not, when not testable. */
  untestableReason: string | null;
  /** mean(current) − mean(baseline), reward units. */
  difference: number;
  /** √(s_c²/n_c + s_b²/n_b): standard error of the difference (NaN when not testable). */
  standardError: number;
  /** Welch–Satterthwaite degrees of freedom (NaN when a side is constant). */
  df: number;
  /** Raw one-sided p-values: drop (current < baseline), gain, drop ≥ threshold (non-inferiority). */
  pDrop: number;
  pGain: number;
  pNoninferiority: number;
  /** One-sided (1 − alpha) upper confidence bound of the drop, reward units (NaN when not testable). */
  dropUpperBound: number;
  mannWhitneyP: number | null;
  diffCi: ConfidenceInterval | null;
  hedgesG: number | null;
}

/** t with P(T_df > t) = q, for 0 < q < ½, by bisection on Student's survival function. */
function studentTIsf(q: number, df: number): number {
  let lo = 0;
  let hi = 2;
  while (studentTSf(hi, df) > q) {
    lo = hi;
    hi *= 2;
    if (hi > 1e12) return Number.POSITIVE_INFINITY;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTSf(mid, df) > q) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * Hedges' g of current − baseline (Hedges 1981): the difference of means over the pooled
 * standard deviation, times the exact small-sample correction
 * J(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2)) with m = n_c + n_b − 2. Null when it is undefined:
 * m < 2, or no spread at all while the means differ (it would be ±∞). Zero for two identical
 * constant samples.
 */
export function hedgesG(current: ArmSummary, baseline: ArmSummary): number | null {
  const m = current.n + baseline.n - 2;
  if (m < 2) return null;
  const ss =
    (current.n > 1 ? (current.n - 1) * current.variance : 0) +
    (baseline.n > 1 ? (baseline.n - 1) * baseline.variance : 0);
  const sp = Math.sqrt(ss / m);
  const d = current.mean - baseline.mean;
  if (sp === 0) return d === 0 ? 0 : null;
  const j = Math.exp(logGamma(m / 2) - 0.5 * Math.log(m / 2) - logGamma((m - 1) / 2));
  return (j * d) / sp;
}

/**
 * The non-inferiority hypothesis H0 "the drop is at least the threshold", written as
 * μ_c − λ·μ_b + κ ≤ 0:
 *   - with the automatic reward scale equal to |baseline mean| (the ordinary case) the
 *     threshold is a fraction m of the baseline's own mean, so H0 is
 *     μ_c ≤ μ_b − m|μ_b| = (1 − m·sgn μ_b)·μ_b: λ = 1 − m·sgn(μ_b), κ = 0. The contrast
 *     μ̂_c − λμ̂_b carries the noise of the baseline mean inside the threshold (a relative,
 *     ratio-type margin, as in Fieller's treatment of ratios of means). Treating m|μ̂_b| as a
 *     known constant instead would not: with negative rewards (Acrobot, Pendulum) a
 *     baseline that happened to score low would both widen the margin and flatter the
 *     current agent, and the test would exceed its level (measured on N(−83, 25²) at 100 vs
 *     100 with a true 10% drop: 5.8% at alpha 5%, against 5.0% with the relative margin);
 *   - any other scale (configured, or the baseline's std): a fixed margin T in reward
 *     units, λ = 1 and κ = T.
 */
export interface NoninferiorityMargin {
  lambda: number;
  offset: number;
  /** Whether the margin is relative to the baseline mean (λ ≠ 1, κ = 0). */
  relative: boolean;
}

/** The margin of `rewardDropPct` for a baseline mean and the reward scale in use. */
export function noninferiorityMargin(
  baselineMean: number,
  scale: number,
  rewardDropPct: number,
  configuredScale: boolean,
): NoninferiorityMargin {
  const m = rewardDropPct / 100;
  if (!configuredScale && baselineMean !== 0 && scale === Math.abs(baselineMean)) {
    return { lambda: 1 - m * Math.sign(baselineMean), offset: 0, relative: true };
  }
  return { lambda: 1, offset: m * scale, relative: false };
}

/** Size, mean and unbiased variance of a sample. */
export interface SampleMoments {
  n: number;
  mean: number;
  variance: number;
}

/**
 * Welch's t for the contrast μ_c − λ·μ_b + κ: statistic (mean_c − λ·mean_b + κ)/se with
 * se² = s_c²/n_c + λ²s_b²/n_b and the Welch–Satterthwaite df of those two terms (Welch 1947;
 * λ = 1, κ = 0 is the ordinary two-sample statistic). se = 0: statistic ±∞ (or NaN for 0/0)
 * and df NaN.
 */
export function welchContrast(
  current: SampleMoments,
  baseline: SampleMoments,
  lambda: number,
  offset: number,
): { statistic: number; df: number; se: number } {
  const a = current.variance / current.n;
  const b = (lambda * lambda * baseline.variance) / baseline.n;
  const se = Math.sqrt(a + b);
  const num = current.mean - lambda * baseline.mean + offset;
  if (!(se > 0)) {
    const statistic = num === 0 ? Number.NaN : num > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    return { statistic, df: Number.NaN, se: 0 };
  }
  const df = (a + b) ** 2 / ((a * a) / (current.n - 1) + (b * b) / (baseline.n - 1));
  return { statistic: num / se, df, se };
}

/** One-sided p-value P(T_df ≥ t); for an infinite t, 0 or 1; NaN (0/0: nothing to test) gives 1. */
function upperTailP(statistic: number, df: number): number {
  if (Number.isNaN(statistic)) return 1;
  if (!Number.isFinite(statistic)) return statistic > 0 ? 0 : 1;
  return studentTSf(statistic, df);
}

/**
 * The one-sided (1 − alpha) upper confidence bound of the relative drop m = (μ_b − μ_c)/|μ_b|,
 * by inverting the relative non-inferiority test over the margin (Fieller-type): the margin
 * at which its p-value equals alpha. NaN when no such margin is bracketed.
 */
function relativeDropUpperBound(current: SampleMoments, baseline: SampleMoments, alpha: number): number {
  const sign = Math.sign(baseline.mean);
  const p = (m: number) => {
    const c = welchContrast(current, baseline, 1 - m * sign, 0);
    return upperTailP(c.statistic, c.df);
  };
  const d = current.mean - baseline.mean;
  const se = Math.sqrt(current.variance / current.n + baseline.variance / baseline.n);
  const guess = (-d + 1.645 * se) / Math.abs(baseline.mean);
  let step = Math.max(1e-6, (4 * se) / Math.abs(baseline.mean));
  let lo = guess - step;
  let hi = guess + step;
  for (let i = 0; i < 60 && p(lo) <= alpha; i++) {
    lo -= step;
    step *= 2;
  }
  step = Math.max(1e-6, (4 * se) / Math.abs(baseline.mean));
  for (let i = 0; i < 60 && p(hi) > alpha; i++) {
    hi += step;
    step *= 2;
  }
  if (!(p(lo) > alpha && p(hi) <= alpha)) return Number.NaN;
  for (let i = 0; i < 100 && hi - lo > 1e-12 * Math.max(1, Math.abs(hi)); i++) {
    const mid = 0.5 * (lo + hi);
    if (p(mid) > alpha) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The tests of one environment: one-sided Welch for a drop, a gain and non-inferiority
 * (see `noninferiorityMargin`), from the raw returns when both sides carry them and from
 * the summaries otherwise (scipy's ttest_ind_from_stats, identical up to rounding);
 * Mann-Whitney and the bootstrap need both raw arrays. `dropUpperBound` is the one-sided
 * (1 − alpha) upper confidence bound of the drop that the non-inferiority test inverts, in
 * reward units (relative margins: times |baseline mean|).
 *
 * Degenerate inputs: a side with one episode has no variance, so no test: `testable` false.
 * Both sides constant: the standard error is 0 and the difference is exact on the data; a
 * non-zero difference then has p 0 in its direction (Welch's t = ±∞, as SciPy), an equal
 * pair has p 1 for the drop and the gain and p 0 for non-inferiority (when the threshold
 * is > 0): nothing changed.
 */
export function pairEvidence(
  current: ArmSummary,
  baseline: ArmSummary,
  margin: NoninferiorityMargin,
  t: Pick<RegressionThresholds, 'alpha' | 'ciLevel' | 'bootstrapResamples' | 'seed'>,
): PairEvidence {
  const difference = current.mean - baseline.mean;
  const both = current.returns !== null && baseline.returns !== null;
  const mannWhitneyP =
    both && current.returns && baseline.returns
      ? mannWhitneyU(current.returns, baseline.returns, { alternative: 'less' }).pValue
      : null;
  let diffCi: ConfidenceInterval | null = null;
  if (both && current.returns && baseline.returns && t.bootstrapResamples > 0) {
    const ci = bootstrapDifferenceCI(current.returns, baseline.returns, {
      confidence: t.ciLevel,
      resamples: t.bootstrapResamples,
      seed: t.seed,
    });
    diffCi = { low: ci.low, high: ci.high, level: t.ciLevel };
  }
  const hedges = hedgesG(current, baseline);
  const base = { difference, mannWhitneyP, diffCi, hedgesG: hedges };
  if (current.n < 2 || baseline.n < 2) {
    const which =
      current.n < 2 ? (baseline.n < 2 ? 'both sides have' : 'the current side has') : 'the baseline has';
    return {
      ...base,
      testable: false,
      untestableReason: `${which} a single episode, so no variance to test against`,
      standardError: Number.NaN,
      df: Number.NaN,
      pDrop: Number.NaN,
      pGain: Number.NaN,
      pNoninferiority: Number.NaN,
      dropUpperBound: Number.NaN,
    };
  }
  const plain = welchContrast(current, baseline, 1, 0);
  const ni = welchContrast(current, baseline, margin.lambda, margin.offset);
  const pNoninferiority = upperTailP(ni.statistic, ni.df);
  if (plain.se === 0) {
    // Both constant: the data determine the difference exactly.
    return {
      ...base,
      testable: true,
      untestableReason: null,
      standardError: 0,
      df: Number.NaN,
      pDrop: upperTailP(-plain.statistic, Number.NaN),
      pGain: upperTailP(plain.statistic, Number.NaN),
      pNoninferiority,
      dropUpperBound: 0 - difference, // never −0
    };
  }
  let dropUpperBound = Number.NaN;
  if (margin.relative) {
    dropUpperBound = relativeDropUpperBound(current, baseline, t.alpha) * Math.abs(baseline.mean);
  }
  if (Number.isNaN(dropUpperBound)) dropUpperBound = -difference + studentTIsf(t.alpha, plain.df) * plain.se;
  return {
    ...base,
    testable: true,
    untestableReason: null,
    standardError: plain.se,
    df: plain.df,
    pDrop: upperTailP(-plain.statistic, plain.df),
    pGain: upperTailP(plain.statistic, plain.df),
    pNoninferiority,
    dropUpperBound,
  };
}

// ---------------------------------------------------------------------------------------
// Policy checks

/** The policy checks' figures and outcomes for one environment. */
export interface PolicyOutcome {
  failed: PolicyCheck[];
  rewardDropPct: number;
  failureRate: number | null;
  baselineFailureRate: number | null;
  varianceRatio: number | null;
  lossTrend: number | null;
}

/**
 * The four policy checks, each alone:
 *   failure_rate  current failure rate > failureRate (skipped when the record has none);
 *   reward_drop   (baseline mean − current mean) / scale × 100 > rewardDropPct;
 *   loss_trend    current loss trend > lossTrendTolerance (only when training: null skips it);
 *   variance      s_c² / max(s_b², (1% of scale)²) > varianceMultiplier (needs n ≥ 2 on both sides).
 */
export function policyChecks(
  currentRecord: ComparableMetrics,
  baselineRecord: ComparableMetrics,
  current: ArmSummary,
  baseline: ArmSummary,
  scale: number,
  t: RegressionThresholds,
): PolicyOutcome {
  const failed: PolicyCheck[] = [];
  const failureRate = typeof currentRecord.failure_rate === 'number' ? currentRecord.failure_rate : null;
  const baselineFailureRate =
    typeof baselineRecord.failure_rate === 'number' ? baselineRecord.failure_rate : null;
  if (failureRate !== null && failureRate > t.failureRate) failed.push('failure_rate');
  const rewardDropPct = ((baseline.mean - current.mean) / scale) * 100;
  if (rewardDropPct > t.rewardDropPct) failed.push('reward_drop');
  const lossTrend = typeof currentRecord.loss_trend === 'number' ? currentRecord.loss_trend : null;
  if (lossTrend !== null && lossTrend > t.lossTrendTolerance) failed.push('loss_trend');
  let varianceRatio: number | null = null;
  if (current.n >= 2 && baseline.n >= 2) {
    const floor = (VARIANCE_FLOOR_FRACTION * scale) ** 2;
    varianceRatio = current.variance / Math.max(baseline.variance, floor);
    if (varianceRatio > t.varianceMultiplier) failed.push('variance');
  }
  return { failed, rewardDropPct, failureRate, baselineFailureRate, varianceRatio, lossTrend };
}

// ---------------------------------------------------------------------------------------
// Verdict, confidence, severity

/** Evidence decided elsewhere (a sequential test), used instead of the fixed-sample tests. */
export interface ExternalEvidence {
  dropRejected: boolean;
  gainRejected: boolean;
  noninferiorityRejected: boolean;
  /** p-values valid under that procedure (e.g. the stage-wise ordering of a group-sequential test). */
  dropPValue: number;
  gainPValue: number;
  noninferiorityPValue: number;
  /** A phrase for the details sentence, e.g. 'group-sequential test (O'Brien-Fleming spending), look 3'. */
  description: string;
}

/**
 * The verdict rule (module comment): a significant drop is a regression when a drop of the
 * threshold or more is not ruled out or a policy check failed; a significant drop that is
 * shown smaller than the threshold with every check passing is no_regression.
 */
export function verdictOf(
  dropSignificant: boolean,
  gainSignificant: boolean,
  noninferior: boolean,
  failedChecks: number,
): Verdict {
  if (dropSignificant && (!noninferior || failedChecks > 0)) return 'regression';
  if (gainSignificant) return 'improvement';
  if (noninferior) return 'no_regression';
  return 'inconclusive';
}

const rank = (s: Severity): number => SEVERITIES.indexOf(s);
const clampSeverity = (i: number): Severity => SEVERITIES[Math.min(SEVERITIES.length - 1, Math.max(1, i))];

/**
 * Severity of a regression ('none' for every other verdict), documented in
 * docs/evaluation/regression.md:
 *   1. by the drop in units of the threshold, m = reward_drop_pct / rewardDropPct:
 *      m < 1 low, 1 ≤ m < 1.5 medium, 1.5 ≤ m < 3 high, m ≥ 3 critical
 *      (defaults: below 10%, 10–15%, 15–30%, 30% and more);
 *   2. a failed policy check other than the reward drop makes it at least medium;
 *   3. one level down (not below low) when confidence < 0.99: significant at alpha but not at
 *      the 0.01 that Pinpoint asks before it calls two samples different;
 *   4. one level down (not below low) when |Hedges' g| < 0.2, Cohen's "negligible"
 *      standardized effect: the two return distributions overlap almost entirely.
 */
export function severityOf(
  verdict: Verdict,
  rewardDropPct: number,
  thresholdPct: number,
  otherChecksFailed: boolean,
  confidence: number,
  g: number | null,
): Severity {
  if (verdict !== 'regression') return 'none';
  const m =
    thresholdPct > 0 ? rewardDropPct / thresholdPct : rewardDropPct > 0 ? Number.POSITIVE_INFINITY : 0;
  let level = m >= 3 ? rank('critical') : m >= 1.5 ? rank('high') : m >= 1 ? rank('medium') : rank('low');
  if (otherChecksFailed) level = Math.max(level, rank('medium'));
  if (confidence < 0.99) level -= 1;
  if (g !== null && Math.abs(g) < 0.2) level -= 1;
  return clampSeverity(level);
}

// ---------------------------------------------------------------------------------------
// Words

/** Four significant digits, no trailing zeros: 476.1, −83.25, 500. */
function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(2).replace(/\.?0+e/, 'e');
  return String(Number(x.toPrecision(4))).replace('-', '−');
}

/** A p-value: 2 significant digits, exponent below 0.001. */
function pv(p: number): string {
  if (p === 0) return '0';
  if (p < 1e-3) return p.toExponential(1).replace(/\.0e/, 'e');
  return String(Number(p.toPrecision(2)));
}

const pct = (x: number): string => `${Math.abs(x) < 0.05 ? '0.0' : Math.abs(x).toFixed(1)}%`;

function checkPhrase(check: PolicyCheck, p: PolicyOutcome, t: RegressionThresholds): string {
  switch (check) {
    case 'failure_rate':
      return (
        `failure rate ${pct((p.failureRate ?? 0) * 100)} > ${pct(t.failureRate * 100)}` +
        (p.baselineFailureRate !== null ? ` (baseline ${pct(p.baselineFailureRate * 100)})` : '')
      );
    case 'reward_drop':
      return `reward drop ${pct(p.rewardDropPct)} > ${pct(t.rewardDropPct)}`;
    case 'loss_trend':
      return `loss trend +${num(p.lossTrend ?? 0)} per update > ${num(t.lossTrendTolerance)}`;
    case 'variance':
      return `return variance ${num(p.varianceRatio ?? 0)}× the baseline's > ${num(t.varianceMultiplier)}×`;
  }
}

// ---------------------------------------------------------------------------------------
// Reports

/** Everything known about one environment before the correction across environments. */
interface PairAnalysis {
  current: ArmSummary;
  baseline: ArmSummary;
  scale: number;
  threshold: number;
  margin: NoninferiorityMargin;
  evidence: PairEvidence;
  policy: PolicyOutcome;
}

function analyze(
  currentRecord: ComparableMetrics,
  baselineRecord: ComparableMetrics,
  t: RegressionThresholds,
  name: string,
): PairAnalysis {
  const current = summarizeArm(currentRecord, `${name}current`);
  const baseline = summarizeArm(baselineRecord, `${name}baseline`);
  const scale = rewardScale(current, baseline, t.rewardScale);
  const threshold = (t.rewardDropPct / 100) * scale;
  const margin = noninferiorityMargin(baseline.mean, scale, t.rewardDropPct, t.rewardScale !== null);
  const evidence = pairEvidence(current, baseline, margin, t);
  const policy = policyChecks(currentRecord, baselineRecord, current, baseline, scale, t);
  return { current, baseline, scale, threshold, margin, evidence, policy };
}

interface Decision {
  dropRejected: boolean;
  gainRejected: boolean;
  noninferior: boolean;
  pDrop: number | null;
  pGain: number | null;
  pNoninferiority: number | null;
  /** How the p-values were obtained, for the details sentence. */
  how: string;
}

function buildReport(a: PairAnalysis, d: Decision, t: RegressionThresholds): RegressionReport {
  const { evidence: e, policy: p } = a;
  const testable = e.testable;
  const verdict: Verdict = testable
    ? verdictOf(d.dropRejected, d.gainRejected, d.noninferior, p.failed.length)
    : 'inconclusive';
  // confidence = 1 − p of the test behind the verdict; for inconclusive, of the drop test
  // (how close the evidence came to a regression).
  const pDecisive =
    verdict === 'improvement' ? d.pGain : verdict === 'no_regression' ? d.pNoninferiority : d.pDrop;
  const confidence =
    pDecisive === null || Number.isNaN(pDecisive) ? 0 : Math.min(1, Math.max(0, 1 - pDecisive));
  const otherChecks = p.failed.some((c) => c !== 'reward_drop');
  const severity = severityOf(verdict, p.rewardDropPct, t.rewardDropPct, otherChecks, confidence, e.hedgesG);
  const isRegression = verdict === 'regression';
  const shouldRollback = isRegression && rank(severity) >= rank(t.rollbackSeverity);

  const scalePct = (x: number) => (x / a.scale) * 100;
  const dropUpperPct = testable ? scalePct(e.dropUpperBound) : null;
  const metrics: RegressionFigures = {
    current_mean: a.current.mean,
    baseline_mean: a.baseline.mean,
    reward_drop_pct: p.rewardDropPct,
    reward_scale: a.scale,
    drop_upper_bound_pct: dropUpperPct,
    failure_rate: p.failureRate,
    baseline_failure_rate: p.baselineFailureRate,
    variance_ratio: p.varianceRatio,
    loss_trend: p.lossTrend,
    effect_size: e.hedgesG,
    welch_p_value: testable ? e.pDrop : null,
    mann_whitney_p_value: e.mannWhitneyP,
    improvement_p_value: d.pGain,
    noninferiority_p_value: d.pNoninferiority,
    p_value: verdict === 'inconclusive' && !testable ? null : pDecisive,
    diff_ci: e.diffCi,
    n_current: a.current.n,
    n_baseline: a.baseline.n,
  };

  // The sentence: what changed, the evidence, the failed checks, the verdict.
  const diff = a.current.mean - a.baseline.mean;
  const moved = diff < 0 ? 'fell' : diff > 0 ? 'rose' : 'did not change';
  const parts: string[] = [];
  let head = `Mean return ${moved}${diff === 0 ? '' : ` ${pct(p.rewardDropPct)}`} (${num(a.baseline.mean)} → ${num(a.current.mean)}`;
  if (e.diffCi) {
    head += `; ${Math.round(e.diffCi.level * 100)}% CI of the difference ${num(e.diffCi.low)} to ${num(e.diffCi.high)}`;
  }
  head += `, ${a.current.n} vs ${a.baseline.n} episodes)`;
  const sdB = a.baseline.n >= 2 ? Math.sqrt(a.baseline.variance) : 0;
  if (t.rewardScale !== null) head += ` relative to the configured reward scale ${num(a.scale)}`;
  else if (a.scale !== Math.abs(a.baseline.mean)) {
    head +=
      a.scale === sdB
        ? ` relative to the baseline's std ${num(a.scale)} (its mean is within one std of 0)`
        : ` relative to a scale of ${num(a.scale)} (the baseline is constant at 0)`;
  }
  parts.push(head);
  if (testable && d.pDrop !== null) {
    const dir =
      verdict === 'improvement'
        ? `one-sided Welch p (gain) = ${pv(d.pGain ?? 1)}`
        : `one-sided Welch p = ${pv(d.pDrop)}`;
    let ev = `${dir}${d.how}`;
    if (e.mannWhitneyP !== null && verdict !== 'improvement')
      ev += `, Mann-Whitney p = ${pv(e.mannWhitneyP)}`;
    parts.push(ev);
  } else if (!testable) {
    parts.push(`no test possible: ${e.untestableReason}`);
  }
  for (const c of p.failed) parts.push(checkPhrase(c, p, t));
  let tail: string;
  switch (verdict) {
    case 'regression':
      tail = `regression, severity ${severity}${shouldRollback ? ', roll back' : ''}`;
      if (!p.failed.includes('reward_drop') && !d.noninferior && dropUpperPct !== null) {
        // Say why a drop below the threshold counts: a threshold-sized one is not ruled out.
        parts.push(
          `a drop of ${pct(t.rewardDropPct)} or more is not ruled out (one-sided ${num((1 - t.alpha) * 100)}% ` +
            `upper bound ${pct(dropUpperPct)})`,
        );
      }
      break;
    case 'improvement':
      tail = 'improvement';
      break;
    case 'no_regression':
      parts.push(
        `a drop of ${pct(t.rewardDropPct)} or more is ruled out (one-sided ${num((1 - t.alpha) * 100)}% upper bound ` +
          `of the drop ${pct(Math.max(0, dropUpperPct ?? 0))}, p = ${pv(d.pNoninferiority ?? 1)})` +
          (d.dropRejected ? '; the drop is significant but smaller than that' : ''),
      );
      tail = 'no regression';
      break;
    default: {
      tail = 'inconclusive';
      if (testable) {
        parts.push(
          `no significant drop, and a drop of ${pct(t.rewardDropPct)} or more is not ruled out (one-sided ` +
            `${num((1 - t.alpha) * 100)}% upper bound ${pct(Math.max(0, dropUpperPct ?? 0))})`,
        );
        const need = episodesNeeded(a, t);
        if (need !== null) {
          tail += `; about ${need} episodes per side would tell a ${pct(t.rewardDropPct)} drop from noise with 90% power`;
        }
      }
    }
  }
  const details = `${parts.join(', ')}: ${tail}.`;
  return {
    verdict,
    is_regression: isRegression,
    confidence,
    severity,
    should_rollback: shouldRollback,
    failed_checks: [...p.failed],
    details,
    metrics,
  };
}

/** Episodes per side at which a one-sided z-test at alpha sees a threshold-sized drop with 90% power. */
function episodesNeeded(a: PairAnalysis, t: RegressionThresholds): number | null {
  const sd = Math.sqrt(a.current.variance + a.baseline.variance);
  if (!(a.threshold > 0) || !(sd > 0) || !Number.isFinite(sd)) return null;
  return zTestSampleSize(a.threshold, sd, t.alpha, 0.9, 'greater');
}

/** Options of `detectRegression`. */
export interface DetectRegressionOptions {
  /**
   * Decisions of a procedure that controls its error rates differently, such as the
   * group-sequential test of sequential.ts, used instead of the fixed-sample Welch tests;
   * the figures, policy checks, severity and words are computed as usual.
   */
  evidence?: ExternalEvidence;
}

/**
 * Compares one environment's current metrics with its baseline (a family of one: no Holm
 * adjustment). `current` is normally a MetricsResult and `baseline` a stored record that may
 * lack the raw arrays. See the module comment for the verdict, and
 * docs/evaluation/regression.md for every definition.
 *
 * Degenerate inputs: num_episodes < 1, non-finite returns, a summary that disagrees with the
 * raw returns, or invalid thresholds → ValidationError. One episode on either side →
 * 'inconclusive' (confidence 0; the policy checks still run). Both sides constant → the
 * difference is exact (see `pairEvidence`). Baseline mean 0 → see `rewardScale`.
 */
export function detectRegression(
  current: ComparableMetrics,
  baseline: ComparableMetrics,
  thresholds: Partial<RegressionThresholds> = {},
  options: DetectRegressionOptions = {},
): RegressionReport {
  const t = resolveThresholds(thresholds);
  const a = analyze(current, baseline, t, '');
  const ext = options.evidence;
  if (ext !== undefined) {
    return buildReport(
      a,
      {
        dropRejected: ext.dropRejected,
        gainRejected: ext.gainRejected,
        noninferior: ext.noninferiorityRejected,
        pDrop: ext.dropPValue,
        pGain: ext.gainPValue,
        pNoninferiority: ext.noninferiorityPValue,
        how: ` (${ext.description})`,
      },
      t,
    );
  }
  return detectFromAnalyses({ env: a }, t).env;
}

/** One environment's pair for `detectRegressions`. */
export interface RegressionPair {
  current: ComparableMetrics;
  baseline: ComparableMetrics;
}

/**
 * Regression reports for several environments at once, with Holm's correction across them:
 * the drop p-values of the testable environments form one family and the gain p-values
 * another, so the chance of calling any environment regressed (or improved) when none is
 * stays ≤ alpha. The non-inferiority tests are not adjusted: "no environment regressed" is
 * their conjunction, an intersection-union test, which has level alpha as it is (Berger
 * 1982). An environment with a single episode on a side is inconclusive and not counted in
 * the family. Each report depends only on its own pair and the family's p-values, not on
 * the order of the keys.
 */
export function detectRegressions(
  perEnv: Readonly<Record<string, RegressionPair>>,
  thresholds: Partial<RegressionThresholds> = {},
): Record<string, RegressionReport> {
  const t = resolveThresholds(thresholds);
  const analyses: Record<string, PairAnalysis> = {};
  for (const [env, pair] of Object.entries(perEnv)) {
    if (pair === null || typeof pair !== 'object') fail(env, 'must be { current, baseline }');
    analyses[env] = analyze(pair.current, pair.baseline, t, `${env}.`);
  }
  return detectFromAnalyses(analyses, t);
}

function detectFromAnalyses(
  analyses: Record<string, PairAnalysis>,
  t: RegressionThresholds,
): Record<string, RegressionReport> {
  const envs = Object.keys(analyses);
  const family = envs.filter((env) => analyses[env].evidence.testable);
  const m = family.length;
  const holmDrop = holmBonferroni(
    family.map((env) => analyses[env].evidence.pDrop),
    t.alpha,
  );
  const holmGain = holmBonferroni(
    family.map((env) => analyses[env].evidence.pGain),
    t.alpha,
  );
  const how = m > 1 ? ` (Holm-adjusted over ${m} environments)` : '';
  const out: Record<string, RegressionReport> = {};
  for (const env of envs) {
    const a = analyses[env];
    const i = family.indexOf(env);
    const decision: Decision =
      i < 0
        ? {
            dropRejected: false,
            gainRejected: false,
            noninferior: false,
            pDrop: null,
            pGain: null,
            pNoninferiority: null,
            how,
          }
        : {
            dropRejected: holmDrop.rejected[i],
            gainRejected: holmGain.rejected[i],
            noninferior: a.evidence.pNoninferiority <= t.alpha,
            pDrop: holmDrop.adjusted[i],
            pGain: holmGain.adjusted[i],
            pNoninferiority: a.evidence.pNoninferiority,
            how,
          };
    out[env] = buildReport(a, decision, t);
  }
  return out;
}

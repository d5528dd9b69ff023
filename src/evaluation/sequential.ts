/**
 * Adaptive (sequential) regression testing: play episodes in batches and stop as soon as
 * the verdict is conclusive, with the error rates of the fixed-sample verdict still
 * controlled (DESIGN.md §5; docs/evaluation/regression.md has the definitions and measured
 * rates).
 *
 * The design is a group-sequential test (Jennison & Turnbull 2000, "Group Sequential
 * Methods with Applications to Clinical Trials", ch. 7 and 19) with Lan-DeMets error
 * spending (Lan & DeMets 1983): the one-sided level alpha is spent over the looks according
 * to the information fraction t, with the O'Brien-Fleming-type function
 * α(t) = 2 − 2Φ(z_{1−α/2}/√t) (little at early looks, close to the fixed-sample boundary
 * at the last) or the Pocock-type α(t) = α ln(1 + (e − 1)t) (flatter, stops earlier, larger
 * cap). At look k the boundary c_k is the value with
 *   P(Z_1 < c_1, …, Z_{k−1} < c_{k−1}, Z_k ≥ c_k) = α(t_k) − α(t_{k−1})
 * under the null, where the Z_k are the standardized statistics of the accumulating data,
 * jointly normal with corr(Z_j, Z_k) = √(I_j/I_k) (canonical joint distribution, J&T §3.1);
 * the probability is computed by the numerical integration of J&T ch. 19 (the sub-density
 * of the score statistic S_k = Z_k √I_k on the continuation region, propagated look to look
 * with Simpson's rule).
 *
 * Three one-sided hypotheses are tested at every look with the same boundary, each under its
 * own null with the same spending (so each has level alpha on its own; stopping because of
 * another only lowers a test's rejection probability: the boundaries are non-binding):
 *   drop            H0: current ≥ baseline              (rejected → evidence of a drop);
 *   non-inferiority H0: drop ≥ threshold                (rejected → the drop is smaller);
 *   gain            H0: current ≤ baseline              (rejected → evidence of a gain).
 * The decision rule is the fixed-sample rule of regression.ts (`verdictOf`), and the
 * procedure stops at the first look where it gives a verdict, or at the last look
 * (inconclusive when nothing was rejected). Hence, asymptotically: P(regression | no drop)
 * ≤ alpha, P(no_regression or improvement | drop ≥ threshold) ≤ alpha,
 * P(improvement | no gain) ≤ alpha.
 *
 * The information is planned, not estimated: I(n_c, n_b) = 1/(1/n_c + 1/n_b) in units of
 * 1/σ², so the boundaries depend only on the episode counts (never on the data) and a design
 * can be computed once and shared. The statistics use the estimated variances: Welch's t
 * with Welch–Satterthwaite df, turned into a z with the same p-value (J&T §11.4), which keeps
 * the first looks honest at small n.
 *
 * The maximum number of episodes is planned for power: the smallest cap at which the design
 * detects a drop of exactly the threshold with probability `power` (default 0.9), given the
 * baseline's standard deviation, bounded by `maxEpisodes`. With a stored baseline that cannot
 * be replayed (`extendBaseline` false) the baseline's own noise bounds the attainable power;
 * `design.plannedPower` says what the cap achieves. At the first look the cap is re-planned
 * upwards from the observed variances (an internal pilot), and when the baseline has raw
 * returns every look compares equal numbers of episodes (see `balanced`).
 */
import { StateError, ValidationError } from '../errors.js';
import { normalIsf, normalSf, studentTSf } from '../stats/index.js';
import {
  type ComparableMetrics,
  type ExternalEvidence,
  type NoninferiorityMargin,
  noninferiorityMargin,
  type RegressionThresholds,
  resolveThresholds,
  rewardScale,
  summarizeArm,
  verdictOf,
  welchContrast,
} from './regression.js';
import type { Verdict } from './schemas.js';

// ---------------------------------------------------------------------------------------
// Error spending

/** Lan-DeMets spending function families. */
export type SpendingFunction = 'obrien-fleming' | 'pocock';

/**
 * Cumulative one-sided error spent by information fraction t (Lan & DeMets 1983):
 * O'Brien-Fleming type 2 − 2Φ(z_{1−α/2}/√t), Pocock type α ln(1 + (e − 1)t). Both are 0 at
 * t = 0 and alpha at t ≥ 1.
 */
export function alphaSpent(kind: SpendingFunction, alpha: number, t: number): number {
  if (!(t > 0)) return 0;
  if (t >= 1) return alpha;
  if (kind === 'obrien-fleming') return 2 * normalSf(normalIsf(alpha / 2) / Math.sqrt(t));
  return alpha * Math.log(1 + (Math.E - 1) * t);
}

// ---------------------------------------------------------------------------------------
// Numerical integration of the group-sequential distribution (J&T ch. 19)

/**
 * The state after a look: the sub-density of S = Z√I over the continuation region (S below
 * the boundary), on a uniform grid, stored as quadrature weight × density so that integrals
 * are sums.
 */
interface ContinuationDensity {
  info: number;
  /** Grid of S values (ascending); empty when continuing is (numerically) impossible. */
  grid: Float64Array;
  /** Simpson weight × sub-density at each grid point. */
  mass: Float64Array;
}

/** Standard deviations of S kept below (and, with drift, above) its mean on the grid. */
const TAIL_SDS = 8.5;
/** Grid points per standard deviation of the narrowest kernel. */
const POINTS_PER_SD = 6;
const MAX_GRID_POINTS = 6001;

/**
 * P(S_k ≥ b and the path continued until k−1) where S_k = S_{k−1} + N(θΔ, Δ), from the
 * previous continuation density (or the plain normal at the first look).
 */
function crossingProbability(
  prev: ContinuationDensity | null,
  info: number,
  b: number,
  drift: number,
): number {
  if (prev === null) return normalSf((b - drift * info) / Math.sqrt(info));
  const delta = info - prev.info;
  const sd = Math.sqrt(delta);
  const shift = drift * delta;
  let p = 0;
  for (let i = 0; i < prev.grid.length; i++) p += prev.mass[i] * normalSf((b - prev.grid[i] - shift) / sd);
  return p;
}

/** Simpson weights on n (odd) points of spacing h. */
function simpsonWeights(n: number, h: number): Float64Array {
  const w = new Float64Array(n);
  if (n === 1) return w; // a single point carries no width
  for (let i = 0; i < n; i++) w[i] = ((i === 0 || i === n - 1 ? 1 : i % 2 === 1 ? 4 : 2) * h) / 3;
  return w;
}

/**
 * The continuation density after a look at information `info` with upper boundary `b` on the
 * S scale (b = +∞: no boundary), for drift θ (0 under the null).
 */
function propagate(
  prev: ContinuationDensity | null,
  info: number,
  b: number,
  drift: number,
): ContinuationDensity {
  const sdS = Math.sqrt(info);
  const lo = drift * info - TAIL_SDS * sdS;
  const hi = Math.min(b, drift * info + TAIL_SDS * sdS);
  if (!(hi > lo)) return { info, grid: new Float64Array(0), mass: new Float64Array(0) };
  const delta = prev === null ? info : info - prev.info;
  const kernelSd = Math.sqrt(delta);
  let n = 2 * Math.ceil(((hi - lo) * POINTS_PER_SD) / (2 * Math.min(kernelSd, sdS))) + 1;
  if (n > MAX_GRID_POINTS) n = MAX_GRID_POINTS;
  const h = (hi - lo) / (n - 1);
  const grid = new Float64Array(n);
  for (let j = 0; j < n; j++) grid[j] = lo + j * h;
  const w = simpsonWeights(n, h);
  const mass = new Float64Array(n);
  const inv = 1 / kernelSd;
  const norm = inv / Math.sqrt(2 * Math.PI);
  if (prev === null) {
    for (let j = 0; j < n; j++) {
      const z = (grid[j] - drift * info) * inv;
      mass[j] = w[j] * norm * Math.exp(-0.5 * z * z);
    }
  } else {
    const shift = drift * delta;
    for (let j = 0; j < n; j++) {
      let f = 0;
      const target = grid[j] - shift;
      for (let i = 0; i < prev.grid.length; i++) {
        const z = (target - prev.grid[i]) * inv;
        if (z > -40 && z < 40) f += prev.mass[i] * Math.exp(-0.5 * z * z);
      }
      mass[j] = w[j] * norm * f;
    }
  }
  return { info, grid, mass };
}

/**
 * A continuation density whose grid resolves a kernel of standard deviation √delta: when the
 * next increment is narrower than the grid was built for (a look the plan did not foresee),
 * the density is interpolated linearly onto a finer grid first.
 */
function refineFor(prev: ContinuationDensity, delta: number): ContinuationDensity {
  const n = prev.grid.length;
  if (n < 3) return prev;
  const h = prev.grid[1] - prev.grid[0];
  const want = Math.sqrt(delta) / POINTS_PER_SD;
  if (h <= 1.5 * want) return prev;
  const lo = prev.grid[0];
  const hi = prev.grid[n - 1];
  let m = 2 * Math.ceil((hi - lo) / (2 * want)) + 1;
  if (m > MAX_GRID_POINTS) m = MAX_GRID_POINTS;
  const h2 = (hi - lo) / (m - 1);
  const wOld = simpsonWeights(n, h);
  const wNew = simpsonWeights(m, h2);
  const grid = new Float64Array(m);
  const mass = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const s = lo + j * h2;
    grid[j] = s;
    const x = Math.min(n - 1 - 1e-12, (s - lo) / h);
    const i = Math.floor(x);
    const f = x - i;
    const d0 = prev.mass[i] / wOld[i];
    const d1 = prev.mass[i + 1] / wOld[i + 1];
    mass[j] = wNew[j] * (d0 + f * (d1 - d0));
  }
  return { info: prev.info, grid, mass };
}

/** One analysed look of a design: the boundary and the null continuation density after it. */
interface LookState {
  /** Planned information I = 1/(1/n_c + 1/n_b). */
  info: number;
  fraction: number;
  /** Boundary on the Z scale (+∞ when nothing was left to spend). */
  boundary: number;
  /** Cumulative error spent up to and including this look. */
  spent: number;
  density: ContinuationDensity;
  /** The state of the previous look (null at the first), for stage-wise p-values. */
  prev: LookState | null;
}

/**
 * The boundary of a look spending `increment` more error, by bisection on the crossing
 * probability (decreasing in the boundary), and the null continuation density after it.
 */
function analyseLook(prev: LookState | null, info: number, fraction: number, spentTarget: number): LookState {
  const prevSpent = prev === null ? 0 : prev.spent;
  const increment = spentTarget - prevSpent;
  let prevDensity = prev === null ? null : prev.density;
  if (prevDensity !== null) prevDensity = refineFor(prevDensity, info - prevDensity.info);
  const root = Math.sqrt(info);
  let boundary = Number.POSITIVE_INFINITY;
  let spent = prevSpent;
  if (increment > 0 && (prevDensity === null || prevDensity.grid.length > 0)) {
    if (prevDensity === null) {
      boundary = normalIsf(increment);
    } else {
      let lo = -10;
      let hi = 60;
      for (let it = 0; it < 100 && hi - lo > 1e-10; it++) {
        const mid = 0.5 * (lo + hi);
        if (crossingProbability(prevDensity, info, mid * root, 0) > increment) lo = mid;
        else hi = mid;
      }
      boundary = 0.5 * (lo + hi);
    }
    spent = prevSpent + crossingProbability(prevDensity, info, boundary * root, 0);
  }
  const density = propagate(prevDensity, info, boundary * root, 0);
  return { info, fraction, boundary, spent, density, prev };
}

/**
 * Stage-wise-ordering p-value (J&T §8.4) of observing z at this look: the null probability
 * of stopping at an earlier look, or at this look with a statistic at least z.
 */
function stagewisePValue(look: LookState, z: number): number {
  if (Number.isNaN(z)) return 1;
  const prev = look.prev;
  const before = prev === null ? 0 : prev.spent;
  let density = prev === null ? null : prev.density;
  if (density !== null) density = refineFor(density, look.info - density.info);
  if (z === Number.POSITIVE_INFINITY) return before;
  if (z === Number.NEGATIVE_INFINITY) return Math.min(1, before + (density === null ? 1 : sumMass(density)));
  return Math.min(1, before + crossingProbability(density, look.info, z * Math.sqrt(look.info), 0));
}

function sumMass(d: ContinuationDensity): number {
  let s = 0;
  for (let i = 0; i < d.mass.length; i++) s += d.mass[i];
  return s;
}

/**
 * Boundaries (Z scale) of a one-sided group-sequential test at the given information levels
 * (increasing), spending `alpha` with `spending` over fractions I_k / I_K; the last look
 * spends whatever remains. Exposed for tests and planning tools.
 */
export function groupSequentialBoundaries(
  infos: readonly number[],
  alpha: number,
  spending: SpendingFunction = 'obrien-fleming',
): number[] {
  checkInfos(infos);
  const iMax = infos[infos.length - 1];
  const out: number[] = [];
  let prev: LookState | null = null;
  for (let k = 0; k < infos.length; k++) {
    const fraction = k === infos.length - 1 ? 1 : infos[k] / iMax;
    prev = analyseLook(prev, infos[k], fraction, alphaSpent(spending, alpha, fraction));
    out.push(prev.boundary);
  }
  return out;
}

/**
 * Probability that the one-sided test with Z-scale `boundaries` at information levels
 * `infos` rejects somewhere when the standardized effect (mean difference / σ) is `effect`:
 * the power (effect > 0) or the level (effect = 0).
 */
export function groupSequentialRejectionProbability(
  infos: readonly number[],
  boundaries: readonly number[],
  effect: number,
): number {
  checkInfos(infos);
  if (boundaries.length !== infos.length) {
    throw new ValidationError('boundaries and infos must have the same length', { field: 'boundaries' });
  }
  let density: ContinuationDensity | null = null;
  let p = 0;
  for (let k = 0; k < infos.length; k++) {
    if (density !== null && density.grid.length === 0) break;
    if (density !== null) density = refineFor(density, infos[k] - density.info);
    const b = boundaries[k] * Math.sqrt(infos[k]);
    if (Number.isFinite(b)) p += crossingProbability(density, infos[k], b, effect);
    density = propagate(density, infos[k], b, effect);
  }
  return Math.min(1, p);
}

function checkInfos(infos: readonly number[]): void {
  if (infos.length === 0) throw new ValidationError('at least one look is needed', { field: 'infos' });
  for (let k = 0; k < infos.length; k++) {
    if (!(infos[k] > 0) || !Number.isFinite(infos[k]) || (k > 0 && !(infos[k] > infos[k - 1]))) {
      throw new ValidationError('information levels must be positive, finite and increasing', {
        field: 'infos',
        index: k,
      });
    }
  }
}

// ---------------------------------------------------------------------------------------
// Designs

/** Options of a sequential design. */
export interface SequentialDesignOptions {
  /** One-sided level of each of the three tests. Default 0.05 (or thresholds.alpha). */
  alpha?: number;
  /** Probability of detecting a drop of exactly the threshold, for planning the cap. Default 0.9. */
  power?: number;
  /** Default 'obrien-fleming'. */
  spending?: SpendingFunction;
  /** Current episodes added per look. Default 25. */
  batchSize?: number;
  /** Current episodes at the first look (≥ 2). Default 50. */
  minEpisodes?: number;
  /** Hard cap on current episodes. Default 1000. */
  maxEpisodes?: number;
  /** Baseline episodes available at the start (≥ 2). */
  baselineEpisodes: number;
  /**
   * Whether the runner can replay the baseline agent: the baseline then grows with the
   * current side (n_b = max(initial, n_c)), which removes the floor that a fixed baseline's
   * own noise puts under every comparison. Default false.
   */
  extendBaseline?: boolean;
  /**
   * Compare equal numbers of episodes at every look, using the first n_c of the baseline's
   * (exchangeable) stored returns while it has more: a look at 50 current episodes then
   * compares them with 50 baseline ones, not 100. With equal sizes the Welch statistic is
   * symmetric under the null whatever the shape of the returns; with unequal sizes and
   * strongly skewed returns (CartPole's mass at 500, MountainCar's at −200) one tail of the
   * t-approximation is too heavy (measured: 7.4% instead of 5% at 50 vs 100). Needs the
   * baseline's raw returns. Default false here; `createSequentialTest` turns it on when the
   * baseline carries raw returns.
   */
  balanced?: boolean;
  /**
   * The drop to detect with `power`, in standard deviations of the returns (threshold / σ);
   * null or omitted: no planning, the cap is `maxEpisodes`. +∞ (a constant baseline): one look.
   */
  effectSize?: number | null;
}

/** A planned look: episodes on each side. */
export interface PlannedLook {
  current: number;
  baseline: number;
}

/** A planned group-sequential design; reusable by every test with the same baseline size. */
export interface SequentialDesign {
  readonly alpha: number;
  readonly power: number;
  readonly spending: SpendingFunction;
  readonly batchSize: number;
  readonly minEpisodes: number;
  /** The hard cap on current episodes (the maxEpisodes option). */
  readonly hardCap: number;
  /** The planned cap on current episodes (≤ hardCap). */
  readonly maxEpisodes: number;
  readonly baselineEpisodes: number;
  readonly extendBaseline: boolean;
  readonly balanced: boolean;
  readonly effectSize: number | null;
  /** The looks of the plan. */
  readonly looks: readonly PlannedLook[];
  /** Z-scale boundary at each planned look. */
  readonly boundaries: readonly number[];
  /** Power at a drop of exactly the threshold (null without an effect size). */
  readonly plannedPower: number | null;
  /**
   * Information the group-sequential design needs for `power`, as a multiple of what the
   * fixed-sample z-test needs (≥ 1; J&T §2.7's "inflation factor"); null without planning,
   * or when the hard cap cannot reach the power. Used to re-plan the cap from the variances
   * seen at the first look.
   */
  readonly inflation: number | null;
  /** Analysed looks keyed by cap and history of episode counts, shared by the design's tests. */
  readonly cache: Map<string, LookState>;
}

/** Planned information I = 1/(1/n_c + 1/n_b), in units of 1/σ² (equal variances). */
function plannedInfo(current: number, baseline: number): number {
  return 1 / (1 / current + 1 / baseline);
}

/** Baseline episodes compared with `current` current ones at a look. */
function baselineAt(current: number, nb0: number, extend: boolean, balanced: boolean): number {
  if (balanced) return extend ? current : Math.min(current, nb0);
  return extend ? Math.max(nb0, current) : nb0;
}

/** Current episodes at the looks: min, min + batch, …, capped at cap (the last look exactly at cap). */
function lookCounts(min: number, cap: number, batch: number): number[] {
  const out: number[] = [];
  for (let n = min; ; n += batch) {
    out.push(Math.min(n, cap));
    if (n >= cap) break;
  }
  return out;
}

function lookKey(cap: number, history: readonly PlannedLook[]): string {
  return `${cap}|${history.map((l) => `${l.current}:${l.baseline}`).join(',')}`;
}

function positiveInteger(name: string, v: number, least: number): number {
  if (!Number.isSafeInteger(v) || v < least) {
    throw new ValidationError(`${name} must be an integer ≥ ${least}, got ${v}`, { field: name });
  }
  return v;
}

/** Information (1/σ² units) the fixed-sample one-sided z-test needs: ((z_{1−α} + z_{power}) / effect)². */
function fixedSampleInfo(effect: number, alpha: number, power: number): number {
  return ((normalIsf(alpha) + normalIsf(1 - power)) / effect) ** 2;
}

/**
 * Plans a design: the look schedule (first look at `minEpisodes` current episodes, then
 * every `batchSize`), the cap (the smallest on the schedule whose power at `effectSize`
 * reaches `power`, at most `maxEpisodes`), the boundaries and the inflation factor.
 */
export function planSequentialDesign(options: SequentialDesignOptions): SequentialDesign {
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 0.5)) {
    throw new ValidationError(`alpha must be in (0, 0.5), got ${alpha}`, { field: 'alpha' });
  }
  const power = options.power ?? 0.9;
  if (!(power > 0 && power < 1)) {
    throw new ValidationError(`power must be in (0, 1), got ${power}`, { field: 'power' });
  }
  const spending = options.spending ?? 'obrien-fleming';
  if (spending !== 'obrien-fleming' && spending !== 'pocock') {
    throw new ValidationError(`spending must be 'obrien-fleming' or 'pocock', got '${spending}'`, {
      field: 'spending',
    });
  }
  const batch = positiveInteger('batchSize', options.batchSize ?? 25, 1);
  const min = positiveInteger('minEpisodes', options.minEpisodes ?? 50, 2);
  const hardCap = positiveInteger('maxEpisodes', options.maxEpisodes ?? 1000, min);
  const nb0 = positiveInteger('baselineEpisodes', options.baselineEpisodes, 2);
  const extend = options.extendBaseline ?? false;
  const balanced = options.balanced ?? false;
  const effect = options.effectSize ?? null;
  if (effect !== null && !(effect > 0)) {
    throw new ValidationError(`effectSize must be > 0 (or null), got ${effect}`, { field: 'effectSize' });
  }
  const infoAt = (n: number) => plannedInfo(n, baselineAt(n, nb0, extend, balanced));
  const build = (cap: number) => {
    const counts = lookCounts(min, cap, batch);
    const looks = counts.map((c) => ({ current: c, baseline: baselineAt(c, nb0, extend, balanced) }));
    const infos = counts.map(infoAt);
    return { looks, infos, boundaries: groupSequentialBoundaries(infos, alpha, spending) };
  };
  type Built = ReturnType<typeof build>;
  const powerOf = (b: Built, e: number) => groupSequentialRejectionProbability(b.infos, b.boundaries, e);

  const caps = lookCounts(min, hardCap, batch);
  let chosen: Built;
  let plannedPower: number | null = null;
  let inflation: number | null = null;
  if (effect === null) {
    chosen = build(hardCap);
  } else if (effect === Number.POSITIVE_INFINITY) {
    chosen = build(min);
    plannedPower = 1;
    inflation = 1;
  } else {
    // Start near the fixed-sample information (× 1.05) and walk along the schedule: the
    // power grows with the cap, and the answer is usually one or two steps away.
    const iFix = fixedSampleInfo(effect, alpha, power);
    let i = caps.findIndex((c) => infoAt(c) >= 1.05 * iFix);
    if (i < 0) i = caps.length - 1;
    chosen = build(caps[i]);
    plannedPower = powerOf(chosen, effect);
    if (plannedPower >= power) {
      while (i > 0) {
        const b = build(caps[i - 1]);
        const p = powerOf(b, effect);
        if (p < power) break;
        i--;
        chosen = b;
        plannedPower = p;
      }
    } else {
      while (i < caps.length - 1 && plannedPower < power) {
        i++;
        chosen = build(caps[i]);
        plannedPower = powerOf(chosen, effect);
      }
    }
    // When even the hard cap falls short there is nothing to re-plan (re-planning only adds
    // episodes, up to the hard cap), so the inflation factor is left null.
    if (plannedPower >= power) inflation = infoAt(caps[i]) / iFix;
  }
  const last = chosen.looks[chosen.looks.length - 1];
  return {
    alpha,
    power,
    spending,
    batchSize: batch,
    minEpisodes: min,
    hardCap,
    maxEpisodes: last.current,
    baselineEpisodes: nb0,
    extendBaseline: extend,
    balanced,
    effectSize: effect,
    looks: chosen.looks,
    boundaries: chosen.boundaries,
    plannedPower,
    inflation,
    cache: new Map(),
  };
}

// ---------------------------------------------------------------------------------------
// The test

/** Options of `createSequentialTest`. */
export interface SequentialTestOptions
  extends Omit<SequentialDesignOptions, 'baselineEpisodes' | 'effectSize'> {
  /** The baseline at the start: raw returns or a summary (mean_reward, std_reward ddof 0, num_episodes). */
  baseline: ComparableMetrics;
  /** rewardDropPct, rewardScale and alpha are used (alpha unless `alpha` is given). */
  thresholds?: Partial<RegressionThresholds>;
  /** Standard deviation of returns for planning the cap; default the baseline's. */
  planningStd?: number;
  /** A design to reuse (planned for the same baseline size); the design options are then ignored. */
  design?: SequentialDesign;
  /** Compare equal numbers of episodes (see SequentialDesignOptions.balanced); default: when the baseline has raw returns. */
  balanced?: boolean;
  /**
   * Re-plan the cap at the first look from the standard deviations observed there (an
   * internal pilot, Wittes & Brittain 1990), so that a current agent noisier than its
   * baseline still gets the planned power. Default true (when the design was planned).
   */
  reestimate?: boolean;
}

/** Episodes for the runner to play next. */
export interface NextBatch {
  current: number;
  baseline: number;
}

/** The outcome of one `update`. */
export interface SequentialStep {
  /** 'continue', or the verdict once the test has stopped. */
  decision: 'continue' | Verdict;
  /** Looks taken so far (0 before the first). */
  look: number;
  /** Episodes so far on each side (the baseline's including its initial ones). */
  episodes: { current: number; baseline: number };
  /** Episodes compared at this look (balanced designs compare a prefix of the baseline's). */
  compared: { current: number; baseline: number };
  /** The cap on current episodes in force (after re-estimation at the first look). */
  cap: number;
  /** What to play next; null once decided. */
  next: NextBatch | null;
  /** Planned information fraction of this look (0 before the first). */
  informationFraction: number;
  /** Z-scale boundary of this look (null before the first). */
  boundary: number | null;
  /** mean(current) − mean(baseline) so far. */
  difference: number;
  /** (baseline − current) / reward scale × 100 so far. */
  rewardDropPct: number;
  /** z statistics of the three tests at this look (null before the first). */
  z: { drop: number; gain: number; noninferiority: number } | null;
  /** Stage-wise p-values (set once decided). */
  pValues: { drop: number; gain: number; noninferiority: number } | null;
  /** For `detectRegression(current, baseline, thresholds, { evidence })` once decided. */
  evidence: ExternalEvidence | null;
}

/** Running size, mean and sum of squared deviations (Chan, Golub & LeVeque 1983 merging). */
interface Moments {
  n: number;
  mean: number;
  m2: number;
}

function addBatch(acc: Moments, x: ArrayLike<number>, name: string): void {
  const k = x.length;
  if (k === 0) return;
  let s = 0;
  for (let i = 0; i < k; i++) {
    const v = x[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ValidationError(`${name}[${i}] must be a finite number, got ${v}`, { field: name, index: i });
    }
    s += v;
  }
  const mb = s / k;
  let m2b = 0;
  let dev = 0;
  for (let i = 0; i < k; i++) {
    const d = x[i] - mb;
    dev += d;
    m2b += d * d;
  }
  m2b = Math.max(0, m2b - (dev * dev) / k);
  const n = acc.n + k;
  const delta = mb - acc.mean;
  acc.mean += (delta * k) / n;
  acc.m2 += m2b + ((delta * delta * acc.n) / n) * k;
  acc.n = n;
}

/** A z with the same one-sided upper-tail p-value as Welch's t (J&T §11.4). */
function zFromT(t: number, df: number): number {
  if (Number.isNaN(t)) return Number.NaN;
  if (!Number.isFinite(t) || !Number.isFinite(df)) return t;
  return normalIsf(studentTSf(t, df));
}

const SPENDING_NAMES: Record<SpendingFunction, string> = {
  'obrien-fleming': "O'Brien-Fleming-type",
  pocock: 'Pocock-type',
};

/** A group-sequential regression test in progress. Pure and deterministic: same batches, same steps. */
export class SequentialTest {
  readonly design: SequentialDesign;
  /** The drop threshold in reward units, fixed at the start (the hypotheses may not move). */
  readonly threshold: number;
  readonly scale: number;
  /** The non-inferiority margin, fixed at the start (see `noninferiorityMargin`). */
  readonly margin: NoninferiorityMargin;
  private readonly current: Moments = { n: 0, mean: 0, m2: 0 };
  /** All baseline episodes (initial and replayed). */
  private readonly baselineAll: Moments;
  /** Balanced designs: the baseline's returns in order, and the moments of the prefix compared so far. */
  private readonly pool: number[] | null;
  private readonly baselineUsed: Moments = { n: 0, mean: 0, m2: 0 };
  private readonly history: PlannedLook[] = [];
  private readonly reestimate: boolean;
  private cap: number;
  private last: LookState | null = null;
  private done = false;

  constructor(options: SequentialTestOptions) {
    const t = resolveThresholds({
      ...options.thresholds,
      ...(options.alpha !== undefined ? { alpha: options.alpha } : {}),
    });
    const b = summarizeArm(options.baseline, 'baseline');
    if (b.n < 2) {
      throw new ValidationError('the baseline needs at least 2 episodes', { field: 'baseline.num_episodes' });
    }
    this.baselineAll = { n: b.n, mean: b.mean, m2: b.variance * (b.n - 1) };
    this.scale = rewardScale({ n: 0, mean: 0, variance: Number.NaN, returns: null }, b, t.rewardScale);
    this.threshold = (t.rewardDropPct / 100) * this.scale;
    this.margin = noninferiorityMargin(b.mean, this.scale, t.rewardDropPct, t.rewardScale !== null);
    if (options.design !== undefined) {
      const d = options.design;
      if (d.baselineEpisodes !== b.n) {
        throw new ValidationError(
          `the design was planned for ${d.baselineEpisodes} baseline episodes, the baseline has ${b.n}`,
          { field: 'design' },
        );
      }
      this.design = d;
    } else {
      const sd = options.planningStd ?? Math.sqrt(b.variance);
      if (!(sd >= 0) || !Number.isFinite(sd)) {
        throw new ValidationError(`planningStd must be a finite number ≥ 0, got ${sd}`, {
          field: 'planningStd',
        });
      }
      const effect = this.threshold > 0 ? (sd > 0 ? this.threshold / sd : Number.POSITIVE_INFINITY) : null;
      this.design = planSequentialDesign({
        alpha: t.alpha,
        power: options.power,
        spending: options.spending,
        batchSize: options.batchSize,
        minEpisodes: options.minEpisodes,
        maxEpisodes: options.maxEpisodes,
        baselineEpisodes: b.n,
        extendBaseline: options.extendBaseline,
        balanced: options.balanced ?? b.returns !== null,
        effectSize: effect,
      });
    }
    if (this.design.balanced && b.returns === null) {
      throw new ValidationError('a balanced design needs the baseline’s raw episode_returns', {
        field: 'baseline.episode_returns',
      });
    }
    this.pool = this.design.balanced && b.returns !== null ? [...b.returns] : null;
    this.cap = this.design.maxEpisodes;
    this.reestimate = (options.reestimate ?? true) && this.design.inflation !== null && this.threshold > 0;
  }

  /** Whether the test has stopped. */
  get decided(): boolean {
    return this.done;
  }

  /** Episodes the runner should play first. */
  firstBatch(): NextBatch {
    return this.nextBatch();
  }

  private baselineFor(current: number): number {
    const d = this.design;
    return baselineAt(current, d.baselineEpisodes, d.extendBaseline, d.balanced);
  }

  private nextBatch(): NextBatch {
    const d = this.design;
    const nc = this.current.n;
    const target = nc < d.minEpisodes ? d.minEpisodes : Math.min(this.cap, nc + d.batchSize);
    return {
      current: Math.max(0, target - nc),
      baseline: d.extendBaseline ? Math.max(0, this.baselineFor(target) - this.baselineAll.n) : 0,
    };
  }

  /**
   * The cap re-planned from the variances at the first look: the smallest look count whose
   * information 1/(s_c²/n_c + s_b²/n_b) reaches inflation × ((z_{1−α} + z_power)/threshold)²,
   * the hard cap when none does; never below the planned cap (Wittes & Brittain 1990: an
   * internal pilot may add episodes, not remove them — a small early variance estimate is
   * the usual case for heavy-tailed returns). It depends on the variances only, never on
   * the difference of means.
   */
  private replannedCap(vc: number, vb: number): number {
    const d = this.design;
    const need = (d.inflation ?? 1) * fixedSampleInfo(this.threshold, d.alpha, d.power);
    for (const n of lookCounts(d.minEpisodes, d.hardCap, d.batchSize)) {
      if (n < d.maxEpisodes) continue;
      const v = vc / n + vb / Math.max(2, this.baselineFor(n));
      if (v === 0 || 1 / v >= need) return n;
    }
    return d.hardCap;
  }

  /**
   * Adds the returns of newly played episodes (current, and baseline replays when the design
   * extends the baseline) and, once at least `minEpisodes` current episodes are in, takes a
   * look. Throws a StateError after the test has stopped.
   */
  update(batch: { current: ArrayLike<number>; baseline?: ArrayLike<number> }): SequentialStep {
    if (this.done) throw new StateError('the sequential test has already stopped');
    addBatch(this.current, batch.current, 'current');
    if (batch.baseline !== undefined && batch.baseline.length > 0) {
      if (!this.design.extendBaseline) {
        throw new ValidationError(
          'baseline episodes were given but the design does not extend the baseline',
          {
            field: 'baseline',
          },
        );
      }
      addBatch(this.baselineAll, batch.baseline, 'baseline');
      if (this.pool !== null)
        for (let i = 0; i < batch.baseline.length; i++) this.pool.push(batch.baseline[i]);
    }
    const d = this.design;
    const nc = this.current.n;
    // The baseline episodes compared at this look: a prefix of the pool in balanced designs.
    let bas: Moments = this.baselineAll;
    if (this.pool !== null) {
      const want = Math.min(this.pool.length, Math.max(2, this.baselineFor(Math.max(nc, 2))));
      if (want > this.baselineUsed.n)
        addBatch(this.baselineUsed, this.pool.slice(this.baselineUsed.n, want), 'baseline');
      bas = this.baselineUsed;
    }
    const nb = bas.n;
    const difference = nc > 0 ? this.current.mean - bas.mean : 0;
    const base = {
      episodes: { current: nc, baseline: this.baselineAll.n },
      compared: { current: nc, baseline: nb },
      difference,
      rewardDropPct: (-difference / this.scale) * 100,
    };
    if (nc < d.minEpisodes) {
      return {
        ...base,
        decision: 'continue',
        look: this.history.length,
        cap: this.cap,
        next: this.nextBatch(),
        informationFraction: 0,
        boundary: null,
        z: null,
        pValues: null,
        evidence: null,
      };
    }
    const vc = this.current.m2 / (nc - 1);
    const vb = bas.m2 / (nb - 1);
    if (this.history.length === 0 && this.reestimate) this.cap = Math.max(nc, this.replannedCap(vc, vb));

    // The look: its boundary from the design's shared cache, keyed by cap and history.
    this.history.push({ current: nc, baseline: nb });
    const final = nc >= this.cap;
    const capInfo = plannedInfo(this.cap, Math.max(nb, this.baselineFor(this.cap)));
    const fraction = final ? 1 : Math.min(1, plannedInfo(nc, nb) / capInfo);
    const key = `${lookKey(this.cap, this.history)}${final ? '!' : ''}`;
    let look = d.cache.get(key);
    if (look === undefined) {
      look = analyseLook(this.last, plannedInfo(nc, nb), fraction, alphaSpent(d.spending, d.alpha, fraction));
      d.cache.set(key, look);
    }
    this.last = look;

    // Welch statistics of the three tests, as z's with the same p-values.
    const cur = { n: nc, mean: this.current.mean, variance: vc };
    const ref = { n: nb, mean: bas.mean, variance: vb };
    const plain = welchContrast(cur, ref, 1, 0);
    const ni = welchContrast(cur, ref, this.margin.lambda, this.margin.offset);
    const z = {
      drop: zFromT(-plain.statistic, plain.df),
      gain: zFromT(plain.statistic, plain.df),
      noninferiority: zFromT(ni.statistic, ni.df),
    };
    const c = look.boundary;
    const reject = (x: number) => !Number.isNaN(x) && x >= c;
    const verdict = verdictOf(reject(z.drop), reject(z.gain), reject(z.noninferiority), 0);
    const decision: 'continue' | Verdict = verdict === 'inconclusive' && !final ? 'continue' : verdict;
    const stopped = decision !== 'continue';
    let pValues: SequentialStep['pValues'] = null;
    let evidence: ExternalEvidence | null = null;
    if (stopped) {
      this.done = true;
      pValues = {
        drop: stagewisePValue(look, z.drop),
        gain: stagewisePValue(look, z.gain),
        noninferiority: stagewisePValue(look, z.noninferiority),
      };
      evidence = {
        dropRejected: reject(z.drop),
        gainRejected: reject(z.gain),
        noninferiorityRejected: reject(z.noninferiority),
        dropPValue: pValues.drop,
        gainPValue: pValues.gain,
        noninferiorityPValue: pValues.noninferiority,
        description:
          `group-sequential test, ${SPENDING_NAMES[d.spending]} spending, stopped at look ${this.history.length}` +
          ` of at most ${lookCounts(d.minEpisodes, this.cap, d.batchSize).length}; stage-wise p`,
      };
    }
    return {
      ...base,
      decision,
      look: this.history.length,
      cap: this.cap,
      next: stopped ? null : this.nextBatch(),
      informationFraction: fraction,
      boundary: c,
      z,
      pValues,
      evidence,
    };
  }
}

/**
 * Starts a sequential regression test against `options.baseline`. The runner plays
 * `test.firstBatch()` episodes, calls `update`, and keeps playing `step.next` until
 * `step.decision` is a verdict; then `detectRegression(currentMetrics, baselineMetrics,
 * thresholds, { evidence: step.evidence })` writes the report with the policy checks.
 * For m environments at once, give each test alpha/m (Bonferroni).
 */
export function createSequentialTest(options: SequentialTestOptions): SequentialTest {
  return new SequentialTest(options);
}

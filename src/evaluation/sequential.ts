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
 * `design.plannedPower` says what the cap achieves.
 */
import { StateError, ValidationError } from '../errors.js';
import { normalIsf, normalSf, studentTSf } from '../stats/index.js';
import {
  type ComparableMetrics,
  type ExternalEvidence,
  type RegressionThresholds,
  resolveThresholds,
  rewardScale,
  summarizeArm,
  verdictOf,
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
   * current side (n_b = max(initial, n_c)), which halves the variance the fixed baseline
   * would otherwise put on every comparison. Default false.
   */
  extendBaseline?: boolean;
  /**
   * The drop to detect with `power`, in baseline standard deviations (threshold / σ); null or
   * omitted: no planning, the cap is `maxEpisodes`. +∞ (a constant baseline): one look.
   */
  effectSize?: number | null;
}

/** A planned look: episodes on each side. */
export interface PlannedLook {
  current: number;
  baseline: number;
}

/** A planned group-sequential design; reusable by many tests with the same baseline size. */
export interface SequentialDesign {
  readonly alpha: number;
  readonly power: number;
  readonly spending: SpendingFunction;
  readonly batchSize: number;
  readonly minEpisodes: number;
  /** The planned cap on current episodes (≤ the maxEpisodes option). */
  readonly maxEpisodes: number;
  readonly baselineEpisodes: number;
  readonly extendBaseline: boolean;
  readonly effectSize: number | null;
  /** The looks of the plan. */
  readonly looks: readonly PlannedLook[];
  /** Z-scale boundary at each planned look. */
  readonly boundaries: readonly number[];
  /** Power at a drop of exactly the threshold (null without an effect size). */
  readonly plannedPower: number | null;
  /** Analysed looks keyed by their history, shared by the tests of this design. */
  readonly cache: Map<string, LookState>;
}

function plannedInfo(current: number, baseline: number): number {
  return 1 / (1 / current + 1 / baseline);
}

function schedule(min: number, cap: number, batch: number, nb0: number, extend: boolean): PlannedLook[] {
  const looks: PlannedLook[] = [];
  for (let n = min; ; n += batch) {
    const c = Math.min(n, cap);
    looks.push({ current: c, baseline: extend ? Math.max(nb0, c) : nb0 });
    if (c >= cap) break;
  }
  return looks;
}

function lookKey(history: readonly PlannedLook[]): string {
  return history.map((l) => `${l.current}:${l.baseline}`).join(',');
}

function positiveInteger(name: string, v: number, least: number): number {
  if (!Number.isSafeInteger(v) || v < least) {
    throw new ValidationError(`${name} must be an integer ≥ ${least}, got ${v}`, { field: name });
  }
  return v;
}

/**
 * Plans a design: the look schedule (first look at `minEpisodes` current episodes, then
 * every `batchSize`), the cap (the smallest one in the schedule whose power at `effectSize`
 * reaches `power`, at most `maxEpisodes`) and the boundaries.
 */
export function planSequentialDesign(options: SequentialDesignOptions): SequentialDesign {
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 0.5))
    throw new ValidationError(`alpha must be in (0, 0.5), got ${alpha}`, { field: 'alpha' });
  const power = options.power ?? 0.9;
  if (!(power > 0 && power < 1))
    throw new ValidationError(`power must be in (0, 1), got ${power}`, { field: 'power' });
  const spending = options.spending ?? 'obrien-fleming';
  if (spending !== 'obrien-fleming' && spending !== 'pocock') {
    throw new ValidationError(`spending must be 'obrien-fleming' or 'pocock', got '${spending}'`, {
      field: 'spending',
    });
  }
  const batch = positiveInteger('batchSize', options.batchSize ?? 25, 1);
  const min = positiveInteger('minEpisodes', options.minEpisodes ?? 50, 2);
  const max = positiveInteger('maxEpisodes', options.maxEpisodes ?? 1000, min);
  const nb0 = positiveInteger('baselineEpisodes', options.baselineEpisodes, 2);
  const extend = options.extendBaseline ?? false;
  const effect = options.effectSize ?? null;
  if (effect !== null && !(effect > 0)) {
    throw new ValidationError(`effectSize must be > 0 (or null), got ${effect}`, { field: 'effectSize' });
  }
  const build = (cap: number) => {
    const looks = schedule(min, cap, batch, nb0, extend);
    const infos = looks.map((l) => plannedInfo(l.current, l.baseline));
    return { looks, infos, boundaries: groupSequentialBoundaries(infos, alpha, spending) };
  };
  const powerOf = (b: ReturnType<typeof build>) =>
    effect === null
      ? null
      : effect === Number.POSITIVE_INFINITY
        ? 1
        : groupSequentialRejectionProbability(b.infos, b.boundaries, effect);
  let chosen = build(max);
  let chosenPower = powerOf(chosen);
  if (effect !== null && chosenPower !== null && chosenPower >= power) {
    // Smallest cap on the schedule with enough power (power grows with the cap).
    const caps = schedule(min, max, batch, nb0, extend).map((l) => l.current);
    let lo = 0;
    let hi = caps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const b = build(caps[mid]);
      const p = powerOf(b) ?? 0;
      if (p >= power) {
        hi = mid;
        chosen = b;
        chosenPower = p;
      } else lo = mid + 1;
    }
    if (chosen.looks[chosen.looks.length - 1].current !== caps[lo]) {
      chosen = build(caps[lo]);
      chosenPower = powerOf(chosen);
    }
  }
  return {
    alpha,
    power,
    spending,
    batchSize: batch,
    minEpisodes: min,
    maxEpisodes: chosen.looks[chosen.looks.length - 1].current,
    baselineEpisodes: nb0,
    extendBaseline: extend,
    effectSize: effect,
    looks: chosen.looks,
    boundaries: chosen.boundaries,
    plannedPower: chosenPower,
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
  private readonly current: Moments = { n: 0, mean: 0, m2: 0 };
  private readonly baseline: Moments;
  private readonly history: PlannedLook[] = [];
  private last: LookState | null = null;
  private done = false;

  constructor(options: SequentialTestOptions) {
    const t = resolveThresholds({
      ...options.thresholds,
      ...(options.alpha !== undefined ? { alpha: options.alpha } : {}),
    });
    const b = summarizeArm(options.baseline, 'baseline');
    if (b.n < 2)
      throw new ValidationError('the baseline needs at least 2 episodes', { field: 'baseline.num_episodes' });
    this.baseline = { n: b.n, mean: b.mean, m2: b.variance * (b.n - 1) };
    this.scale = rewardScale({ n: 0, mean: 0, variance: Number.NaN, returns: null }, b, t.rewardScale);
    this.threshold = (t.rewardDropPct / 100) * this.scale;
    if (options.design !== undefined) {
      if (options.design.baselineEpisodes !== b.n) {
        throw new ValidationError(
          `the design was planned for ${options.design.baselineEpisodes} baseline episodes, the baseline has ${b.n}`,
          { field: 'design' },
        );
      }
      this.design = options.design;
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
        effectSize: effect,
      });
    }
  }

  /** Whether the test has stopped. */
  get decided(): boolean {
    return this.done;
  }

  /** Episodes the runner should play first. */
  firstBatch(): NextBatch {
    return this.nextBatch();
  }

  private nextBatch(): NextBatch {
    const d = this.design;
    const nc = this.current.n;
    const target = nc < d.minEpisodes ? d.minEpisodes : Math.min(d.maxEpisodes, nc + d.batchSize);
    const current = Math.max(0, target - nc);
    const baseline = d.extendBaseline
      ? Math.max(0, Math.max(d.baselineEpisodes, target) - this.baseline.n)
      : 0;
    return { current, baseline };
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
      addBatch(this.baseline, batch.baseline, 'baseline');
    }
    const d = this.design;
    const nc = this.current.n;
    const nb = this.baseline.n;
    const difference = nc > 0 ? this.current.mean - this.baseline.mean : 0;
    const rewardDropPct = (-difference / this.scale) * 100;
    const base = {
      episodes: { current: nc, baseline: nb },
      difference,
      rewardDropPct,
    };
    if (nc < d.minEpisodes) {
      return {
        ...base,
        decision: 'continue',
        look: this.history.length,
        next: this.nextBatch(),
        informationFraction: 0,
        boundary: null,
        z: null,
        pValues: null,
        evidence: null,
      };
    }

    // The look: boundary from the design (shared cache) for this history of episode counts.
    this.history.push({ current: nc, baseline: nb });
    const final = nc >= d.maxEpisodes;
    const last = d.looks[d.looks.length - 1];
    const fraction = final ? 1 : Math.min(1, plannedInfo(nc, nb) / plannedInfo(last.current, last.baseline));
    const key = `${lookKey(this.history)}${final ? '!' : ''}`;
    let look = d.cache.get(key);
    if (look === undefined) {
      look = analyseLook(this.last, plannedInfo(nc, nb), fraction, alphaSpent(d.spending, d.alpha, fraction));
      d.cache.set(key, look);
    }
    this.last = look;

    // Welch statistics of the three tests, as z's with the same p-values.
    const vc = this.current.m2 / (nc - 1);
    const vb = this.baseline.m2 / (nb - 1);
    const se = Math.sqrt(vc / nc + vb / nb);
    const df = (vc / nc + vb / nb) ** 2 / ((vc / nc) ** 2 / (nc - 1) + (vb / nb) ** 2 / (nb - 1));
    const ratio = (x: number) =>
      se > 0 ? x / se : x === 0 ? Number.NaN : x > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    const z = {
      drop: zFromT(ratio(-difference), df),
      gain: zFromT(ratio(difference), df),
      noninferiority: zFromT(ratio(difference + this.threshold), df),
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
          ` of at most ${d.looks.length}; stage-wise p`,
      };
    }
    return {
      ...base,
      decision,
      look: this.history.length,
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

/**
 * Per-environment metrics of an evaluation (DESIGN section 5) and their summary across
 * environments. Every definition here is spelled out in docs/evaluation/metrics.md.
 *
 * - Return statistics are NumPy's (ddof 0), the IQM is rliable's (scipy.stats.trim_mean
 *   with 0.25), and the confidence intervals are seeded percentile bootstraps (Efron &
 *   Tibshirani 1993, ch. 13), as rliable reports them (Agarwal et al. 2021, "Deep RL at the
 *   Edge of the Statistical Precipice").
 * - Order: every summary is computed from the returns sorted ascending, so that it does not
 *   depend on the order in which episodes finished (parallel workers finish in any order):
 *   sums are then formed in one canonical order, and the bootstrap draws indices into the
 *   sorted sample. Only the raw arrays keep the episode order.
 * - The percentile interval of a skewed or tiny sample can, rarely, exclude the statistic
 *   itself; the reported interval is then widened to include it, so that an interval never
 *   contradicts the estimate printed beside it.
 * - Action entropy is computed from action counts (`ActionCounts`, e.g. from an
 *   `ActionCounter`), so that a runner accumulates counts step by step without storing actions.
 */
import Type, { type Static } from 'typebox';
import type { Action, ActionSpace } from '../envs/index.js';
import { Box, Discrete, describeEnv } from '../envs/index.js';
import { ValidationError } from '../errors.js';
import type { SeedEntropy } from '../rng/index.js';
import { bootstrapCI, iqm, max, mean, median, min, std, variance } from '../stats/index.js';
import { ConfidenceInterval, type MetricsResult } from './schemas.js';

/** Bins per Box dimension for the action entropy (the MetricsResult schema's definition). */
export const ACTION_ENTROPY_BINS = 10;

/** Default number of most recent updates whose loss slope is the loss trend (EVAL_LOSS_TREND_WINDOW). */
export const DEFAULT_LOSS_TREND_WINDOW = 10;

/** Default bootstrap resamples for the confidence intervals (rliable uses 50,000). */
export const DEFAULT_BOOTSTRAP_RESAMPLES = 10_000;

/**
 * Action counts, accumulated step by step without storing the actions (one episode's, or a
 * whole run's already summed — the shape the episode runner keeps):
 * - Discrete(n): `counts[k]` = times action `start + k` was taken; `dims` = 1.
 * - Box: `dims` × ACTION_ENTROPY_BINS counts, dimension-major: `counts[d · 10 + b]` = times
 *   dimension d fell in bin b of 10 equal bins over [low[d], high[d]] (values outside the
 *   bounds count in the end bin they would be clipped to, as the environments clip them).
 */
export interface ActionCounts {
  kind: 'discrete' | 'box';
  counts: number[];
  dims: number;
}

/** One finished episode, as the runner reports it. */
export interface EpisodeResult {
  /** Undiscounted sum of rewards. */
  return: number;
  /** Steps taken. */
  length: number;
  terminated: boolean;
  truncated: boolean;
  /** Whether the episode succeeded; when absent, the environment's criterion decides. */
  success?: boolean;
  /** The episode's action counts (see ActionCounts). */
  actions?: ActionCounts;
}

/** One training update's loss. */
export interface LossRecord {
  /** Environment steps (or update index) at which the loss was recorded. */
  timestep: number;
  loss: number;
}

export interface MetricsOptions {
  /** Environment id: gives the success criterion and the action space. */
  envId?: string;
  /** Coverage of the confidence intervals, in (0, 1). Default 0.95. */
  confidence?: number;
  /** Bootstrap resamples. Default 10,000. */
  resamples?: number;
  /** Bootstrap seed (numpy-compatible Generator). Default 0. */
  seed?: SeedEntropy;
  /**
   * Action counts of all the episodes, already summed (e.g. the runner's tally of a run),
   * instead of per-episode `actions`.
   */
  actions?: ActionCounts;
  /** Training losses, one per update; absent → mean_loss and loss_trend are null. */
  losses?: readonly LossRecord[];
  /** Updates in the loss-trend window. Default DEFAULT_LOSS_TREND_WINDOW (10). */
  lossTrendWindow?: number;
}

/**
 * Accumulates action counts (ActionCounts) for the action entropy, with no allocation per
 * step. `counts()` returns a plain copy that can cross a worker-thread boundary.
 */
export class ActionCounter {
  private readonly discrete: Discrete | null;
  private readonly low: Float64Array;
  private readonly width: Float64Array;
  private readonly tally: Float64Array;
  private readonly dims: number;

  constructor(space: ActionSpace) {
    if (space instanceof Discrete) {
      this.discrete = space;
      this.dims = 1;
      this.low = new Float64Array(0);
      this.width = new Float64Array(0);
      this.tally = new Float64Array(space.n);
    } else if (space instanceof Box) {
      if (!space.isBounded('both')) {
        // Equal bins need finite bounds; every registered continuous environment has them.
        throw new ValidationError(
          `action entropy needs a bounded Box action space, got ${space.toString()}`,
          {
            field: 'actionSpace',
          },
        );
      }
      this.discrete = null;
      this.dims = space.size;
      this.low = Float64Array.from(space.low);
      this.width = new Float64Array(space.size);
      for (let d = 0; d < space.size; d++) this.width[d] = space.high[d] - space.low[d];
      this.tally = new Float64Array(space.size * ACTION_ENTROPY_BINS);
    } else {
      throw new ValidationError('action space must be a Discrete or a Box', { field: 'actionSpace' });
    }
  }

  /** Counts one action. Throws ValidationError for an action outside a Discrete space or with NaN. */
  add(action: Action): void {
    const discrete = this.discrete;
    if (discrete !== null) {
      const a = typeof action === 'number' ? action : action[0];
      const k = a - discrete.start;
      if (!Number.isInteger(k) || k < 0 || k >= discrete.n) {
        throw new ValidationError(`action ${a} is not in ${discrete.toString()}`, { field: 'action' });
      }
      this.tally[k]++;
      return;
    }
    const bins = ACTION_ENTROPY_BINS;
    for (let d = 0; d < this.dims; d++) {
      const v = typeof action === 'number' ? action : action[d];
      if (Number.isNaN(v)) throw new ValidationError(`action[${d}] is NaN`, { field: 'action' });
      const w = this.width[d];
      let b = w > 0 ? Math.floor(((v - this.low[d]) / w) * bins) : 0;
      if (b < 0) b = 0;
      else if (b >= bins) b = bins - 1; // v = high falls in the last bin
      this.tally[d * bins + b]++;
    }
  }

  /** Clears the counts (to reuse the counter for the next episode). */
  reset(): void {
    this.tally.fill(0);
  }

  /** A plain copy of the counts. */
  counts(): ActionCounts {
    return {
      kind: this.discrete !== null ? 'discrete' : 'box',
      counts: Array.from(this.tally),
      dims: this.dims,
    };
  }
}

/** Shannon entropy (nats) of the distribution proportional to `counts`; null when all are 0. */
function entropyOfCounts(counts: ArrayLike<number>): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total <= 0) return null;
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c > 0) h -= (c / total) * Math.log(c / total);
  }
  // −Σ p log p of a one-point distribution is exactly 0 but rounds to −0 or a few ulps.
  return Math.max(0, h);
}

/** Validates one ActionCounts record against the first one's shape (or the action space's). */
function checkActionCounts(a: ActionCounts, kind: string, length: number, dims: number, where: string): void {
  if (a === null || typeof a !== 'object' || a.kind !== kind) {
    throw new ValidationError(`${where} must be '${kind}' action counts`, { field: 'actions' });
  }
  if (!Array.isArray(a.counts) || a.counts.length !== length || a.dims !== dims) {
    throw new ValidationError(`${where} must hold ${length} counts over ${dims} dimension(s)`, {
      field: 'actions',
    });
  }
  for (const c of a.counts) {
    if (typeof c !== 'number' || !Number.isFinite(c) || c < 0) {
      throw new ValidationError(`${where} must hold non-negative finite counts`, { field: 'actions' });
    }
  }
}

/**
 * The action entropy of a set of action counts (per episode, or already pooled): the counts
 * are summed, then H = −Σ p log p (nats) of the pooled distribution; for a Box, the entropy
 * of each dimension's binned distribution, averaged over dimensions. Null when there are no
 * counts or no action was counted. With `space`, the counts must match it.
 */
export function actionEntropy(records: readonly ActionCounts[], space?: ActionSpace): number | null {
  if (records.length === 0) return null;
  let kind: string;
  let dims: number;
  let length: number;
  if (space instanceof Discrete) {
    [kind, dims, length] = ['discrete', 1, space.n];
  } else if (space instanceof Box) {
    [kind, dims, length] = ['box', space.size, space.size * ACTION_ENTROPY_BINS];
  } else {
    const first = records[0];
    kind = first?.kind;
    dims = first?.dims;
    length = kind === 'box' ? dims * ACTION_ENTROPY_BINS : (first?.counts?.length ?? 0);
  }
  const pooled = new Float64Array(length);
  records.forEach((r, i) => {
    checkActionCounts(r, kind, length, dims, `actions[${i}]`);
    for (let j = 0; j < length; j++) pooled[j] += r.counts[j];
  });
  if (kind === 'discrete') return entropyOfCounts(pooled);
  if (dims === 0) return null;
  let sum = 0;
  for (let d = 0; d < dims; d++) {
    const h = entropyOfCounts(pooled.subarray(d * ACTION_ENTROPY_BINS, (d + 1) * ACTION_ENTROPY_BINS));
    if (h === null) return null;
    sum += h;
  }
  return sum / dims;
}

/**
 * Mean loss and loss trend. The trend is the least-squares slope of the loss against the
 * update index over the last `window` updates (in timestep order), divided by the mean
 * |loss| of that window: a relative change per update, so that the "loss trend increasing"
 * check does not depend on the loss's scale. Fewer than 2 updates: the trend is null (a
 * slope needs two points); a window of zero losses has trend 0.
 */
export function lossSummary(
  losses: readonly LossRecord[] | undefined,
  window: number = DEFAULT_LOSS_TREND_WINDOW,
): { mean_loss: number | null; loss_trend: number | null } {
  if (!Number.isSafeInteger(window) || window < 2) {
    throw new ValidationError(`lossTrendWindow must be an integer ≥ 2, got ${window}`, {
      field: 'lossTrendWindow',
    });
  }
  if (losses === undefined || losses.length === 0) return { mean_loss: null, loss_trend: null };
  losses.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || !Number.isFinite(r.loss) || !Number.isFinite(r.timestep)) {
      throw new ValidationError(`losses[${i}] must have a finite timestep and loss`, {
        field: 'losses',
        index: i,
      });
    }
  });
  // A stable sort keeps the given order among equal timesteps.
  const ordered = losses.map((r) => r.loss);
  const order = losses.map((_, i) => i).sort((a, b) => losses[a].timestep - losses[b].timestep);
  for (let i = 0; i < order.length; i++) ordered[i] = losses[order[i]].loss;
  const meanLoss = mean(ordered);
  if (ordered.length < 2) return { mean_loss: meanLoss, loss_trend: null };
  const tail = ordered.slice(-window);
  const k = tail.length;
  const xBar = (k - 1) / 2;
  const yBar = mean(tail);
  let sxy = 0;
  let sxx = 0;
  let absSum = 0;
  for (let i = 0; i < k; i++) {
    sxy += (i - xBar) * (tail[i] - yBar);
    sxx += (i - xBar) * (i - xBar);
    absSum += Math.abs(tail[i]);
  }
  const scale = absSum / k;
  const trend = scale > 0 ? sxy / sxx / scale : 0;
  return { mean_loss: meanLoss, loss_trend: trend };
}

function checkEpisodes(episodes: readonly EpisodeResult[]): void {
  if (!Array.isArray(episodes) || episodes.length === 0) {
    throw new ValidationError('computeMetrics needs at least one episode', { field: 'episodes' });
  }
  episodes.forEach((e, i) => {
    if (e === null || typeof e !== 'object') {
      throw new ValidationError(`episodes[${i}] must be an object`, { field: 'episodes', index: i });
    }
    if (typeof e.return !== 'number' || !Number.isFinite(e.return)) {
      throw new ValidationError(`episodes[${i}].return must be a finite number`, {
        field: 'episodes',
        index: i,
      });
    }
    if (!Number.isSafeInteger(e.length) || e.length < 0) {
      throw new ValidationError(`episodes[${i}].length must be a non-negative integer`, {
        field: 'episodes',
        index: i,
      });
    }
    if (typeof e.terminated !== 'boolean' || typeof e.truncated !== 'boolean') {
      throw new ValidationError(`episodes[${i}].terminated and .truncated must be booleans`, {
        field: 'episodes',
        index: i,
      });
    }
    if (e.success !== undefined && typeof e.success !== 'boolean') {
      throw new ValidationError(`episodes[${i}].success must be a boolean`, { field: 'episodes', index: i });
    }
  });
}

/**
 * A percentile bootstrap interval of `statistic` over the sorted returns, widened if needed
 * to contain the estimate (see the module comment).
 */
function interval(
  sorted: Float64Array,
  statistic: 'mean' | 'iqm',
  estimate: number,
  confidence: number,
  resamples: number,
  seed: SeedEntropy,
): ConfidenceInterval {
  const ci = bootstrapCI(sorted, statistic, { confidence, resamples, seed });
  return { low: Math.min(ci.low, estimate), high: Math.max(ci.high, estimate), level: confidence };
}

/**
 * The MetricsResult of one environment's episodes (DESIGN section 5; definitions in
 * docs/evaluation/metrics.md).
 *
 * Degenerate inputs: no episodes → ValidationError (no statistic of nothing); one episode →
 * std and variance 0, median = IQM = the return, both intervals [x, x]; constant returns →
 * the same, intervals [c, c]. Success needs `options.envId` or a `success` flag on every
 * episode (ValidationError otherwise). Action counts come on all episodes or none, or
 * pooled in `options.actions`.
 */
export function computeMetrics(
  episodes: readonly EpisodeResult[],
  options: MetricsOptions = {},
): MetricsResult {
  checkEpisodes(episodes);
  const confidence = options.confidence ?? 0.95;
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const seed = options.seed ?? 0;
  const env = options.envId === undefined ? null : describeEnv(options.envId);
  const n = episodes.length;

  const returns = episodes.map((e) => e.return);
  const lengths = episodes.map((e) => e.length);
  const sorted = Float64Array.from(returns).sort();

  let successes = 0;
  let totalSteps = 0;
  episodes.forEach((e, i) => {
    let ok: boolean;
    if (e.success !== undefined) ok = e.success;
    else if (env !== null) ok = env.success(e.return, e.terminated, e.truncated);
    else {
      throw new ValidationError(
        `episodes[${i}] has no success flag and no envId was given for the criterion`,
        {
          field: 'episodes',
          index: i,
        },
      );
    }
    if (ok) successes++;
    totalSteps += e.length;
  });

  const tallied = episodes.filter((e) => e.actions !== undefined);
  if (tallied.length !== 0 && tallied.length !== n) {
    throw new ValidationError(`${tallied.length} of ${n} episodes carry action counts; give all or none`, {
      field: 'episodes',
    });
  }
  if (tallied.length !== 0 && options.actions !== undefined) {
    throw new ValidationError('give action counts per episode or pooled in options.actions, not both', {
      field: 'actions',
    });
  }
  const entropy = actionEntropy(
    options.actions !== undefined ? [options.actions] : tallied.map((e) => e.actions as ActionCounts),
    env?.actionSpace,
  );
  const { mean_loss, loss_trend } = lossSummary(
    options.losses,
    options.lossTrendWindow ?? DEFAULT_LOSS_TREND_WINDOW,
  );

  const meanReward = mean(sorted);
  const iqmReward = iqm(sorted);
  const successRate = successes / n;
  return {
    num_episodes: n,
    mean_reward: meanReward,
    std_reward: std(sorted),
    min_reward: min(sorted),
    max_reward: max(sorted),
    median_reward: median(sorted),
    iqm_reward: iqmReward,
    reward_variance: variance(sorted),
    mean_ci: interval(sorted, 'mean', meanReward, confidence, resamples, seed),
    iqm_ci: interval(sorted, 'iqm', iqmReward, confidence, resamples, seed),
    success_rate: successRate,
    failure_rate: (n - successes) / n,
    mean_steps: totalSteps / n,
    total_steps: totalSteps,
    action_entropy: entropy,
    mean_loss,
    loss_trend,
    episode_returns: returns,
    episode_lengths: lengths,
  };
}

/**
 * Per-environment reference returns for normalised scores: `random` maps to 0 and `target`
 * to 1, as the human-normalised Atari score maps a random and a human player (Mnih et al.
 * 2015) and rliable normalises before aggregating.
 */
export interface EnvReference {
  /** Mean return of the uniformly random policy. */
  random: number;
  /** Gymnasium's reward_threshold ("solved"), or the success criterion's return where none is registered. */
  target: number;
}

/**
 * Reference returns of the registered environments. `random`: mean return of 10,000
 * episodes of the uniformly random policy in these environments (reset seeds 0–9999,
 * actions from `actionSpace.sample` of Generator(12345)), rounded to 0.1 (standard errors:
 * CartPole 0.12, Acrobot 0.11, MountainCar 0, MountainCarContinuous 0.05, Pendulum 2.9,
 * LunarLander 1.1, LunarLanderContinuous 1.3). `target`: Gymnasium's reward_threshold;
 * Pendulum-v1 registers none, so its success criterion's −200 is used.
 */
export const ENV_REFERENCES: Readonly<Record<string, Readonly<EnvReference>>> = Object.freeze({
  'CartPole-v1': { random: 22.1, target: 475 },
  'Acrobot-v1': { random: -498.9, target: -100 },
  'MountainCar-v0': { random: -200, target: -110 },
  'MountainCarContinuous-v0': { random: -33.1, target: 90 },
  'Pendulum-v1': { random: -1226.3, target: -200 },
  'LunarLander-v3': { random: -184.1, target: 200 },
  'LunarLanderContinuous-v3': { random: -212.8, target: 200 },
});

/** The reference of `envId` from `overrides` or ENV_REFERENCES; ValidationError if none or degenerate. */
export function envReference(
  envId: string,
  overrides?: Readonly<Record<string, EnvReference>>,
): EnvReference {
  const ref = overrides?.[envId] ?? ENV_REFERENCES[envId];
  if (ref === undefined) {
    throw new ValidationError(
      `no reference returns for '${envId}'; pass references['${envId}'] = { random, target }`,
      {
        field: 'references',
      },
    );
  }
  if (!Number.isFinite(ref.random) || !Number.isFinite(ref.target) || ref.target === ref.random) {
    throw new ValidationError(
      `reference of '${envId}' must have finite, distinct random and target returns`,
      {
        field: 'references',
      },
    );
  }
  return ref;
}

/** (x − random) / (target − random): 0 at the random policy, 1 at the target. */
export function normalizeReturn(x: number, ref: EnvReference): number {
  return (x - ref.random) / (ref.target - ref.random);
}

export const AggregateMetrics = Type.Object(
  {
    num_environments: Type.Integer({ minimum: 1 }),
    num_episodes: Type.Integer({ minimum: 1 }),
    total_steps: Type.Integer({ minimum: 0 }),
    normalized_iqm: Type.Number({
      description:
        'IQM of all episodes\u2019 normalised returns pooled over environments ((R − random) / (target − random))',
    }),
    normalized_iqm_ci: ConfidenceInterval,
    normalized_mean: Type.Number({ description: 'mean over environments of the mean normalised return' }),
    normalized_mean_ci: ConfidenceInterval,
    success_rate: Type.Number({
      minimum: 0,
      maximum: 1,
      description: 'mean over environments of the success rate',
    }),
    per_environment: Type.Record(
      Type.String(),
      Type.Object({
        normalized_mean: Type.Number(),
        normalized_iqm: Type.Number(),
        reference: Type.Object({ random: Type.Number(), target: Type.Number() }),
      }),
    ),
  },
  { $id: 'AggregateMetrics', description: 'Summary across environments (rliable-style aggregate)' },
);
export type AggregateMetrics = Static<typeof AggregateMetrics>;

export interface AggregateOptions {
  /** Reference returns per environment (default ENV_REFERENCES). */
  references?: Readonly<Record<string, EnvReference>>;
  /** Coverage of the intervals. Default 0.95. */
  confidence?: number;
  /** Bootstrap resamples. Default 10,000. */
  resamples?: number;
  /** Bootstrap seed. Default 0. */
  seed?: SeedEntropy;
}

/**
 * Overall summary of one agent across environments, as rliable aggregates across tasks:
 * returns are normalised per environment by its reference (random → 0, target → 1), the
 * IQM is taken over all normalised episode returns pooled, and its interval is a
 * stratified percentile bootstrap (episodes resampled within each environment). The mean
 * is the mean of the per-environment means (each environment weighs the same whatever its
 * episode count), with its interval from the same stratified resampling.
 *
 * Environments are processed in sorted id order, so the result does not depend on the
 * order of the record's keys. Every entry needs its raw episode_returns.
 */
export function aggregateMetrics(
  perEnv: Readonly<Record<string, MetricsResult>>,
  options: AggregateOptions = {},
): AggregateMetrics {
  const ids = Object.keys(perEnv).sort();
  if (ids.length === 0)
    throw new ValidationError('aggregateMetrics needs at least one environment', { field: 'perEnv' });
  const confidence = options.confidence ?? 0.95;
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const seed = options.seed ?? 0;
  const strata: Float64Array[] = [];
  const perEnvironment: AggregateMetrics['per_environment'] = {};
  let episodesTotal = 0;
  let stepsTotal = 0;
  let successSum = 0;
  for (const id of ids) {
    const m = perEnv[id];
    const raw = m?.episode_returns;
    if (!Array.isArray(raw) || raw.length === 0) {
      throw new ValidationError(`perEnv['${id}'] has no episode_returns to aggregate`, { field: 'perEnv' });
    }
    const ref = envReference(id, options.references);
    const normalised = Float64Array.from(raw, (x) => normalizeReturn(x, ref)).sort();
    strata.push(normalised);
    perEnvironment[id] = {
      normalized_mean: mean(normalised),
      normalized_iqm: iqm(normalised),
      reference: { random: ref.random, target: ref.target },
    };
    episodesTotal += raw.length;
    stepsTotal += m.total_steps;
    successSum += m.success_rate;
  }
  const meanOfMeans = (values: Float64Array, offsets: Int32Array): number => {
    let s = 0;
    for (let j = 0; j + 1 < offsets.length; j++) {
      let t = 0;
      for (let i = offsets[j]; i < offsets[j + 1]; i++) t += values[i];
      s += t / (offsets[j + 1] - offsets[j]);
    }
    return s / (offsets.length - 1);
  };
  const iqmCi = bootstrapCI(strata, 'iqm', { confidence, resamples, seed });
  const meanCi = bootstrapCI(strata, meanOfMeans, { confidence, resamples, seed });
  return {
    num_environments: ids.length,
    num_episodes: episodesTotal,
    total_steps: stepsTotal,
    normalized_iqm: iqmCi.estimate,
    normalized_iqm_ci: {
      low: Math.min(iqmCi.low, iqmCi.estimate),
      high: Math.max(iqmCi.high, iqmCi.estimate),
      level: confidence,
    },
    normalized_mean: meanCi.estimate,
    normalized_mean_ci: {
      low: Math.min(meanCi.low, meanCi.estimate),
      high: Math.max(meanCi.high, meanCi.estimate),
      level: confidence,
    },
    success_rate: successSum / ids.length,
    per_environment: perEnvironment,
  };
}

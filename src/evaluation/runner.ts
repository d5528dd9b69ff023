/**
 * The episode runner: plays a set of seeded evaluation episodes of one agent in one
 * environment, stepping several copies together so the policy runs batched.
 *
 * Seed schedule (documented contract; the same request twice gives the same returns):
 * - episode i (0-based) resets its environment with seed `seeds[i]` when a list of seeds
 *   is given, otherwise with `baseSeed + i` (default base 0);
 * - stochastic actions for episode i come from its own generator,
 *   `Generator(SeedSequence(episodeSeed, spawnKey=[ACTION_STREAM_KEY]))`,
 *   so an episode's actions do not depend on which copy, chunk or thread plays it.
 * Hence the returns of episode i are a function of (agent, environment, options, seed of
 * i) alone: vectorisation, chunking and worker threads change the speed, never the result.
 *
 * Vectorisation with fixed per-copy quotas: with `numEnvs` copies, copy j plays the
 * episodes j, j + numEnvs, j + 2·numEnvs, … of the requested list (its quota fixed up
 * front), and a copy that finishes its quota idles. Every requested episode is played
 * exactly once and reported in episode order, so short episodes are not over-counted — the
 * bias Stable-Baselines3 fixed in `evaluate_policy` (issue 402), where the first N episodes
 * to finish were kept.
 */
import type { Agent } from '../agents/types.js';
import { Box, type Env, type MakeOptions, make } from '../envs/index.js';
import { describeEnv } from '../envs/registry.js';
import { Generator, SeedSequence } from '../rng/index.js';
import type { EnvCache } from './env-cache.js';
import { ActionCounter, type ActionCounts } from './metrics.js';

/** Spawn key of the per-episode action stream ("ACT" in ASCII). */
export const ACTION_STREAM_KEY = 0x414354;

export interface EpisodeRecord {
  /** Index of the episode in the requested schedule. */
  index: number;
  seed: number;
  return: number;
  length: number;
  terminated: boolean;
  truncated: boolean;
  /** The environment's success criterion for this episode. */
  success: boolean;
}

export interface RunEpisodesOptions {
  envId: string;
  /** Number of episodes (indices 0..n-1), or an explicit list of episode indices (a chunk). */
  episodes: number | readonly number[];
  /** Explicit seeds, one per episode index (seeds[i] for episode i). */
  seeds?: readonly number[];
  /** Seed of episode 0 when `seeds` is not given (episode i uses baseSeed + i). Default 0. */
  baseSeed?: number;
  /** Greedy/mean actions (default) or samples from the policy. */
  deterministic?: boolean;
  /** Gaussian observation noise sigma (0/absent: none). */
  observationNoise?: number;
  /** Delay rewards by 1–3 steps (flushed at episode end). */
  rewardDelay?: boolean;
  /** Environment options (Gymnasium kwargs) for `make`. */
  envOptions?: Record<string, unknown>;
  /** Copies stepped together; default min(16, episodes). */
  numEnvs?: number;
  /** Instance cache; default: new instances, closed at the end. */
  envCache?: EnvCache;
  /** Called after each finished episode with the number finished so far in this run. */
  onEpisode?: (finished: number, total: number) => void;
}

export interface RunEpisodesResult {
  envId: string;
  /** In the order of the requested episode indices. */
  episodes: EpisodeRecord[];
  /** Counts of the actions taken over the run (for the action-entropy metric). */
  actions: ActionCounts;
  steps: number;
  seconds: number;
  /**
   * Environment-cache hits and misses of the worker thread that played these episodes (set
   * by the episode workers of `EpisodePool`, whose caches the caller cannot see).
   */
  envCacheDelta?: { hits: number; misses: number };
}

/** Seed of episode `index` under the schedule above. */
export function episodeSeed(index: number, seeds: readonly number[] | undefined, baseSeed = 0): number {
  if (seeds !== undefined) {
    const s = seeds[index];
    if (s === undefined) throw new RangeError(`no seed for episode ${index} (${seeds.length} seeds given)`);
    return s;
  }
  return baseSeed + index;
}

export function runEpisodes(agent: Agent, options: RunEpisodesOptions): RunEpisodesResult {
  const t0 = process.hrtime.bigint();
  const indices =
    typeof options.episodes === 'number'
      ? Array.from({ length: options.episodes }, (_, i) => i)
      : [...options.episodes];
  const total = indices.length;
  const desc = describeEnv(options.envId);
  const makeOptions: MakeOptions = { ...(options.envOptions ?? {}) };
  if (options.observationNoise) makeOptions.observationNoise = options.observationNoise;
  if (options.rewardDelay) makeOptions.rewardDelay = true;
  const deterministic = options.deterministic ?? true;
  const numEnvs = Math.max(1, Math.min(options.numEnvs ?? 16, total));
  const cache = options.envCache;

  const envs: Env[] = [];
  for (let j = 0; j < numEnvs; j++)
    envs.push(cache ? cache.acquire(options.envId, makeOptions) : make(options.envId, makeOptions));
  const actionSpace = envs[0].actionSpace;
  const isBox = actionSpace instanceof Box;
  const actDim = isBox ? actionSpace.size : 1;
  const obsDim = envs[0].observationSpace.size;
  const counter = new ActionCounter(actionSpace);

  // Per-copy state. Copy j plays quota[j] = indices j, j + numEnvs, … (fixed up front).
  const next = new Int32Array(numEnvs); // position in the copy's quota
  const current = new Int32Array(numEnvs).fill(-1); // position in `indices` being played, or -1
  const returns = new Float64Array(numEnvs);
  const lengths = new Int32Array(numEnvs);
  const rngs: (Generator | null)[] = new Array(numEnvs).fill(null);
  const records: (EpisodeRecord | null)[] = new Array(total).fill(null);

  const obsBatch = new Float32Array(numEnvs * obsDim);
  const actBatch = new Float32Array(numEnvs * actDim);
  const rows = new Int32Array(numEnvs); // row r of the batch belongs to copy rows[r]
  const rowRngs: Generator[] = [];
  const singleAction = isBox ? new Float32Array(actDim) : null;
  let finished = 0;
  let steps = 0;

  const startNext = (j: number): void => {
    const q = j + next[j] * numEnvs;
    if (q >= total) {
      current[j] = -1;
      return;
    }
    next[j]++;
    current[j] = q;
    const seed = episodeSeed(indices[q], options.seeds, options.baseSeed ?? 0);
    const { obs } = envs[j].reset({ seed });
    obsBatch.set(obs, j * obsDim);
    returns[j] = 0;
    lengths[j] = 0;
    rngs[j] = deterministic ? null : new Generator(new SeedSequence(seed, [ACTION_STREAM_KEY]));
  };

  try {
    for (let j = 0; j < numEnvs; j++) startNext(j);
    for (;;) {
      // Gather the active copies into a compact batch.
      let active = 0;
      rowRngs.length = 0;
      for (let j = 0; j < numEnvs; j++) {
        if (current[j] < 0) continue;
        if (active !== j) obsBatch.copyWithin(active * obsDim, j * obsDim, (j + 1) * obsDim);
        rows[active] = j;
        if (!deterministic) rowRngs.push(rngs[j]!);
        active++;
      }
      if (active === 0) break;
      agent.actBatch(
        obsBatch,
        active,
        actBatch,
        deterministic ? { deterministic } : { deterministic, rngs: rowRngs },
      );
      // Step each active copy (in reverse so that scattering observations back to row j ≥ r is safe).
      for (let r = active - 1; r >= 0; r--) {
        const j = rows[r];
        let action: number | Float32Array;
        if (singleAction !== null) {
          for (let k = 0; k < actDim; k++) singleAction[k] = actBatch[r * actDim + k];
          action = singleAction;
        } else {
          action = actBatch[r];
        }
        counter.add(action);
        const res = envs[j].step(action);
        steps++;
        returns[j] += res.reward;
        lengths[j]++;
        if (res.terminated || res.truncated) {
          const q = current[j];
          const index = indices[q];
          records[q] = {
            index,
            seed: episodeSeed(index, options.seeds, options.baseSeed ?? 0),
            return: returns[j],
            length: lengths[j],
            terminated: res.terminated,
            truncated: res.truncated,
            success: desc.success(returns[j], res.terminated, res.truncated),
          };
          finished++;
          options.onEpisode?.(finished, total);
          startNext(j);
        } else {
          obsBatch.set(res.obs, j * obsDim);
        }
      }
    }
  } finally {
    for (const env of envs) {
      if (cache) cache.release(env);
      else env.close();
    }
  }
  return {
    envId: options.envId,
    episodes: records as EpisodeRecord[],
    actions: counter.counts(),
    steps,
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
  };
}

/** Adds `b` into `a` (same kind and shape), for merging chunks. */
export function mergeActionCounts(a: ActionCounts, b: ActionCounts): ActionCounts {
  if (a.kind !== b.kind || a.counts.length !== b.counts.length)
    throw new Error('cannot merge different action tallies');
  return { kind: a.kind, dims: a.dims, counts: a.counts.map((c, i) => c + b.counts[i]) };
}

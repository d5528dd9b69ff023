/**
 * The collection loop shared by the off-policy agents (DQN, DDPG), in the order of
 * Stable-Baselines3's `OffPolicyAlgorithm.learn` / `collect_rollouts` (SB3 2.x):
 *
 *   while num_timesteps < total_timesteps:
 *     collect `train_freq` vectorised steps (each step adds n_envs transitions):
 *       choose actions (random before `learning_starts`, then the policy with exploration),
 *       step the copies, store (s, a, r, s', terminated) for each copy, where s' is the
 *       episode's final observation when the copy just finished (the vector env has already
 *       reset it), then the algorithm's per-step hook (`_on_step`: DQN's target update and
 *       exploration rate), then reset the exploration noise of copies whose episode ended;
 *     if num_timesteps > learning_starts: `gradient_steps` updates from the replay buffer.
 *
 * As in SB3, a collection phase is not cut short at the budget, so training may run up to
 * (train_freq − 1)·n_envs timesteps past `totalTimesteps`; progress_remaining (1 − t/T) is
 * clamped at 0 there, so schedules never go negative. The replay buffer stores termination
 * only as "done", so time-limit truncations still bootstrap (SB3's
 * `handle_timeout_termination`).
 *
 * Random streams: one seed gives four independent children (numpy's SeedSequence.spawn):
 * 0 initial weights, 1 the agent's own stochastic `act`, 2 exploration during training
 * (random actions, epsilon draws, action noise), 3 minibatch sampling. Copy i of the
 * environment resets with seed + i (Gymnasium's vector-env convention).
 */

import type { SyncVectorEnv } from '../envs/index.js';
import { ValidationError } from '../errors.js';
import type { Mlp } from '../nn/mlp.js';
import { completeStateDict, type Sb3LayoutEntry } from '../nn/sb3-layout.js';
import type { StateDict } from '../nn/state-dict.js';
import type { Param } from '../nn/tensor.js';
import { Generator } from '../rng/index.js';
import { ReplayBuffer } from './buffers.js';
import { checkTrainOptions } from './train-options.js';
import type { LearningCurvePoint, LossRecord, TrainOptions, TrainProgress } from './types.js';

/** Indices of the child streams spawned from a training seed (see the header). */
export const STREAM = { init: 0, act: 1, explore: 2, replay: 3 } as const;

/** The four child generators of `seed`; the same seed always gives the same streams. */
export function seedStreams(seed: number): Generator[] {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new ValidationError(`seed must be a non-negative integer, got ${seed}`, { field: 'seed' });
  }
  return new Generator(seed).spawn(4);
}

/** What an off-policy agent's constructor takes besides hyperparameters and spaces. */
export interface OffPolicyAgentOptions {
  /** Seeds the initial weights and the agent's own generator for stochastic acting. */
  seed: number;
  /** Weights to start from, in SB3's layout (absent target networks copy the online ones). */
  stateDict?: StateDict;
}

/** The parameters of `networks` by their (SB3) names. */
export function paramsByName(...networks: Mlp[]): Map<string, Param> {
  const out = new Map<string, Param>();
  for (const net of networks) for (const p of net.params()) out.set(p.name, p);
  return out;
}

/** A copy of the parameters as a state dict in `layout`'s order (SB3's `policy.state_dict()`). */
export function writeStateDict(layout: readonly Sb3LayoutEntry[], params: Map<string, Param>): StateDict {
  const sd: StateDict = new Map();
  for (const entry of layout) {
    const p = params.get(entry.name)!;
    sd.set(entry.name, { shape: [...entry.shape], data: new Float32Array(p.data) });
  }
  return sd;
}

/**
 * Replaces the parameters with `sd`'s after checking it against `layout` (a ValidationError
 * names every missing, unexpected or mis-shaped tensor); an absent target network is copied
 * from its online network, as SB3 does at construction.
 */
export function readStateDict(
  sd: StateDict,
  layout: readonly Sb3LayoutEntry[],
  params: Map<string, Param>,
): void {
  const full = completeStateDict(sd, layout);
  for (const entry of layout) params.get(entry.name)!.data.set(full.get(entry.name)!.data);
}

/** The hyperparameters the loop reads (common to DQN and DDPG). */
export interface OffPolicyLoopParameters {
  n_envs: number;
  buffer_size: number;
  batch_size: number;
  learning_starts: number;
  train_freq: number;
  gradient_steps: number;
}

/** The mean losses of one training phase; `loss` is the one whose trend is checked. */
export interface LossTerms {
  loss: number;
  [term: string]: number;
}

/** What an off-policy algorithm plugs into the loop. */
export interface OffPolicyAlgorithm {
  /** Floats per action in the replay buffer (1 for a Discrete index). */
  readonly bufferActionDim: number;
  /** Floats per action sent to one environment copy (1 for Discrete). */
  readonly envActionDim: number;
  /**
   * SB3's `_sample_action` for the n_envs rows of `obs`: writes the environment actions
   * (n_envs × envActionDim) and the actions to store (n_envs × bufferActionDim).
   */
  sampleActions(
    obs: Float32Array,
    numTimesteps: number,
    envActions: Float64Array,
    bufferActions: Float32Array,
  ): void;
  /** SB3's `_on_step`, after each vectorised step, with the updated progress remaining. */
  onStep(progressRemaining: number): void;
  /** Copy `envIndex` finished an episode on the last step (resets its action noise). */
  onEpisodeEnd(envIndex: number): void;
  /** `gradientSteps` updates on minibatches from `replay`; the phase's mean losses. */
  train(replay: ReplayBuffer, gradientSteps: number, progressRemaining: number): LossTerms;
}

export interface OffPolicyRun {
  timesteps: number;
  episodes: number;
  seconds: number;
  learningCurve: LearningCurvePoint[];
  losses: LossRecord[];
}

/** How many episode returns the progress report averages (SB3's ep_info_buffer length). */
const RECENT_EPISODES = 100;

/**
 * Runs the collection/training loop on `env` (already made with the training options; it is
 * closed at the end). The algorithm holds its own random streams.
 */
export function runOffPolicy(
  algorithm: OffPolicyAlgorithm,
  hp: OffPolicyLoopParameters,
  options: TrainOptions,
  env: SyncVectorEnv,
): OffPolicyRun {
  try {
    checkTrainOptions(options);
  } catch (err) {
    env.close();
    throw err;
  }
  const start = performance.now();
  const total = options.totalTimesteps;
  const nEnvs = env.numEnvs;
  const obsDim = env.obsDim;
  // Nothing beyond the last collection phase is ever stored, so a buffer larger than the
  // whole run only wastes memory; the ring behaves the same when capped there.
  const maxTransitions = total + hp.train_freq * nEnvs;
  const replay = new ReplayBuffer(
    Math.min(hp.buffer_size, maxTransitions),
    obsDim,
    algorithm.bufferActionDim,
  );

  const lastObs = new Float32Array(nEnvs * obsDim);
  const envActions = new Float64Array(nEnvs * algorithm.envActionDim);
  const bufferActions = new Float32Array(nEnvs * algorithm.bufferActionDim);
  const episodeReturn = new Float64Array(nEnvs);
  const episodeLength = new Int32Array(nEnvs);
  const recent = new Float64Array(RECENT_EPISODES);
  const learningCurve: LearningCurvePoint[] = [];
  const losses: LossRecord[] = [];
  const progressEvery = options.progressEvery ?? Math.max(1000, Math.ceil(total / 100));
  let nextProgress = progressEvery;
  let numTimesteps = 0;
  let episodes = 0;

  const report = (): void => {
    if (options.onProgress === undefined) return;
    const n = Math.min(episodes, RECENT_EPISODES);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += recent[i];
    const seconds = (performance.now() - start) / 1000;
    const progress: TrainProgress = {
      timesteps: numTimesteps,
      totalTimesteps: total,
      episodes,
      recentMeanReturn: n === 0 ? null : sum / n,
      stepsPerSecond: seconds > 0 ? numTimesteps / seconds : 0,
    };
    options.onProgress(progress);
  };

  try {
    env.reset({ seed: options.seed });
    lastObs.set(env.observations);
    let stopped = false;
    while (numTimesteps < total && !stopped) {
      // --- collect train_freq vectorised steps (SB3's collect_rollouts, unit "step") ---
      for (let s = 0; s < hp.train_freq; s++) {
        algorithm.sampleActions(lastObs, numTimesteps, envActions, bufferActions);
        const r = env.step(envActions);
        numTimesteps += nEnvs;
        for (let i = 0; i < nEnvs; i++) {
          const done = r.terminated[i] === 1 || r.truncated[i] === 1;
          // s' is the episode's last observation when the copy was just reset (same-step autoreset).
          replay.add(
            lastObs,
            i,
            done ? r.finalObs : r.obs,
            i,
            bufferActions,
            i,
            r.rewards[i],
            r.terminated[i] === 1,
          );
          episodeReturn[i] += r.rewards[i];
          episodeLength[i]++;
        }
        lastObs.set(r.obs);
        const progressRemaining = Math.max(0, 1 - numTimesteps / total);
        algorithm.onStep(progressRemaining);
        for (let i = 0; i < nEnvs; i++) {
          if (r.terminated[i] === 0 && r.truncated[i] === 0) continue;
          learningCurve.push({
            timestep: numTimesteps,
            episode_return: episodeReturn[i],
            episode_length: episodeLength[i],
          });
          recent[episodes % RECENT_EPISODES] = episodeReturn[i];
          episodes++;
          episodeReturn[i] = 0;
          episodeLength[i] = 0;
          algorithm.onEpisodeEnd(i);
        }
        if (numTimesteps >= nextProgress) {
          report();
          while (nextProgress <= numTimesteps) nextProgress += progressEvery;
        }
      }
      if (options.shouldStop?.() === true) {
        stopped = true;
        break;
      }
      // --- train (SB3: only once num_timesteps > learning_starts) ---
      if (numTimesteps > hp.learning_starts) {
        const progressRemaining = Math.max(0, 1 - numTimesteps / total);
        const terms = algorithm.train(replay, hp.gradient_steps, progressRemaining);
        losses.push({ timestep: numTimesteps, ...terms });
      }
      if (options.shouldStop?.() === true) stopped = true;
    }
    report();
  } finally {
    env.close();
  }
  return {
    timesteps: numTimesteps,
    episodes,
    seconds: (performance.now() - start) / 1000,
    learningCurve,
    losses,
  };
}

/** Uniform minibatch indices with replacement over the filled part of the buffer (SB3's `ReplayBuffer.sample`). */
export function sampleIndices(rng: Generator, size: number, out: Int32Array, batch: number): void {
  for (let b = 0; b < batch; b++) out[b] = rng.integers(0, size);
}

/**
 * Gathers rows `idx[0..batch)` of `src` (rows of `width` floats) into `dst`, row b starting at
 * b·dstStride + dstOffset, e.g. observations into the first columns of a critic's
 * [obs, action] input. No allocation.
 */
export function gatherRows(
  src: Float32Array,
  width: number,
  idx: Int32Array,
  batch: number,
  dst: Float32Array,
  dstStride: number,
  dstOffset: number,
): void {
  for (let b = 0; b < batch; b++) {
    const s = idx[b] * width;
    const d = b * dstStride + dstOffset;
    for (let k = 0; k < width; k++) dst[d + k] = src[s + k];
  }
}

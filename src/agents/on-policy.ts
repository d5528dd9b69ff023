/**
 * The training loop shared by PPO and A2C: Stable-Baselines3's `OnPolicyAlgorithm.learn`
 * (common/on_policy_algorithm.py). Repeat until the timestep budget is spent:
 *
 *   1. collect n_steps vectorised steps from n_envs copies into the RolloutBuffer
 *      (`collect_rollouts`): sample a ~ π(·|s) with V(s) and log π(a|s) in one batched
 *      forward pass per step, step the copies with the actions (clipped to the Box bounds),
 *      bootstrap time-limit truncations, record finished episodes;
 *   2. GAE(λ) advantages and returns, with V of the observations after the last step;
 *   3. progress_remaining = 1 − num_timesteps / total_timesteps, then the algorithm's update
 *      (`train()`), whose losses are recorded with the timestep.
 *
 * Timeouts (SB3's handling of `TimeLimit.truncated`): when a copy's episode is truncated
 * without terminating, its last reward becomes r + γ·V(s_final), the value of the final
 * observation that the same-step autoreset of SyncVectorEnv keeps in `finalObservations`;
 * a terminated episode is not bootstrapped. The episode boundary itself is marked as a done
 * in both cases (episode_starts of the next step), as in SB3.
 *
 * The per-step loop allocates nothing: observations, actions, values and log-probabilities
 * live in buffers made once per training run.
 */
import { Box, Discrete, type SyncVectorEnv } from '../envs/index.js';
import { ValidationError } from '../errors.js';
import type { ActorCriticAgent, ActorCriticAgentType, ActorCriticPolicy } from './actor-critic.js';
import { clipActions } from './actor-critic.js';
import { RolloutBuffer } from './buffers.js';
import type { HyperparametersOf } from './hyperparameters.js';
import { checkTrainOptions } from './train-options.js';
import type { LearningCurvePoint, LossRecord, TrainOptions, TrainResult } from './types.js';

/** The losses and diagnostics of one update, without the timestep (the loop adds it). */
export interface UpdateLosses {
  /** The total optimised loss. */
  loss: number;
  [term: string]: number;
}

/** One optimisation phase over the filled rollout buffer, at a given progress_remaining. */
export type OnPolicyUpdate = (rollout: RolloutBuffer, progressRemaining: number) => UpdateLosses;

/** Returns kept for `recentMeanReturn` (SB3 logs the mean over its 100-episode info buffer). */
const RECENT_EPISODES = 100;
const DEFAULT_PROGRESS_EVERY = 10_000;

/** Mean of the last RECENT_EPISODES returns, kept in a ring. */
class RecentReturns {
  readonly #ring = new Float64Array(RECENT_EPISODES);
  #count = 0;

  push(r: number): void {
    this.#ring[this.#count % RECENT_EPISODES] = r;
    this.#count++;
  }

  mean(): number | null {
    const n = Math.min(this.#count, RECENT_EPISODES);
    if (n === 0) return null;
    let s = 0;
    for (let i = 0; i < n; i++) s += this.#ring[i];
    return s / n;
  }
}

/**
 * Runs SB3's on-policy learning loop for `agent` on `vec` until `options.totalTimesteps`
 * environment steps (summed over copies; the last rollout completes, so up to
 * n_envs·n_steps − 1 more) or until `shouldStop` says so between updates.
 */
export function runOnPolicy<T extends ActorCriticAgentType>(
  agent: ActorCriticAgent<T>,
  vec: SyncVectorEnv,
  options: TrainOptions,
  update: OnPolicyUpdate,
): TrainResult<T> {
  checkTrainOptions(options);
  const hp = agent.hyperparameters as HyperparametersOf<ActorCriticAgentType>;
  const policy = agent.policy;
  const nEnvs = vec.numEnvs;
  const nSteps = hp.n_steps;
  const gamma = hp.gamma;
  const obsDim = policy.obsDim;
  const actDim = policy.actDim;
  if (vec.obsDim !== obsDim || vec.actDim !== actDim) {
    throw new ValidationError(
      `the environment (obs ${vec.obsDim}, action ${vec.actDim}) does not fit the policy (obs ${obsDim}, action ${actDim})`,
      { field: 'envId' },
    );
  }
  const total = options.totalTimesteps;
  const progressEvery = options.progressEvery ?? DEFAULT_PROGRESS_EVERY;
  const rollout = new RolloutBuffer(nSteps, nEnvs, obsDim, actDim);
  policy.reserveActing(nEnvs);

  // Per-step buffers, reused for the whole run.
  const lastObs = new Float32Array(nEnvs * obsDim);
  const actions = new Float32Array(nEnvs * actDim);
  const values = new Float64Array(nEnvs);
  const logProbs = new Float64Array(nEnvs);
  const rewards = new Float64Array(nEnvs);
  const episodeStarts = new Uint8Array(nEnvs).fill(1); // SB3: _last_episode_starts = ones
  const dones = new Uint8Array(nEnvs);
  const bootValue = new Float64Array(1);
  const space = vec.singleActionSpace;
  const box = space instanceof Box ? space : null;
  const discreteStart = space instanceof Discrete ? space.start : 0;
  // Environment actions: Discrete indices shifted by the space's start, Box samples clipped.
  const envActions = new Float64Array(nEnvs * actDim);

  // Episode bookkeeping (the learning curve counts the environment's own rewards).
  const episodeReturn = new Float64Array(nEnvs);
  const episodeLength = new Int32Array(nEnvs);
  const learningCurve: LearningCurvePoint[] = [];
  const losses: LossRecord[] = [];
  const recent = new RecentReturns();

  const started = performance.now();
  let numTimesteps = 0;
  let nextProgress = progressEvery;
  const report = () => {
    const seconds = (performance.now() - started) / 1000;
    options.onProgress?.({
      timesteps: numTimesteps,
      totalTimesteps: total,
      episodes: learningCurve.length,
      recentMeanReturn: recent.mean(),
      stepsPerSecond: seconds > 0 ? numTimesteps / seconds : 0,
    });
  };

  try {
    lastObs.set(vec.reset({ seed: options.seed }).obs);
    while (numTimesteps < total) {
      // 1. Rollout collection (SB3 collect_rollouts).
      rollout.reset();
      while (!rollout.full) {
        policy.sampleStep(lastObs, nEnvs, agent.actionRng, actions, values, logProbs);
        if (box !== null) clipActions(actions, nEnvs, actDim, box.low, box.high, envActions);
        else for (let i = 0; i < nEnvs; i++) envActions[i] = actions[i] + discreteStart;
        const step = vec.step(envActions);
        numTimesteps += nEnvs;
        for (let i = 0; i < nEnvs; i++) {
          const r = step.rewards[i];
          rewards[i] = r;
          episodeReturn[i] += r;
          episodeLength[i]++;
          const terminated = step.terminated[i] === 1;
          const truncated = step.truncated[i] === 1;
          dones[i] = terminated || truncated ? 1 : 0;
          if (dones[i] === 0) continue;
          learningCurve.push({
            timestep: numTimesteps,
            episode_return: episodeReturn[i],
            episode_length: episodeLength[i],
          });
          recent.push(episodeReturn[i]);
          episodeReturn[i] = 0;
          episodeLength[i] = 0;
          if (truncated && !terminated) {
            // Bootstrap the time-limit cut: r + γ·V(s_final).
            policy.predictValues(vec.finalObservationRows[i], 1, bootValue);
            rewards[i] += gamma * bootValue[0];
          }
        }
        rollout.add(lastObs, actions, rewards, episodeStarts, values, logProbs);
        lastObs.set(step.obs);
        episodeStarts.set(dones);
        if (numTimesteps >= nextProgress) {
          report();
          while (nextProgress <= numTimesteps) nextProgress += progressEvery;
        }
      }

      // 2. Advantages and returns, bootstrapped with V of the observations after the last step.
      policy.predictValues(lastObs, nEnvs, values);
      rollout.computeReturnsAndAdvantage(values, dones, gamma, hp.gae_lambda);

      // 3. The update, at SB3's progress_remaining (clamped at 0: the last rollout may overshoot
      // the budget, where SB3's linear schedules would turn negative).
      const progressRemaining = Math.max(0, 1 - numTimesteps / total);
      losses.push({ timestep: numTimesteps, ...update(rollout, progressRemaining) });
      if (options.shouldStop?.()) break;
    }
  } finally {
    vec.close();
  }
  report();
  return {
    agent,
    timesteps: numTimesteps,
    episodes: learningCurve.length,
    seconds: (performance.now() - started) / 1000,
    learningCurve,
    losses,
  };
}

/** Added to the advantages' standard deviation in their normalisation (SB3). */
const ADVANTAGE_STD_EPS = 1e-8;

/** Â ← (Â − mean) / (std + 1e-8) over the first n entries, std with Bessel's correction (torch.std). */
export function normalizeAdvantages(adv: Float64Array, n: number): void {
  if (n < 2) return; // SB3 skips normalising a single advantage
  let mean = 0;
  for (let i = 0; i < n; i++) mean += adv[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (adv[i] - mean) * (adv[i] - mean);
  const std = Math.sqrt(ss / (n - 1));
  for (let i = 0; i < n; i++) adv[i] = (adv[i] - mean) / (std + ADVANTAGE_STD_EPS);
}

/**
 * The diagnostics SB3 logs after every update besides the losses: explained_variance of the
 * rollout's value predictions (when defined) and, for a Gaussian policy, its mean standard
 * deviation mean(exp(log_std)).
 */
export function addRolloutDiagnostics(
  losses: UpdateLosses,
  rollout: RolloutBuffer,
  policy: ActorCriticPolicy,
): UpdateLosses {
  const ev = explainedVariance(rollout.values, rollout.returns, rollout.size);
  if (Number.isFinite(ev)) losses.explained_variance = ev;
  if (policy.logStd !== null) {
    const logStd = policy.logStd.data;
    let s = 0;
    for (let i = 0; i < logStd.length; i++) s += Math.exp(logStd[i]);
    losses.std = s / logStd.length;
  }
  return losses;
}

/** Fraction of the returns' variance the value predictions explain: 1 − Var(R − V) / Var(R) (SB3). */
export function explainedVariance(values: Float64Array, returns: Float64Array, n: number): number {
  let meanR = 0;
  let meanD = 0;
  for (let i = 0; i < n; i++) {
    meanR += returns[i];
    meanD += returns[i] - values[i];
  }
  meanR /= n;
  meanD /= n;
  let varR = 0;
  let varD = 0;
  for (let i = 0; i < n; i++) {
    const r = returns[i] - meanR;
    const d = returns[i] - values[i] - meanD;
    varR += r * r;
    varD += d * d;
  }
  return varR === 0 ? Number.NaN : 1 - varD / varR;
}

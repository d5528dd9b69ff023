/**
 * What every agent type offers: acting (one observation or a batch), its state dict in the
 * Stable-Baselines3 MlpPolicy layout, and training for a timestep budget.
 */
import type { ActionSpace, Box, MakeOptions } from '../envs/index.js';
import type { StateDict } from '../nn/state-dict.js';
import type { Generator } from '../rng/index.js';
import type { AgentType, HyperparametersOf } from './hyperparameters.js';

export interface AgentSpaces {
  observationSpace: Box;
  actionSpace: ActionSpace;
}

export interface ActOptions {
  /** Greedy / mean action (true) or a sample from the policy (false). Default true. */
  deterministic?: boolean;
  /** Generator for stochastic actions; default the agent's own seeded generator. */
  rng?: Generator;
  /**
   * Per-row generators for `actBatch` (row r draws from rngs[r]), so that a row's stochastic
   * actions do not depend on what else is in the batch. Takes precedence over `rng`.
   */
  rngs?: readonly Generator[];
}

export interface Agent<T extends AgentType = AgentType> {
  readonly agentType: T;
  readonly hyperparameters: HyperparametersOf<T>;
  readonly spaces: AgentSpaces;
  /**
   * The environment action for one observation: an integer for Discrete spaces; for Box
   * spaces a Float32Array within the bounds (clipped, or rescaled from [-1, 1] for DDPG),
   * exactly as SB3's `predict` returns it.
   */
  act(obs: Float32Array, options?: ActOptions): number | Float32Array;
  /**
   * Actions for `batch` observations laid out row by row in `obs` (batch × obsDim), written
   * into `out` (batch entries for Discrete, batch × actDim for Box). No allocation.
   */
  actBatch(obs: Float32Array, batch: number, out: Float32Array, options?: ActOptions): void;
  /** A copy of the parameters under SB3's `policy.state_dict()` names. */
  stateDict(): StateDict;
  /** Replaces the parameters; rejects a dict that does not fit the architecture, naming the tensor. */
  loadStateDict(stateDict: StateDict): void;
}

/** One finished training episode, for the learning curve. */
export interface LearningCurvePoint {
  /** Environment steps (summed over copies) when the episode ended. */
  timestep: number;
  episode_return: number;
  episode_length: number;
}

/** Losses of one update (one rollout for PPO/A2C, one training phase for DQN/DDPG). */
export interface LossRecord {
  timestep: number;
  /** The total optimised loss (for the loss-trend check). */
  loss: number;
  /** Algorithm-specific terms: policy_loss, value_loss, entropy_loss, approx_kl, q_loss, actor_loss, … */
  [term: string]: number;
}

export interface TrainProgress {
  timesteps: number;
  totalTimesteps: number;
  episodes: number;
  /** Mean return of the last (up to) 100 finished episodes, or null before the first ends. */
  recentMeanReturn: number | null;
  stepsPerSecond: number;
}

export interface TrainOptions {
  envId: string;
  /** Options for `make` (environment kwargs, wrappers) of the training environments. */
  envOptions?: MakeOptions;
  totalTimesteps: number;
  /** Seeds weights, exploration, minibatches and the environments (copy i resets with seed + i). */
  seed: number;
  /** Called about every `progressEvery` timesteps and at the end. */
  onProgress?: (p: TrainProgress) => void;
  progressEvery?: number;
  /** Checked between updates; when it returns true, training stops early (the agent is kept). */
  shouldStop?: () => boolean;
}

export interface TrainResult<T extends AgentType = AgentType> {
  agent: Agent<T>;
  timesteps: number;
  episodes: number;
  seconds: number;
  learningCurve: LearningCurvePoint[];
  losses: LossRecord[];
}

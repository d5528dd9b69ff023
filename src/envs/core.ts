/**
 * The environment contract, mirroring Gymnasium's `Env` API (gymnasium/core.py):
 * `reset({ seed, options }) → { obs, info }` and
 * `step(action) → { obs, reward, terminated, truncated, info }`.
 * Observations are Float32Array (Gymnasium returns float32 arrays); actions are a number
 * for Discrete spaces and an array for Box spaces.
 */
import type { Generator } from '../rng/index.js';
import type { Box, Discrete } from './spaces.js';

export type Info = Record<string, unknown>;
export type Action = number | ArrayLike<number>;
export type ActionSpace = Discrete | Box;

export interface ResetOptions {
  seed?: number;
  options?: Record<string, unknown>;
}

export interface ResetResult {
  obs: Float32Array;
  info: Info;
}

export interface StepResult {
  obs: Float32Array;
  reward: number;
  /** The MDP reached a terminal state (e.g. the pole fell, the car reached the goal). */
  terminated: boolean;
  /** The episode was cut short from outside the MDP (e.g. the TimeLimit). */
  truncated: boolean;
  info: Info;
}

/** Registry metadata, as Gymnasium's EnvSpec. */
export interface EnvSpec {
  id: string;
  maxEpisodeSteps: number;
  /** Gymnasium's `reward_threshold` (the return at which the task counts as solved), if any. */
  rewardThreshold: number | null;
}

export interface Env {
  readonly observationSpace: Box;
  readonly actionSpace: ActionSpace;
  /** The registry spec when made through `make()`; wrappers forward it. */
  readonly spec: EnvSpec | null;
  /** The seeded generator (Gymnasium's `env.np_random`), reseeded by `reset({ seed })`. */
  readonly npRandom: Generator;
  reset(opts?: ResetOptions): ResetResult;
  step(action: Action): StepResult;
  close(): void;
}

/**
 * Whether a finished episode counts as a success (DESIGN section 3). Each environment
 * class declares its own as a static `success` method of this shape.
 */
export type SuccessCriterion = (episodeReturn: number, terminated: boolean, truncated: boolean) => boolean;

/** An empty info object shared by steps that report nothing (never mutate it). */
export const EMPTY_INFO: Info = Object.freeze({}) as Info;

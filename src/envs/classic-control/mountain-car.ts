/**
 * MountainCar-v0: Moore (1990), "Efficient memory-based learning for robot control", in the
 * form of Sutton and Barto, "Reinforcement Learning: An Introduction" (example 10.1): an
 * under-powered car in a valley must rock back and forth to reach the flag. Dynamics,
 * clipping and termination as Gymnasium 1.x's `classic_control/mountain_car.py`.
 */

import { ValidationError } from '../../errors.js';
import type { Generator } from '../../rng/index.js';
import type { Action, Env, EnvSpec, ResetOptions, ResetResult, StepResult } from '../core.js';
import { EMPTY_INFO } from '../core.js';
import { Box, Discrete, validateAction } from '../spaces.js';
import {
  checkEnvOptions,
  checkState,
  clip,
  maybeParseResetBounds,
  seededGenerator,
  throwNotReset,
} from './env-utils.js';

// Constants named as Gymnasium's MountainCarEnv fields.
const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.5;
const FORCE = 0.001;
const GRAVITY = 0.0025;

export interface MountainCarOptions {
  /** Gymnasium's `goal_velocity`: the minimum velocity at the goal for the episode to terminate (default 0). */
  goal_velocity?: number;
}

export class MountainCarEnv implements Env {
  static readonly id = 'MountainCar-v0';
  static readonly maxEpisodeSteps = 200;
  static readonly rewardThreshold = -110;
  static readonly spec: EnvSpec = Object.freeze({
    id: MountainCarEnv.id,
    maxEpisodeSteps: MountainCarEnv.maxEpisodeSteps,
    rewardThreshold: MountainCarEnv.rewardThreshold,
  });

  /** Success: the car reached the goal (terminated), even if the time limit truncates on the same step. */
  static success(_episodeReturn: number, terminated: boolean, _truncated: boolean): boolean {
    return terminated;
  }

  /** 0: accelerate left, 1: don't accelerate, 2: accelerate right. */
  readonly actionSpace = new Discrete(3);
  readonly observationSpace = new Box([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED]);
  spec: EnvSpec | null = null;

  private readonly goalVelocity: number;
  private rng: Generator | null = null;
  private position = 0;
  private velocity = 0;
  private hasState = false;

  constructor(options: MountainCarOptions = {}) {
    checkEnvOptions(MountainCarEnv.id, options, ['goal_velocity']);
    const goal = options.goal_velocity ?? 0;
    if (typeof goal !== 'number' || !Number.isFinite(goal)) {
      throw new ValidationError(`goal_velocity must be a finite number, got ${String(goal)}`, {
        field: 'goal_velocity',
      });
    }
    this.goalVelocity = goal;
  }

  /**
   * The internal float64 state [position, velocity] (Gymnasium's `env.unwrapped.state`), or null
   * before the first reset. Assigning it replaces the state; the next step starts from it.
   */
  get state(): Float64Array | null {
    return this.hasState ? Float64Array.of(this.position, this.velocity) : null;
  }

  set state(value: ArrayLike<number>) {
    checkState(MountainCarEnv.id, value, 2);
    this.position = value[0];
    this.velocity = value[1];
    this.hasState = true;
  }

  get npRandom(): Generator {
    this.rng ??= seededGenerator();
    return this.rng;
  }

  /** Position uniform in [-0.6, -0.4] (or `options.low/high`), velocity 0. */
  reset(opts: ResetOptions = {}): ResetResult {
    if (opts.seed !== undefined) this.rng = seededGenerator(opts.seed);
    const [low, high] = maybeParseResetBounds(opts.options, -0.6, -0.4);
    this.position = this.npRandom.uniform(low, high);
    this.velocity = 0;
    this.hasState = true;
    return { obs: this.observation(), info: EMPTY_INFO };
  }

  step(action: Action): StepResult {
    if (action !== 0 && action !== 1 && action !== 2) validateAction(this.actionSpace, action);
    if (!this.hasState) throwNotReset('MountainCar-v0');
    let position = this.position;
    let velocity = this.velocity;
    // v += (a - 1) F - g cos(3 x): the hill is sin(3x), its slope 3 cos(3x) (Sutton and Barto).
    velocity = velocity + (((action as number) - 1) * FORCE + Math.cos(3 * position) * -GRAVITY);
    velocity = clip(velocity, -MAX_SPEED, MAX_SPEED);
    position = position + velocity;
    position = clip(position, MIN_POSITION, MAX_POSITION);
    // The left wall is inelastic.
    if (position === MIN_POSITION && velocity < 0) velocity = 0;
    const terminated = position >= GOAL_POSITION && velocity >= this.goalVelocity;
    this.position = position;
    this.velocity = velocity;
    return { obs: this.observation(), reward: -1.0, terminated, truncated: false, info: EMPTY_INFO };
  }

  close(): void {}

  private observation(): Float32Array {
    const obs = new Float32Array(2);
    obs[0] = this.position;
    obs[1] = this.velocity;
    return obs;
  }
}

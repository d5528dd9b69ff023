/**
 * MountainCarContinuous-v0: the mountain car with a continuous force in [-1, 1]
 * (Arnaud de Broissia's variant), as Gymnasium 1.x's
 * `classic_control/continuous_mountain_car.py`.
 *
 * Gymnasium stores this environment's state as a float32 array after every step, and numpy
 * 2's promotion rules (NEP 50: a Python float meeting a float32 value is cast to float32)
 * make most of the step's arithmetic float32. Which operations are float32 and which float64
 * depends on whether a value came from the float32 state or action, or from a Python
 * constant (a clipped value becomes the constant). This implementation follows that
 * value by value — `Math.fround` marks each float32 rounding — so that observations and
 * rewards agree with Gymnasium bit for bit. Actions are taken as float32, the dtype of the
 * action space (and of `action_space.sample()`).
 */

import { ValidationError } from '../../errors.js';
import type { Generator } from '../../rng/index.js';
import type { Action, Env, EnvSpec, ResetOptions, ResetResult, StepResult } from '../core.js';
import { EMPTY_INFO } from '../core.js';
import { Box, validateAction } from '../spaces.js';
import {
  checkEnvOptions,
  checkState,
  clip,
  maybeParseResetBounds,
  seededGenerator,
  throwNotReset,
} from './env-utils.js';

const f32 = Math.fround;

// Constants named as Gymnasium's Continuous_MountainCarEnv fields.
const MIN_ACTION = -1.0;
const MAX_ACTION = 1.0;
const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
/** 0.45 here (0.5 in the discrete MountainCar), as in de Broissia's version. */
const GOAL_POSITION = 0.45;
const POWER = 0.0015;
/** The hill's slope coefficient (Gymnasium writes it inline). */
const SLOPE = 0.0025;

// The same constants as float32, for comparisons and products with float32 values.
const MAX_POSITION_F32 = f32(MAX_POSITION);
const MIN_POSITION_F32 = f32(MIN_POSITION);
const MAX_SPEED_F32 = f32(MAX_SPEED);
const GOAL_POSITION_F32 = f32(GOAL_POSITION);
const POWER_F32 = f32(POWER);

/**
 * Gymnasium's `force * power - 0.0025 cos(3 position)` given the slope term. The force is
 * `min(max(action, -1.0), 1.0)`: for an action inside [-1, 1] it is the float32 action, so
 * numpy computes in float32; outside, Python's min/max return the Python constant and the
 * arithmetic is float64.
 */
function velocityChange(a: number, slope: number): number {
  if (a > MAX_ACTION) return MAX_ACTION * POWER - slope;
  if (a < MIN_ACTION) return MIN_ACTION * POWER - slope;
  return f32(f32(a * POWER_F32) - f32(slope));
}

export interface ContinuousMountainCarOptions {
  /** Gymnasium's `goal_velocity`: the minimum velocity at the goal for the episode to terminate (default 0). */
  goal_velocity?: number;
}

export class ContinuousMountainCarEnv implements Env {
  static readonly id = 'MountainCarContinuous-v0';
  static readonly maxEpisodeSteps = 999;
  static readonly rewardThreshold = 90;
  static readonly spec: EnvSpec = Object.freeze({
    id: ContinuousMountainCarEnv.id,
    maxEpisodeSteps: ContinuousMountainCarEnv.maxEpisodeSteps,
    rewardThreshold: ContinuousMountainCarEnv.rewardThreshold,
  });

  /** Success: the car reached the goal (terminated), even if the time limit truncates on the same step. */
  static success(_episodeReturn: number, terminated: boolean, _truncated: boolean): boolean {
    return terminated;
  }

  /** The force applied to the car, clipped to [-1, 1] by the environment. */
  readonly actionSpace = new Box(MIN_ACTION, MAX_ACTION, [1]);
  readonly observationSpace = new Box([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED]);
  spec: EnvSpec | null = null;

  private readonly goalVelocity: number;
  private readonly goalVelocityF32: number;
  private rng: Generator | null = null;
  private position = 0;
  private velocity = 0;
  /** False right after reset (Gymnasium's state is then a float64 array), true after a step. */
  private stateIsF32 = false;
  private hasState = false;

  constructor(options: ContinuousMountainCarOptions = {}) {
    checkEnvOptions(ContinuousMountainCarEnv.id, options, ['goal_velocity']);
    const goal = options.goal_velocity ?? 0;
    if (typeof goal !== 'number' || !Number.isFinite(goal)) {
      throw new ValidationError(`goal_velocity must be a finite number, got ${String(goal)}`, {
        field: 'goal_velocity',
      });
    }
    this.goalVelocity = goal;
    this.goalVelocityF32 = f32(goal);
  }

  /**
   * The internal float64 state [position, velocity] (Gymnasium's `env.unwrapped.state`), or null
   * before the first reset. Assigning it replaces the state; the next step starts from it.
   */
  get state(): Float64Array | null {
    return this.hasState ? Float64Array.of(this.position, this.velocity) : null;
  }

  /**
   * A state whose values are all float32 numbers continues as Gymnasium's float32 state array
   * does; any other is treated as a float64 array (as the state right after reset).
   */
  set state(value: ArrayLike<number>) {
    checkState(ContinuousMountainCarEnv.id, value, 2);
    this.position = value[0];
    this.velocity = value[1];
    this.stateIsF32 = f32(value[0]) === value[0] && f32(value[1]) === value[1];
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
    this.stateIsF32 = false;
    this.hasState = true;
    return { obs: this.observation(), info: EMPTY_INFO };
  }

  step(action: Action): StepResult {
    const a0 = typeof action === 'object' && action !== null && action.length === 1 ? action[0] : Number.NaN;
    if (!Number.isFinite(a0)) validateAction(this.actionSpace, action);
    if (!this.hasState) throwNotReset('MountainCarContinuous-v0');
    const a = f32(a0);
    if (!this.stateIsF32) return this.stepFromFloat64(a);
    const p0 = this.position;
    const v0 = this.velocity;

    // velocity += force * power - 0.0025 cos(3 position), on the float32 state.
    let velocity = f32(v0 + f32(velocityChange(a, SLOPE * Math.cos(f32(3 * p0)))));
    // A clipped velocity is the Python constant, which compares as float64 afterwards.
    let velocityIsPy = false;
    if (velocity > MAX_SPEED_F32) {
      velocity = MAX_SPEED;
      velocityIsPy = true;
    } else if (velocity < -MAX_SPEED_F32) {
      velocity = -MAX_SPEED;
      velocityIsPy = true;
    }
    let position = f32(p0 + f32(velocity));
    if (position > MAX_POSITION_F32) position = MAX_POSITION;
    else if (position < MIN_POSITION_F32) position = MIN_POSITION;
    // The left wall is inelastic. A clipped position is the Python -1.2; an unclipped float32
    // one compares with float32(-1.2).
    if ((position === MIN_POSITION || position === MIN_POSITION_F32) && velocity < 0) {
      velocity = 0;
      velocityIsPy = true;
    }
    // A clipped position (0.6 or -1.2) is on the same side of 0.45 and of float32(0.45).
    const terminated =
      position >= GOAL_POSITION_F32 && velocity >= (velocityIsPy ? this.goalVelocity : this.goalVelocityF32);
    return this.finish(position, velocity, terminated, a);
  }

  close(): void {}

  /** The step from a float64 state (right after reset): Gymnasium's arithmetic is float64 here. */
  private stepFromFloat64(a: number): StepResult {
    let velocity = this.velocity + velocityChange(a, SLOPE * Math.cos(3 * this.position));
    velocity = clip(velocity, -MAX_SPEED, MAX_SPEED);
    const position = clip(this.position + velocity, MIN_POSITION, MAX_POSITION);
    if (position === MIN_POSITION && velocity < 0) velocity = 0;
    const terminated = position >= GOAL_POSITION && velocity >= this.goalVelocity;
    return this.finish(position, velocity, terminated, a);
  }

  /** Stores the state as float32 (Gymnasium's `np.array(..., dtype=np.float32)`) and builds the result. */
  private finish(position: number, velocity: number, terminated: boolean, a: number): StepResult {
    this.position = f32(position);
    this.velocity = f32(velocity);
    this.stateIsF32 = true;
    // Reward: +100 at the goal, minus 0.1 a² (of the unclipped action) every step.
    const reward = (terminated ? 100.0 : 0) - a * a * 0.1;
    return { obs: this.observation(), reward, terminated, truncated: false, info: EMPTY_INFO };
  }

  private observation(): Float32Array {
    const obs = new Float32Array(2);
    obs[0] = this.position;
    obs[1] = this.velocity;
    return obs;
  }
}

/**
 * Pendulum-v1: the inverted-pendulum swing-up, as Gymnasium 1.x's
 * `classic_control/pendulum.py`: θ̈ = 3g/(2l) sin θ + 3/(m l²) u, integrated by
 * semi-implicit Euler with dt = 0.05, angular speed clipped to ±8, torque to ±2, and cost
 * θ² + 0.1 θ̇² + 0.001 u² with θ normalised to [-π, π).
 *
 * The torque is float32 (the action space's dtype) and numpy 2 keeps a float32 value
 * float32 when it meets a Python float (NEP 50), so the torque terms `0.001 u²` and
 * `3/(m l²) u` are float32 products in Gymnasium; `Math.fround` marks them here.
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
  seededGenerator,
  throwNotReset,
  verifyNumberAndCast,
} from './env-utils.js';

const f32 = Math.fround;

// Constants named as Gymnasium's PendulumEnv fields.
const MAX_SPEED = 8;
const MAX_TORQUE = 2.0;
const DT = 0.05;
const M = 1.0;
const L = 1.0;
/** Default half-widths of the initial angle and angular-velocity ranges (Gymnasium's DEFAULT_X, DEFAULT_Y). */
const DEFAULT_X = Math.PI;
const DEFAULT_Y = 1.0;

const TWO_PI = 2 * Math.PI;
/** 3/(m l²), a Python float that numpy casts to float32 before multiplying the float32 torque. */
const TORQUE_GAIN_F32 = f32(3.0 / (M * L ** 2));
const TORQUE_COST_F32 = f32(0.001);

/**
 * Gymnasium's `angle_normalize(x) = ((x + π) mod 2π) − π`, with numpy's float64 `%`: the C
 * `fmod` remainder (JavaScript's `%`) moved into [0, 2π).
 */
export function angleNormalize(x: number): number {
  const y = x + Math.PI;
  let r: number;
  if (y >= 0 && y < TWO_PI) {
    // fmod(y, 2π) = y: no call to the (slow) floating-point remainder.
    r = y;
  } else if (y < 0 && y > -TWO_PI) {
    // fmod(y, 2π) = y, negative, so numpy adds the divisor (with rounding).
    r = y + TWO_PI;
  } else {
    r = y % TWO_PI;
    if (r < 0) r += TWO_PI;
    else if (r === 0) r = 0; // numpy returns +0 for a zero remainder when the divisor is positive
  }
  return r - Math.PI;
}

export interface PendulumOptions {
  /** Gymnasium's `g`: gravitational acceleration (default 10.0). */
  g?: number;
}

export class PendulumEnv implements Env {
  static readonly id = 'Pendulum-v1';
  static readonly maxEpisodeSteps = 200;
  static readonly rewardThreshold = null;
  static readonly spec: EnvSpec = Object.freeze({
    id: PendulumEnv.id,
    maxEpisodeSteps: PendulumEnv.maxEpisodeSteps,
    rewardThreshold: PendulumEnv.rewardThreshold,
  });
  /** Return at or above which an episode counts as a success (DESIGN section 3). */
  static readonly successThreshold = -200;

  /** Success: the episode's return is at least -200. */
  static success(episodeReturn: number, _terminated: boolean, _truncated: boolean): boolean {
    return episodeReturn >= PendulumEnv.successThreshold;
  }

  /** The torque on the free end, clipped to [-2, 2] by the environment. */
  readonly actionSpace = new Box(-MAX_TORQUE, MAX_TORQUE, [1]);
  /** [cos θ, sin θ, θ̇]. */
  readonly observationSpace = new Box([-1.0, -1.0, -MAX_SPEED], [1.0, 1.0, MAX_SPEED]);
  spec: EnvSpec | null = null;

  /** Gravity, as given (Gymnasium's `g`). */
  readonly g: number;
  /** 3g/(2l), evaluated as Gymnasium does at each step. */
  private readonly gravityGain: number;
  private rng: Generator | null = null;
  private th = 0;
  private thdot = 0;
  /** sin(th), kept with th: the observation needs it and so does the next step's dynamics. */
  private sinTh = 0;
  private hasState = false;

  constructor(options: PendulumOptions = {}) {
    checkEnvOptions(PendulumEnv.id, options, ['g']);
    const g = options.g ?? 10.0;
    if (typeof g !== 'number' || !Number.isFinite(g)) {
      throw new ValidationError(`g must be a finite number, got ${String(g)}`, { field: 'g' });
    }
    this.g = g;
    this.gravityGain = (3 * g) / (2 * L);
  }

  /**
   * The internal float64 state [θ, θ̇] (Gymnasium's `env.unwrapped.state`), or null
   * before the first reset. Assigning it replaces the state; the next step starts from it.
   */
  get state(): Float64Array | null {
    return this.hasState ? Float64Array.of(this.th, this.thdot) : null;
  }

  set state(value: ArrayLike<number>) {
    checkState(PendulumEnv.id, value, 2);
    this.th = value[0];
    this.thdot = value[1];
    this.sinTh = Math.sin(value[0]);
    this.hasState = true;
  }

  get npRandom(): Generator {
    this.rng ??= seededGenerator();
    return this.rng;
  }

  /**
   * θ uniform in [-π, π] and θ̇ in [-1, 1]; `options.x_init` / `options.y_init` replace the
   * half-widths π and 1 (Gymnasium's reset options for this environment).
   */
  reset(opts: ResetOptions = {}): ResetResult {
    if (opts.seed !== undefined) this.rng = seededGenerator(opts.seed);
    let x = DEFAULT_X;
    let y = DEFAULT_Y;
    const options = opts.options;
    if (options !== undefined && options !== null) {
      x = verifyNumberAndCast('x_init', 'x_init' in options ? options.x_init : DEFAULT_X);
      y = verifyNumberAndCast('y_init', 'y_init' in options ? options.y_init : DEFAULT_Y);
    }
    // np_random.uniform(low=-high, high=high) over the two elements, in order.
    const rng = this.npRandom;
    this.th = rng.uniform(-x, x);
    this.thdot = rng.uniform(-y, y);
    this.hasState = true;
    return { obs: this.observation(), info: EMPTY_INFO };
  }

  step(action: Action): StepResult {
    const a0 = typeof action === 'object' && action !== null && action.length === 1 ? action[0] : Number.NaN;
    if (!Number.isFinite(a0)) validateAction(this.actionSpace, action);
    if (!this.hasState) throwNotReset('Pendulum-v1');
    const a = f32(a0);
    const u = clip(a, -MAX_TORQUE, MAX_TORQUE);
    const th = this.th;
    const thdot = this.thdot;

    const an = angleNormalize(th);
    const costs = an * an + 0.1 * (thdot * thdot) + f32(TORQUE_COST_F32 * f32(u * u));

    let newthdot = thdot + (this.gravityGain * this.sinTh + f32(TORQUE_GAIN_F32 * u)) * DT;
    newthdot = clip(newthdot, -MAX_SPEED, MAX_SPEED);
    const newth = th + newthdot * DT;
    this.th = newth;
    this.thdot = newthdot;
    // Pendulum-v1 never terminates; the TimeLimit wrapper truncates it.
    return { obs: this.observation(), reward: -costs, terminated: false, truncated: false, info: EMPTY_INFO };
  }

  close(): void {}

  private observation(): Float32Array {
    const obs = new Float32Array(3);
    obs[0] = Math.cos(this.th);
    this.sinTh = Math.sin(this.th);
    obs[1] = this.sinTh;
    obs[2] = this.thdot;
    return obs;
  }
}

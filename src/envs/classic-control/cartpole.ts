/**
 * CartPole-v1: the cart-pole system of Barto, Sutton and Anderson (1983), "Neuronlike
 * adaptive elements that can solve difficult learning control problems", with the
 * equations of motion of Florian (2005), "Correct equations for the dynamics of the
 * cart-pole system", integrated by explicit Euler — as Gymnasium 1.x's
 * `classic_control/cartpole.py`, constant for constant and operation for operation, so that
 * float64 rounding (and therefore every float32 observation) agrees with Gymnasium.
 */

import type { Generator } from '../../rng/index.js';
import type { Action, Env, EnvSpec, ResetOptions, ResetResult, StepResult } from '../core.js';
import { EMPTY_INFO } from '../core.js';
import { Box, Discrete, validateAction } from '../spaces.js';
import {
  checkEnvOptions,
  checkState,
  maybeParseResetBounds,
  seededGenerator,
  throwNotReset,
} from './env-utils.js';

// Physical constants, named as Gymnasium's CartPoleEnv fields.
const GRAVITY = 9.8;
const MASSCART = 1.0;
const MASSPOLE = 0.1;
const TOTAL_MASS = MASSPOLE + MASSCART;
/** Half the pole's length. */
const LENGTH = 0.5;
const POLEMASS_LENGTH = MASSPOLE * LENGTH;
const FORCE_MAG = 10.0;
/** Seconds between state updates. */
const TAU = 0.02;
/** The episode fails when the pole leans more than 12 degrees... */
const THETA_THRESHOLD_RADIANS = (12 * 2 * Math.PI) / 360;
/** ...or the cart's centre leaves [-2.4, 2.4]. */
const X_THRESHOLD = 2.4;

export interface CartPoleOptions {
  /** Gymnasium's `sutton_barto_reward`: 0 per surviving step and -1 on failure, instead of +1 per step. */
  sutton_barto_reward?: boolean;
}

export class CartPoleEnv implements Env {
  static readonly id = 'CartPole-v1';
  static readonly maxEpisodeSteps = 500;
  static readonly rewardThreshold = 475;
  static readonly spec: EnvSpec = Object.freeze({
    id: CartPoleEnv.id,
    maxEpisodeSteps: CartPoleEnv.maxEpisodeSteps,
    rewardThreshold: CartPoleEnv.rewardThreshold,
  });
  /** Default return at which an episode counts as a success (DESIGN section 3). */
  static readonly successThreshold = 195;

  /** Success: the episode's return reaches `threshold` (195 by default; 475 is "solved" for v1). */
  static success(
    episodeReturn: number,
    _terminated: boolean,
    _truncated: boolean,
    threshold: number = CartPoleEnv.successThreshold,
  ): boolean {
    return episodeReturn >= threshold;
  }

  readonly actionSpace = new Discrete(2);
  // Angle bound twice the failure angle so that the failing observation is still inside.
  readonly observationSpace = new Box(
    [-X_THRESHOLD * 2, Number.NEGATIVE_INFINITY, -THETA_THRESHOLD_RADIANS * 2, Number.NEGATIVE_INFINITY],
    [X_THRESHOLD * 2, Number.POSITIVE_INFINITY, THETA_THRESHOLD_RADIANS * 2, Number.POSITIVE_INFINITY],
  );
  spec: EnvSpec | null = null;

  private readonly suttonBartoReward: boolean;
  private rng: Generator | null = null;
  // The float64 state (x, x_dot, theta, theta_dot).
  private x = 0;
  private xDot = 0;
  private theta = 0;
  private thetaDot = 0;
  private hasState = false;
  /** Gymnasium's `steps_beyond_terminated`; -1 stands for None. */
  private stepsBeyondTerminated = -1;

  constructor(options: CartPoleOptions = {}) {
    checkEnvOptions(CartPoleEnv.id, options, ['sutton_barto_reward']);
    this.suttonBartoReward = options.sutton_barto_reward ?? false;
  }

  /**
   * The internal float64 state [x, ẋ, θ, θ̇] (Gymnasium's `env.unwrapped.state`), or null
   * before the first reset. Assigning it replaces the state; the next step starts from it.
   */
  get state(): Float64Array | null {
    return this.hasState ? Float64Array.of(this.x, this.xDot, this.theta, this.thetaDot) : null;
  }

  set state(value: ArrayLike<number>) {
    checkState(CartPoleEnv.id, value, 4);
    this.x = value[0];
    this.xDot = value[1];
    this.theta = value[2];
    this.thetaDot = value[3];
    this.hasState = true;
  }

  get npRandom(): Generator {
    this.rng ??= seededGenerator();
    return this.rng;
  }

  /** Draws the state uniformly from [low, high]^4 (default ±0.05; `options.low/high` override). */
  reset(opts: ResetOptions = {}): ResetResult {
    if (opts.seed !== undefined) this.rng = seededGenerator(opts.seed);
    const [low, high] = maybeParseResetBounds(opts.options, -0.05, 0.05);
    const rng = this.npRandom;
    this.x = rng.uniform(low, high);
    this.xDot = rng.uniform(low, high);
    this.theta = rng.uniform(low, high);
    this.thetaDot = rng.uniform(low, high);
    this.hasState = true;
    this.stepsBeyondTerminated = -1;
    return { obs: this.observation(), info: EMPTY_INFO };
  }

  step(action: Action): StepResult {
    if (action !== 0 && action !== 1) validateAction(this.actionSpace, action);
    if (!this.hasState) throwNotReset('CartPole-v1');
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const xDot = this.xDot;
    const theta = this.theta;
    const thetaDot = this.thetaDot;
    const costheta = Math.cos(theta);
    const sintheta = Math.sin(theta);

    // Florian (2005), eqs. 23-24 with the friction terms dropped.
    const temp = (force + POLEMASS_LENGTH * (thetaDot * thetaDot) * sintheta) / TOTAL_MASS;
    const thetaacc =
      (GRAVITY * sintheta - costheta * temp) /
      (LENGTH * (4.0 / 3.0 - (MASSPOLE * (costheta * costheta)) / TOTAL_MASS));
    const xacc = temp - (POLEMASS_LENGTH * thetaacc * costheta) / TOTAL_MASS;

    // Explicit Euler (Gymnasium's default `kinematics_integrator = "euler"`).
    const x = this.x + TAU * xDot;
    this.x = x;
    this.xDot = xDot + TAU * xacc;
    const newTheta = theta + TAU * thetaDot;
    this.theta = newTheta;
    this.thetaDot = thetaDot + TAU * thetaacc;

    const terminated =
      x < -X_THRESHOLD ||
      x > X_THRESHOLD ||
      newTheta < -THETA_THRESHOLD_RADIANS ||
      newTheta > THETA_THRESHOLD_RADIANS;

    const reward = terminated ? this.terminalReward() : this.suttonBartoReward ? 0.0 : 1.0;
    // The environment never truncates: the TimeLimit wrapper does.
    return { obs: this.observation(), reward, terminated, truncated: false, info: EMPTY_INFO };
  }

  close(): void {}

  /** The reward of a terminal step: the pole just fell, or the episode is stepped past its end. */
  private terminalReward(): number {
    if (this.stepsBeyondTerminated === -1) {
      this.stepsBeyondTerminated = 0;
      return this.suttonBartoReward ? -1.0 : 1.0;
    }
    // Stepping past termination is undefined behaviour in Gymnasium (it warns); the rewards it
    // gives are kept.
    this.stepsBeyondTerminated += 1;
    return this.suttonBartoReward ? -1.0 : 0.0;
  }

  private observation(): Float32Array {
    const obs = new Float32Array(4);
    obs[0] = this.x;
    obs[1] = this.xDot;
    obs[2] = this.theta;
    obs[3] = this.thetaDot;
    return obs;
  }
}

/**
 * Acrobot-v1: the two-link underactuated pendulum of Sutton (1996), "Generalization in
 * reinforcement learning: successful examples using sparse coarse coding", with the
 * equations of motion of Sutton and Barto, "Reinforcement Learning: An Introduction"
 * (the "book" dynamics; the NIPS paper's variant drops one term), integrated over one
 * 0.2 s step by a single classic fourth-order Runge-Kutta step — as Gymnasium 1.x's
 * `classic_control/acrobot.py` (RLPy's implementation), operation for operation.
 */

import { ValidationError } from '../../errors.js';
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

const PI = Math.PI;
/** Seconds integrated per step. */
const DT = 0.2;
// Link parameters, named as Gymnasium's AcrobotEnv class attributes.
const LINK_LENGTH_1 = 1.0;
const LINK_MASS_1 = 1.0;
const LINK_MASS_2 = 1.0;
/** Position of each link's centre of mass along the link. */
const LINK_COM_POS_1 = 0.5;
const LINK_COM_POS_2 = 0.5;
/** Moment of inertia of both links. */
const LINK_MOI = 1.0;
const MAX_VEL_1 = 4 * PI;
const MAX_VEL_2 = 9 * PI;
const G = 9.8;

// Products of constants that Gymnasium's `_dsdt` evaluates left to right before the first
// state-dependent factor; folding them here keeps each result bit-identical.
const m1 = LINK_MASS_1;
const m2 = LINK_MASS_2;
const l1 = LINK_LENGTH_1;
const lc1 = LINK_COM_POS_1;
const lc2 = LINK_COM_POS_2;
const I1 = LINK_MOI;
const I2 = LINK_MOI;
/** d1 = m1 lc1² + m2 (l1² + lc2² + 2 l1 lc2 cos θ2) + I1 + I2 */
const D1_A = m1 * lc1 ** 2;
const D1_B = l1 ** 2 + lc2 ** 2;
const D1_C = 2 * l1 * lc2;
/** d2 = m2 (lc2² + l1 lc2 cos θ2) + I2 */
const D2_A = lc2 ** 2;
const D2_B = l1 * lc2;
/** φ2 = m2 lc2 g cos(θ1 + θ2 − π/2) */
const PHI2_K = m2 * lc2 * G;
/** φ1 = −m2 l1 lc2 θ̇2² sin θ2 − 2 m2 l1 lc2 θ̇2 θ̇1 sin θ2 + (m1 lc1 + m2 l1) g cos(θ1 − π/2) + φ2 */
const PHI1_A = -m2 * l1 * lc2;
const PHI1_B = 2 * m2 * l1 * lc2;
const PHI1_C = (m1 * lc1 + m2 * l1) * G;
/** Book dynamics: θ̈2 = (a + d2/d1 φ1 − m2 l1 lc2 θ̇1² sin θ2 − φ2) / (m2 lc2² + I2 − d2²/d1) */
const DD2_A = m2 * l1 * lc2;
const DD2_DEN = m2 * lc2 ** 2 + I2;

/** Torque for each action: Gymnasium's `AVAIL_TORQUE = [-1.0, 0.0, +1]`. */
function torqueOf(action: number): number {
  return action === 0 ? -1.0 : action === 1 ? 0.0 : 1.0;
}

/** Gymnasium's `wrap(x, m, M)`: shifts x by whole periods (M − m) into [m, M]. */
export function wrap(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}

/** Gymnasium's `bound(x, m, M)`: `min(max(x, m), M)` with Python's argument order. */
export function bound(x: number, m: number, M: number): number {
  if (m > x) x = m;
  if (M < x) x = M;
  return x;
}

export interface AcrobotOptions {
  /** Gymnasium's `book_or_nips` class attribute: "book" (default) or the NIPS paper's "nips" dynamics. */
  book_or_nips?: 'book' | 'nips';
  /** Gymnasium's `torque_noise_max`: uniform noise in ±this is added to the torque (0 = none, the default). */
  torque_noise_max?: number;
}

export class AcrobotEnv implements Env {
  static readonly id = 'Acrobot-v1';
  static readonly maxEpisodeSteps = 500;
  static readonly rewardThreshold = -100;
  static readonly spec: EnvSpec = Object.freeze({
    id: AcrobotEnv.id,
    maxEpisodeSteps: AcrobotEnv.maxEpisodeSteps,
    rewardThreshold: AcrobotEnv.rewardThreshold,
  });

  /**
   * Success: the free end reached the target height (terminated) before the time limit.
   * Reaching it on the very step the limit truncates still counts.
   */
  static success(_episodeReturn: number, terminated: boolean, _truncated: boolean): boolean {
    return terminated;
  }

  readonly actionSpace = new Discrete(3);
  readonly observationSpace = new Box(
    [-1, -1, -1, -1, -MAX_VEL_1, -MAX_VEL_2],
    [1, 1, 1, 1, MAX_VEL_1, MAX_VEL_2],
  );
  spec: EnvSpec | null = null;

  private readonly nips: boolean;
  private readonly torqueNoiseMax: number;
  private rng: Generator | null = null;
  // The state (θ1, θ2, θ̇1, θ̇2), float64.
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** cos θ2 and sin θ2, kept with the state: the observation needs them and so does the next step's k1. */
  private cosS1 = 1;
  private sinS1 = 0;
  private hasState = false;
  // Outputs of `dsdt` (θ̈1, θ̈2): scratch fields instead of an allocated tuple.
  private dd1 = 0;
  private dd2 = 0;

  constructor(options: AcrobotOptions = {}) {
    checkEnvOptions(AcrobotEnv.id, options, ['book_or_nips', 'torque_noise_max']);
    const mode = options.book_or_nips ?? 'book';
    if (mode !== 'book' && mode !== 'nips') {
      throw new ValidationError(`book_or_nips must be 'book' or 'nips', got ${String(mode)}`, {
        field: 'book_or_nips',
      });
    }
    this.nips = mode === 'nips';
    const noise = options.torque_noise_max ?? 0;
    if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0) {
      throw new ValidationError(`torque_noise_max must be a finite number >= 0, got ${String(noise)}`, {
        field: 'torque_noise_max',
      });
    }
    this.torqueNoiseMax = noise;
  }

  /**
   * The internal float64 state [θ1, θ2, θ̇1, θ̇2] (Gymnasium's `env.unwrapped.state`), or null
   * before the first reset. Assigning it replaces the state; the next step starts from it.
   */
  get state(): Float64Array | null {
    return this.hasState ? Float64Array.of(this.s0, this.s1, this.s2, this.s3) : null;
  }

  set state(value: ArrayLike<number>) {
    checkState(AcrobotEnv.id, value, 4);
    this.s0 = value[0];
    this.s1 = value[1];
    this.s2 = value[2];
    this.s3 = value[3];
    this.cosS1 = Math.cos(value[1]);
    this.sinS1 = Math.sin(value[1]);
    this.hasState = true;
  }

  get npRandom(): Generator {
    this.rng ??= seededGenerator();
    return this.rng;
  }

  /** Both links hang down: each state variable uniform in [-0.1, 0.1], stored as float32 (as Gymnasium). */
  reset(opts: ResetOptions = {}): ResetResult {
    if (opts.seed !== undefined) this.rng = seededGenerator(opts.seed);
    const [low, high] = maybeParseResetBounds(opts.options, -0.1, 0.1);
    const rng = this.npRandom;
    this.s0 = Math.fround(rng.uniform(low, high));
    this.s1 = Math.fround(rng.uniform(low, high));
    this.s2 = Math.fround(rng.uniform(low, high));
    this.s3 = Math.fround(rng.uniform(low, high));
    this.hasState = true;
    return { obs: this.observation(Math.cos(this.s0)), info: EMPTY_INFO };
  }

  step(action: Action): StepResult {
    if (action !== 0 && action !== 1 && action !== 2) validateAction(this.actionSpace, action);
    if (!this.hasState) throwNotReset('Acrobot-v1');
    let torque = torqueOf(action as number);
    if (this.torqueNoiseMax > 0) torque += this.npRandom.uniform(-this.torqueNoiseMax, this.torqueNoiseMax);

    // One classic RK4 step over [0, DT], as Gymnasium's `rk4(derivs, y0, [0, dt])`: the torque
    // rides along as a fifth state component with zero derivative, so it is constant here.
    const h = DT - 0;
    const h2 = h / 2.0;
    const y0 = this.s0;
    const y1 = this.s1;
    const y2 = this.s2;
    const y3 = this.s3;
    // k1 = f(y)
    this.dsdt(y0, y1, this.cosS1, this.sinS1, y2, y3, torque);
    const k1a = y2;
    const k1b = y3;
    const k1c = this.dd1;
    const k1d = this.dd2;
    // k2 = f(y + h/2 k1)
    const y1c = y2 + h2 * k1c;
    const y1d = y3 + h2 * k1d;
    const y1b = y1 + h2 * k1b;
    this.dsdt(y0 + h2 * k1a, y1b, Math.cos(y1b), Math.sin(y1b), y1c, y1d, torque);
    const k2a = y1c;
    const k2b = y1d;
    const k2c = this.dd1;
    const k2d = this.dd2;
    // k3 = f(y + h/2 k2)
    const y2c = y2 + h2 * k2c;
    const y2d = y3 + h2 * k2d;
    const y2b = y1 + h2 * k2b;
    this.dsdt(y0 + h2 * k2a, y2b, Math.cos(y2b), Math.sin(y2b), y2c, y2d, torque);
    const k3a = y2c;
    const k3b = y2d;
    const k3c = this.dd1;
    const k3d = this.dd2;
    // k4 = f(y + h k3)
    const y3c = y2 + h * k3c;
    const y3d = y3 + h * k3d;
    const y3b = y1 + h * k3b;
    this.dsdt(y0 + h * k3a, y3b, Math.cos(y3b), Math.sin(y3b), y3c, y3d, torque);
    const k4a = y3c;
    const k4b = y3d;
    const k4c = this.dd1;
    const k4d = this.dd2;
    // y + h/6 (k1 + 2 k2 + 2 k3 + k4), summed left to right as numpy does.
    const h6 = h / 6.0;
    const n0 = y0 + h6 * (k1a + 2 * k2a + 2 * k3a + k4a);
    const n1 = y1 + h6 * (k1b + 2 * k2b + 2 * k3b + k4b);
    const n2 = y2 + h6 * (k1c + 2 * k2c + 2 * k3c + k4c);
    const n3 = y3 + h6 * (k1d + 2 * k2d + 2 * k3d + k4d);

    const s0 = wrap(n0, -PI, PI);
    const s1 = wrap(n1, -PI, PI);
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = bound(n2, -MAX_VEL_1, MAX_VEL_1);
    this.s3 = bound(n3, -MAX_VEL_2, MAX_VEL_2);

    // Terminal when the free end is more than one link length above the pivot.
    const cos0 = Math.cos(s0);
    const terminated = -cos0 - Math.cos(s1 + s0) > 1.0;
    const reward = terminated ? 0.0 : -1.0;
    return { obs: this.observation(cos0), reward, terminated, truncated: false, info: EMPTY_INFO };
  }

  close(): void {}

  /** [cos θ1, sin θ1, cos θ2, sin θ2, θ̇1, θ̇2] as float32 (`cos0` = cos θ1, already computed). */
  private observation(cos0: number): Float32Array {
    const obs = new Float32Array(6);
    obs[0] = cos0;
    obs[1] = Math.sin(this.s0);
    this.cosS1 = Math.cos(this.s1);
    this.sinS1 = Math.sin(this.s1);
    obs[2] = this.cosS1;
    obs[3] = this.sinS1;
    obs[4] = this.s2;
    obs[5] = this.s3;
    return obs;
  }

  /**
   * Gymnasium's `_dsdt`: the angular accelerations (θ̈1, θ̈2) of the state (θ1, θ2, θ̇1, θ̇2)
   * under torque `a`, written to `dd1`, `dd2`. The first two derivatives are θ̇1, θ̇2 themselves.
   * The caller passes cos θ2 and sin θ2 (at the first stage they are already known).
   */
  private dsdt(
    theta1: number,
    theta2: number,
    cos2: number,
    sin2: number,
    dtheta1: number,
    dtheta2: number,
    a: number,
  ): void {
    const d1 = D1_A + m2 * (D1_B + D1_C * cos2) + I1 + I2;
    const d2 = m2 * (D2_A + D2_B * cos2) + I2;
    const phi2 = PHI2_K * Math.cos(theta1 + theta2 - PI / 2.0);
    const phi1 =
      PHI1_A * (dtheta2 * dtheta2) * sin2 -
      PHI1_B * dtheta2 * dtheta1 * sin2 +
      PHI1_C * Math.cos(theta1 - PI / 2) +
      phi2;
    let ddtheta2: number;
    if (this.nips) {
      ddtheta2 = (a + (d2 / d1) * phi1 - phi2) / (DD2_DEN - (d2 * d2) / d1);
    } else {
      ddtheta2 =
        (a + (d2 / d1) * phi1 - DD2_A * (dtheta1 * dtheta1) * sin2 - phi2) / (DD2_DEN - (d2 * d2) / d1);
    }
    this.dd1 = -(d2 * ddtheta2 + phi1) / d1;
    this.dd2 = ddtheta2;
  }
}

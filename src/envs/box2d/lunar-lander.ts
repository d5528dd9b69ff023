/**
 * LunarLander-v3 (discrete and continuous): land a rocket on a pad at the centre of a random
 * moonscape. Dynamics, constants, random draws, shaping reward and termination follow
 * Gymnasium 1.x `gymnasium/envs/box2d/lunar_lander.py`; the rigid-body physics is Box2D 2.3
 * as ported by planck.js (the same solver, settings and contact model, though not bit-identical
 * to the C++ build that Gymnasium drives through pybox2d).
 *
 * planck's default Settings are Box2D 2.3's b2Settings (linearSlop 0.005, velocityThreshold 1,
 * baumgarte 0.2, sleep after 0.5 s under 0.01 m/s and 2°/s); its larger maxPolygonVertices (12
 * against 8) does not matter for the 6-vertex hull. planck computes in float64 where Box2D uses
 * float32, so trajectories agree in behaviour, not bit for bit.
 *
 * Particles (the exhaust that Gymnasium draws) are left out: Gymnasium only creates them when
 * rendering, and even then their filter (category 0x0100, mask 0x0001) lets them touch the
 * ground only, so they never act on the lander.
 */
import { type Body, BoxShape, type Contact, EdgeShape, PolygonShape, RevoluteJoint, World } from 'planck';
import { ValidationError } from '../../errors.js';
import { type Generator, npRandom } from '../../rng/index.js';
import {
  type Action,
  EMPTY_INFO,
  type Env,
  type EnvSpec,
  type ResetOptions,
  type ResetResult,
  type StepResult,
} from '../core.js';
import { EnvStateError } from '../errors.js';
import { Box, Discrete, validateAction } from '../spaces.js';

// ---- Constants of lunar_lander.py (module level), in Box2D units after dividing by SCALE ----
const FPS = 50;
/** Pixels per Box2D metre; "affects how fast-paced the game is". */
const SCALE = 30.0;
const MAIN_ENGINE_POWER = 13.0;
const SIDE_ENGINE_POWER = 0.6;
/** Bound of each component of the random force applied to the lander at reset. */
const INITIAL_RANDOM = 1000.0;
/** Hull of the lander body in pixels (x, y). */
const LANDER_POLY: ReadonlyArray<readonly [number, number]> = [
  [-14, +17],
  [-17, 0],
  [-17, -10],
  [+17, -10],
  [+17, 0],
  [+14, +17],
];
const LEG_AWAY = 20;
const LEG_DOWN = 18;
const LEG_W = 2;
const LEG_H = 8;
const LEG_SPRING_TORQUE = 40;
const SIDE_ENGINE_HEIGHT = 14;
const SIDE_ENGINE_AWAY = 12;
/** Y location of the main engine on the lander body (pixels below the origin). */
const MAIN_ENGINE_Y_LOCATION = 4;
const VIEWPORT_W = 600;
const VIEWPORT_H = 400;
/** Terrain is CHUNKS points joined by edges; the five middle heights are flattened into the helipad. */
const CHUNKS = 11;

// Derived quantities, computed with the reference's operation order so the float64 values match.
const W = VIEWPORT_W / SCALE;
const H = VIEWPORT_H / SCALE;
const HALF_W = VIEWPORT_W / SCALE / 2;
const HALF_H = VIEWPORT_H / SCALE / 2;
const MAIN_ENGINE_OFFSET = MAIN_ENGINE_Y_LOCATION / SCALE;
const LEG_DOWN_M = LEG_DOWN / SCALE;

// Collision filter bits of lunar_lander.py: lander and legs collide with the ground only.
const GROUND_CATEGORY = 0x0001;
const LANDER_CATEGORY = 0x0010;
const LEG_CATEGORY = 0x0020;

/**
 * Keyword arguments of Gymnasium's `LunarLander.__init__`, under the same names so that
 * `make('LunarLander-v3', { enable_wind: true })` reads like `gym.make(..., enable_wind=True)`.
 */
export interface LunarLanderOptions {
  /** Box(-1, 1, (2,)) throttles instead of Discrete(4) (default false). */
  continuous?: boolean;
  /** Gravitational acceleration, strictly between -12 and 0 (default -10). */
  gravity?: number;
  /** Apply the tanh(sin) wind force and turbulence torque while airborne (default false). */
  enable_wind?: boolean;
  /** Peak wind force; Gymnasium recommends 0..20 (default 15). */
  wind_power?: number;
  /** Peak turbulence torque; Gymnasium recommends 0..2 (default 1.5). */
  turbulence_power?: number;
}

interface ResolvedOptions {
  continuous: boolean;
  gravity: number;
  enableWind: boolean;
  windPower: number;
  turbulencePower: number;
}

const OPTION_NAMES = new Set(['continuous', 'gravity', 'enable_wind', 'wind_power', 'turbulence_power']);

function resolveOptions(opts: LunarLanderOptions | Record<string, unknown>): ResolvedOptions {
  for (const key of Object.keys(opts)) {
    if (!OPTION_NAMES.has(key)) {
      throw new ValidationError(
        `unknown LunarLander option '${key}'; valid options: ${[...OPTION_NAMES].join(', ')}`,
        { field: key, valid: [...OPTION_NAMES] },
      );
    }
  }
  const o = opts as Record<string, unknown>;
  const bool = (key: string, dflt: boolean): boolean => {
    const v = o[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') throw new ValidationError(`${key} must be a boolean`, { field: key });
    return v;
  };
  const num = (key: string, dflt: number): number => {
    const v = o[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ValidationError(`${key} must be a finite number`, { field: key });
    }
    return v;
  };
  const gravity = num('gravity', -10.0);
  // Gymnasium asserts -12 < gravity < 0.
  if (!(gravity > -12.0 && gravity < 0.0)) {
    throw new ValidationError(`gravity (current value: ${gravity}) must be between -12 and 0`, {
      field: 'gravity',
    });
  }
  const windPower = num('wind_power', 15.0);
  const turbulencePower = num('turbulence_power', 1.5);
  // Gymnasium only warns outside these ranges; so do we.
  if (windPower < 0.0 || windPower > 20.0) {
    process.emitWarning(
      `wind_power value is recommended to be between 0.0 and 20.0, (current value: ${windPower})`,
    );
  }
  if (turbulencePower < 0.0 || turbulencePower > 2.0) {
    process.emitWarning(
      `turbulence_power value is recommended to be between 0.0 and 2.0, (current value: ${turbulencePower})`,
    );
  }
  return {
    continuous: bool('continuous', false),
    gravity,
    enableWind: bool('enable_wind', false),
    windPower,
    turbulencePower,
  };
}

/** Observation bounds of LunarLander-v3 (x, y, vx, vy, angle, angular velocity, two leg contacts). */
const OBS_LOW = [-2.5, -2.5, -10.0, -10.0, -2 * Math.PI, -10.0, -0.0, -0.0];
const OBS_HIGH = [2.5, 2.5, 10.0, 10.0, 2 * Math.PI, 10.0, 1.0, 1.0];

/** Gymnasium's wind and turbulence profile, tanh(sin(2k t) + sin(π k t)) with k = 0.01 (never periodic). */
function windProfile(t: number): number {
  return Math.tanh(Math.sin(0.02 * t) + Math.sin(Math.PI * 0.01 * t));
}

export class LunarLanderEnv implements Env {
  static readonly id: string = 'LunarLander-v3';
  static readonly maxEpisodeSteps = 1000;
  static readonly rewardThreshold = 200;
  static readonly spec: EnvSpec = Object.freeze({
    id: LunarLanderEnv.id,
    maxEpisodeSteps: LunarLanderEnv.maxEpisodeSteps,
    rewardThreshold: LunarLanderEnv.rewardThreshold,
  });

  /** An episode counts as a success when its return reaches the reward threshold (200). */
  static success(episodeReturn: number, _terminated: boolean, _truncated: boolean): boolean {
    return episodeReturn >= LunarLanderEnv.rewardThreshold;
  }

  readonly observationSpace: Box;
  readonly actionSpace: Discrete | Box;
  spec: EnvSpec | null = null;

  readonly continuous: boolean;
  readonly gravity: number;
  readonly enableWind: boolean;
  readonly windPower: number;
  readonly turbulencePower: number;

  private rng: Generator | null = null;

  private world: World | null = null;
  private lander: Body | null = null;
  private legs: Body[] = [];
  /** Per-leg ground contact, maintained by the contact listener (Gymnasium's `leg.ground_contact`). */
  private readonly legContact: [boolean, boolean] = [false, false];
  /** Set when the lander body itself touches the ground (Gymnasium's `game_over`). */
  private gameOver = false;
  private prevShaping: number | null = null;
  private windIdx = 0;
  private torqueIdx = 0;
  private terminated = false;

  /** Helipad geometry of the current episode, in Box2D metres. */
  helipadX1 = 0;
  helipadX2 = 0;
  helipadY = 0;
  /** The random force (x, y) applied to the lander's centre at reset. */
  readonly initialForce = new Float64Array(2);
  /** Terrain vertices (x, y) of the current episode: CHUNKS points joined by edges. */
  readonly terrainX = new Float64Array(CHUNKS);
  readonly terrainY = new Float64Array(CHUNKS);

  // Scratch vectors reused by every step (planck reads their x/y without keeping them).
  private readonly vecA = { x: 0, y: 0 };
  private readonly vecB = { x: 0, y: 0 };
  /** The float64 state before the float32 cast; the reward is computed from it, as in Gymnasium. */
  private readonly state = new Float64Array(8);

  private readonly onBeginContact = (contact: Contact): void => {
    const a = contact.getFixtureA().getBody();
    const b = contact.getFixtureB().getBody();
    if (a === this.lander || b === this.lander) this.gameOver = true;
    for (let i = 0; i < 2; i++) {
      if (a === this.legs[i] || b === this.legs[i]) this.legContact[i] = true;
    }
  };

  private readonly onEndContact = (contact: Contact): void => {
    const a = contact.getFixtureA().getBody();
    const b = contact.getFixtureB().getBody();
    for (let i = 0; i < 2; i++) {
      if (a === this.legs[i] || b === this.legs[i]) this.legContact[i] = false;
    }
  };

  constructor(options: LunarLanderOptions | Record<string, unknown> = {}) {
    const o = resolveOptions(options);
    this.continuous = o.continuous;
    this.gravity = o.gravity;
    this.enableWind = o.enableWind;
    this.windPower = o.windPower;
    this.turbulencePower = o.turbulencePower;
    this.observationSpace = new Box(Float32Array.from(OBS_LOW), Float32Array.from(OBS_HIGH));
    // Continuous: [main, lateral] throttles. Discrete: 0 nop, 1 left engine, 2 main, 3 right engine.
    this.actionSpace = this.continuous ? new Box(-1, 1, [2]) : new Discrete(4);
  }

  /** Gymnasium's `wind_idx`: the time index of the next wind force (meaningful with wind enabled). */
  get windIndex(): number {
    return this.windIdx;
  }

  /** Gymnasium's `torque_idx`: the time index of the next turbulence torque. */
  get torqueIndex(): number {
    return this.torqueIdx;
  }

  /** Whether leg 0 / leg 1 touches the ground (the last two observation entries). */
  legGroundContact(i: 0 | 1): boolean {
    return this.legContact[i];
  }

  get npRandom(): Generator {
    // Like Gymnasium's lazily seeded `np_random`: fresh OS entropy unless reset({ seed }) came first.
    if (this.rng === null) this.rng = npRandom().rng;
    return this.rng;
  }

  reset(opts: ResetOptions = {}): ResetResult {
    if (opts.seed !== undefined) {
      if (!Number.isSafeInteger(opts.seed) || opts.seed < 0) {
        throw new ValidationError(`seed must be a non-negative integer, got ${opts.seed}`, { field: 'seed' });
      }
      this.rng = npRandom(opts.seed).rng;
    }
    const rng = this.npRandom;

    // Gymnasium v3 builds a fresh world on every reset (the fix for its issue 728).
    this.destroyWorld();
    const world = new World({ gravity: { x: 0, y: this.gravity } });
    world.on('begin-contact', this.onBeginContact);
    world.on('end-contact', this.onEndContact);
    this.world = world;
    this.gameOver = false;
    this.prevShaping = null;
    this.terminated = false;
    this.legContact[0] = false;
    this.legContact[1] = false;

    // Terrain: CHUNKS + 1 heights drawn in one vectorised uniform(0, H/2) call.
    const height = new Float64Array(CHUNKS + 1);
    for (let i = 0; i <= CHUNKS; i++) height[i] = rng.uniform(0, H / 2);
    for (let i = 0; i < CHUNKS; i++) this.terrainX[i] = (W / (CHUNKS - 1)) * i;
    const mid = Math.floor(CHUNKS / 2);
    this.helipadX1 = this.terrainX[mid - 1];
    this.helipadX2 = this.terrainX[mid + 1];
    this.helipadY = H / 4;
    for (let k = -2; k <= 2; k++) height[mid + k] = this.helipadY;
    // Three-point smoothing; for i = 0 the reference's height[i - 1] is Python's height[-1],
    // the last of the CHUNKS + 1 draws.
    for (let i = 0; i < CHUNKS; i++) {
      const prev = i === 0 ? height[CHUNKS] : height[i - 1];
      this.terrainY[i] = 0.33 * (prev + height[i] + height[i + 1]);
    }

    // The moon: a static body with a flat edge along y = 0 (pybox2d's default fixture: friction
    // 0.2, density 0) and one edge per chunk (friction 0.1), created in the reference's order.
    const moon = world.createBody();
    moon.createFixture(new EdgeShape({ x: 0, y: 0 }, { x: W, y: 0 }), {
      density: 0,
      friction: 0.2,
      filterCategoryBits: GROUND_CATEGORY,
    });
    for (let i = 0; i < CHUNKS - 1; i++) {
      const p1 = { x: this.terrainX[i], y: this.terrainY[i] };
      const p2 = { x: this.terrainX[i + 1], y: this.terrainY[i + 1] };
      moon.createFixture(new EdgeShape(p1, p2), {
        density: 0,
        friction: 0.1,
        filterCategoryBits: GROUND_CATEGORY,
      });
    }

    // The lander at the top centre of the viewport.
    const initialY = VIEWPORT_H / SCALE;
    const initialX = VIEWPORT_W / SCALE / 2;
    const lander = world.createDynamicBody({ position: { x: initialX, y: initialY }, angle: 0.0 });
    lander.createFixture(new PolygonShape(LANDER_POLY.map(([x, y]) => ({ x: x / SCALE, y: y / SCALE }))), {
      density: 5.0,
      friction: 0.1,
      restitution: 0.0,
      filterCategoryBits: LANDER_CATEGORY,
      filterMaskBits: GROUND_CATEGORY,
    });
    this.lander = lander;

    // The random initial push: two uniform draws, x then y, after the terrain draws.
    this.initialForce[0] = rng.uniform(-INITIAL_RANDOM, INITIAL_RANDOM);
    this.initialForce[1] = rng.uniform(-INITIAL_RANDOM, INITIAL_RANDOM);
    lander.applyForceToCenter({ x: this.initialForce[0], y: this.initialForce[1] }, true);

    // Wind and turbulence phases C in [-9999, 9999), drawn only when wind is enabled.
    if (this.enableWind) {
      this.windIdx = rng.integers(-9999, 9999);
      this.torqueIdx = rng.integers(-9999, 9999);
    }

    // Legs: i = -1 is legs[0] (placed right of centre), i = +1 is legs[1]; each hinged to the
    // lander by a motorised revolute joint with a limited range ("the most esoteric numbers").
    this.legs = [];
    for (const i of [-1, +1]) {
      const leg = world.createDynamicBody({
        position: { x: initialX - (i * LEG_AWAY) / SCALE, y: initialY },
        angle: i * 0.05,
      });
      leg.createFixture(new BoxShape(LEG_W / SCALE, LEG_H / SCALE), {
        density: 1.0,
        friction: 0.2,
        restitution: 0.0,
        filterCategoryBits: LEG_CATEGORY,
        filterMaskBits: GROUND_CATEGORY,
      });
      this.legs.push(leg);
      world.createJoint(
        new RevoluteJoint({
          bodyA: lander,
          bodyB: leg,
          localAnchorA: { x: 0, y: 0 },
          localAnchorB: { x: (i * LEG_AWAY) / SCALE, y: LEG_DOWN / SCALE },
          // Box2D's revoluteJointDef defaults to 0; planck would otherwise take the bodies' current
          // relative angle (±0.05), shifting the limits.
          referenceAngle: 0,
          enableMotor: true,
          enableLimit: true,
          maxMotorTorque: LEG_SPRING_TORQUE,
          motorSpeed: +0.3 * i, // low enough not to jump back into the sky
          lowerAngle: i === -1 ? +0.9 - 0.5 : -0.9,
          upperAngle: i === -1 ? +0.9 : -0.9 + 0.5,
        }),
      );
    }

    // Gymnasium returns the observation of one no-op step (which also draws the dispersion).
    const first = this.advance(0, 0, 0);
    return { obs: first.obs, info: {} };
  }

  step(action: Action): StepResult {
    if (this.lander === null) throw new EnvStateError('step() called before reset()');
    if (this.terminated) throw new EnvStateError('step() called after the episode terminated; call reset()');

    // Discrete: an integer in [0, 3]. Continuous: two finite numbers; out-of-range values are
    // clipped below, as Gymnasium clips them.
    validateAction(this.actionSpace, action);
    let mPower = 0.0;
    let sPower = 0.0;
    let direction = 0;
    if (this.continuous) {
      const a = action as ArrayLike<number>;
      const main = Math.min(Math.max(a[0], -1), 1);
      const lateral = Math.min(Math.max(a[1], -1), 1);
      // Main engine: off below 0, throttle 50%..100% on [0, 1].
      if (main > 0.0) mPower = (Math.min(Math.max(main, 0.0), 1.0) + 1.0) * 0.5;
      // Side engines: off on (-0.5, 0.5), 50%..100% beyond, left for negative, right for positive.
      if (Math.abs(lateral) > 0.5) {
        direction = Math.sign(lateral);
        sPower = Math.min(Math.max(Math.abs(lateral), 0.5), 1.0);
      }
    } else {
      const a = action as number;
      if (a === 2) mPower = 1.0;
      if (a === 1 || a === 3) {
        direction = a - 2; // 1 fires the left engine (pushes right), 3 the right engine
        sPower = 1.0;
      }
    }
    const result = this.advance(mPower, sPower, direction);
    if (result.terminated) this.terminated = true;
    return result;
  }

  close(): void {
    this.destroyWorld();
  }

  /**
   * One environment step with engine throttles already decoded: wind, engine impulses,
   * world step, observation, shaping reward and termination, in Gymnasium's order.
   */
  private advance(mPower: number, sPower: number, direction: number): StepResult {
    const world = this.world!;
    const lander = this.lander!;
    const rng = this.npRandom;
    const impulse = this.vecA;
    const point = this.vecB;

    // Wind and turbulence act only while neither leg touches the ground.
    if (this.enableWind && !(this.legContact[0] || this.legContact[1])) {
      impulse.x = windProfile(this.windIdx) * this.windPower;
      impulse.y = 0.0;
      this.windIdx += 1;
      lander.applyForceToCenter(impulse, true);
      const torque = windProfile(this.torqueIdx) * this.turbulencePower;
      this.torqueIdx += 1;
      lander.applyTorque(torque, true);
    }

    // tip = the lander's up axis (sin, cos of its angle); side = its perpendicular (-cos, sin).
    const angle = lander.getAngle();
    const tip0 = Math.sin(angle);
    const tip1 = Math.cos(angle);
    const side0 = -tip1;
    const side1 = tip0;
    // Two dispersion draws every step, whatever the action, each uniform(-1, 1) / SCALE.
    const disp0 = rng.uniform(-1.0, +1.0) / SCALE;
    const disp1 = rng.uniform(-1.0, +1.0) / SCALE;

    const pos = lander.getPosition();
    if (mPower > 0.0) {
      // Main engine: MAIN_ENGINE_Y_LOCATION below the origin along -tip, jittered by the dispersion.
      const ox = tip0 * (MAIN_ENGINE_OFFSET + 2 * disp0) + side0 * disp1;
      const oy = -tip1 * (MAIN_ENGINE_OFFSET + 2 * disp0) - side1 * disp1;
      point.x = pos.x + ox;
      point.y = pos.y + oy;
      impulse.x = -ox * MAIN_ENGINE_POWER * mPower;
      impulse.y = -oy * MAIN_ENGINE_POWER * mPower;
      lander.applyLinearImpulse(impulse, point, true);
    }
    if (sPower > 0.0) {
      // Side engines. The reference offsets x by 17/SCALE but y by SIDE_ENGINE_HEIGHT (14)/SCALE,
      // which makes the torque depend on the orientation; kept as is.
      const lever = 3 * disp1 + (direction * SIDE_ENGINE_AWAY) / SCALE;
      const ox = tip0 * disp0 + side0 * lever;
      const oy = -tip1 * disp0 - side1 * lever;
      point.x = pos.x + ox - (tip0 * 17) / SCALE;
      point.y = pos.y + oy + (tip1 * SIDE_ENGINE_HEIGHT) / SCALE;
      impulse.x = -ox * SIDE_ENGINE_POWER * sPower;
      impulse.y = -oy * SIDE_ENGINE_POWER * sPower;
      lander.applyLinearImpulse(impulse, point, true);
    }

    world.step(1.0 / FPS, 6 * 30, 2 * 30);

    // Observation in viewport-normalised units (Gymnasium's state list, float64 until the cast).
    const p = lander.getPosition();
    const v = lander.getLinearVelocity();
    const s = this.state;
    s[0] = (p.x - HALF_W) / HALF_W;
    s[1] = (p.y - (this.helipadY + LEG_DOWN_M)) / HALF_H;
    s[2] = (v.x * HALF_W) / FPS;
    s[3] = (v.y * HALF_H) / FPS;
    s[4] = lander.getAngle();
    s[5] = (20.0 * lander.getAngularVelocity()) / FPS;
    s[6] = this.legContact[0] ? 1.0 : 0.0;
    s[7] = this.legContact[1] ? 1.0 : 0.0;

    // Potential-based shaping: distance, speed and tilt penalties, +10 per leg on the ground.
    const shaping =
      -100 * Math.sqrt(s[0] * s[0] + s[1] * s[1]) -
      100 * Math.sqrt(s[2] * s[2] + s[3] * s[3]) -
      100 * Math.abs(s[4]) +
      10 * s[6] +
      10 * s[7];
    let reward = 0;
    if (this.prevShaping !== null) reward = shaping - this.prevShaping;
    this.prevShaping = shaping;
    // Fuel: 0.30 per frame of full main engine, 0.03 per frame of full side engine.
    reward -= mPower * 0.3;
    reward -= sPower * 0.03;

    let terminated = false;
    if (this.gameOver || Math.abs(s[0]) >= 1.0) {
      terminated = true;
      reward = -100;
    }
    // Box2D put the lander to sleep: it has come to rest, i.e. landed.
    if (!lander.isAwake()) {
      terminated = true;
      reward = +100;
    }

    return { obs: new Float32Array(s), reward, terminated, truncated: false, info: EMPTY_INFO };
  }

  private destroyWorld(): void {
    if (this.world !== null) {
      this.world.off('begin-contact', this.onBeginContact);
      this.world.off('end-contact', this.onEndContact);
    }
    this.world = null;
    this.lander = null;
    this.legs = [];
  }
}

/** LunarLanderContinuous-v3: LunarLander-v3 with `continuous: true` (Gymnasium registers both ids). */
export class LunarLanderContinuousEnv extends LunarLanderEnv {
  static override readonly id: string = 'LunarLanderContinuous-v3';
  static override readonly spec: EnvSpec = Object.freeze({
    id: LunarLanderContinuousEnv.id,
    maxEpisodeSteps: LunarLanderEnv.maxEpisodeSteps,
    rewardThreshold: LunarLanderEnv.rewardThreshold,
  });

  constructor(options: Omit<LunarLanderOptions, 'continuous'> | Record<string, unknown> = {}) {
    if ('continuous' in options && options.continuous !== true) {
      throw new ValidationError('LunarLanderContinuous-v3 is always continuous', { field: 'continuous' });
    }
    super({ ...options, continuous: true });
  }
}

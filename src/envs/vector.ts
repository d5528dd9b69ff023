/**
 * SyncVectorEnv: N copies of an environment stepped one after another in this thread and
 * presented as one batched environment, as Gymnasium 1.x `gymnasium.vector.SyncVectorEnv`.
 *
 * Batched arrays (each reused across calls; copy what you keep):
 * - `observations`: Float32Array of N × obsDim, copy i in row i;
 * - `rewards`: Float64Array(N); `terminated`, `truncated`: Uint8Array(N) of 0/1;
 * - `infos[i]`: the info object copy i returned.
 *
 * Seeding, as Gymnasium's vector envs: `reset({ seed: s })` resets copy i with seed s + i, so
 * copy i starts exactly as a single environment reset with `seed: s + i`; a list of seeds
 * gives one per copy; no seed resets every copy unseeded (each continues its own stream).
 *
 * Autoreset: SAME STEP (Gymnasium's `AutoresetMode.SAME_STEP`, the behaviour of
 * Stable-Baselines3's VecEnv). When copy i's episode ends on a step (terminated or
 * truncated), that same step
 *   1. copies the episode's last observation into row i of `finalObservations` and keeps
 *      the last info in `finalInfos[i]`,
 *   2. resets copy i (without a seed: it continues its generator stream), and
 *   3. returns the reset observation in row i of `observations`, with the final step's
 *      reward and flags in `rewards[i]`, `terminated[i]`, `truncated[i]`.
 * So every returned row is an observation to act on, and every step of every copy is a real
 * environment transition. A training loop bootstraps a truncated episode's value from
 * `finalObservations` (row i, valid when `terminated[i] || truncated[i]` on that step) and
 * does not bootstrap a terminated one. We chose this over Gymnasium's default NEXT_STEP mode
 * (where the step after an episode ends performs the reset and returns reward 0 with an
 * action that is ignored), because NEXT_STEP makes every rollout carry dummy transitions that
 * PPO, A2C and DQN must mask out; SAME_STEP is what SB3's algorithms and our agents expect.
 *
 * The final observation buffers are preallocated, so autoreset allocates nothing beyond what
 * the copies' own reset and step return.
 */
import { ValidationError } from '../errors.js';
import type { Action, ActionSpace, Env, Info, ResetOptions } from './core.js';
import { EnvStateError } from './errors.js';
import { type MakeOptions, make } from './registry.js';
import { type Box, Discrete } from './spaces.js';

export interface VectorResetOptions {
  /** One seed s (copy i gets s + i) or one seed per copy. */
  seed?: number | readonly number[];
  /** Reset options passed to every copy (Gymnasium's `options`). */
  options?: Record<string, unknown>;
}

export interface VectorResetResult {
  /** N × obsDim initial observations (the vector env's `observations` buffer). */
  obs: Float32Array;
  infos: readonly Info[];
}

export interface VectorStepResult {
  /** N × obsDim observations to act on next (reset observations for copies that just finished). */
  obs: Float32Array;
  rewards: Float64Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  infos: readonly Info[];
  /** N × obsDim; row i is the last observation of copy i's episode when it ended on this step. */
  finalObs: Float32Array;
  /** finalInfos[i] is the info of copy i's final step when it ended on this step, else null. */
  finalInfos: readonly (Info | null)[];
}

/**
 * Batched actions: for a Discrete action space, N numbers (an array or typed array); for a
 * Box of actDim elements, either N × actDim numbers flattened row by row or N arrays.
 */
export type VectorActions = ArrayLike<number> | ReadonlyArray<ArrayLike<number>>;

export class SyncVectorEnv {
  readonly numEnvs: number;
  readonly envs: readonly Env[];
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: ActionSpace;
  /** Elements of one observation. */
  readonly obsDim: number;
  /** Elements of one action: 1 for Discrete, the Box size otherwise. */
  readonly actDim: number;

  readonly observations: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly finalObservations: Float32Array;
  /** Row views of `observations`, one per copy (made once; they alias the batch buffer). */
  readonly observationRows: readonly Float32Array[];
  /** Row views of `finalObservations`, one per copy (made once; they alias the buffer). */
  readonly finalObservationRows: readonly Float32Array[];
  private readonly infoList: Info[];
  private readonly finalInfoList: (Info | null)[];

  private readonly discrete: boolean;
  /**
   * Per-copy views into `actionBuffer` for Box actions (made once, so stepping allocates
   * none). Float64, so that actions reach each copy with the values given, as Gymnasium's
   * vector env passes the caller's array rows through.
   */
  private readonly actionBuffer: Float64Array;
  private readonly actionViews: Float64Array[];
  private readonly result: VectorStepResult;
  private started = false;
  private closed = false;

  /**
   * `source` is an environment id (each copy is `make(id, options)`) or a factory called
   * with the copy's index. Every copy must have the same observation and action spaces.
   */
  constructor(source: string | ((index: number) => Env), numEnvs: number, options?: MakeOptions) {
    if (!Number.isSafeInteger(numEnvs) || numEnvs <= 0) {
      throw new ValidationError(`numEnvs must be a positive integer, got ${numEnvs}`, { field: 'numEnvs' });
    }
    if (typeof source !== 'string' && options !== undefined) {
      throw new ValidationError(
        'make options apply only when the vector env is built from an environment id',
        {
          field: 'options',
        },
      );
    }
    const envs: Env[] = [];
    for (let i = 0; i < numEnvs; i++)
      envs.push(typeof source === 'string' ? make(source, options) : source(i));
    const first = envs[0];
    const obsShape = first.observationSpace.shape.join(',');
    for (let i = 1; i < numEnvs; i++) {
      const e = envs[i];
      if (
        e.observationSpace.shape.join(',') !== obsShape ||
        !sameActionSpace(e.actionSpace, first.actionSpace)
      ) {
        throw new ValidationError(`copy ${i} has different spaces from copy 0`, { field: 'envs' });
      }
    }
    this.numEnvs = numEnvs;
    this.envs = envs;
    this.singleObservationSpace = first.observationSpace;
    this.singleActionSpace = first.actionSpace;
    this.obsDim = first.observationSpace.size;
    this.discrete = first.actionSpace instanceof Discrete;
    this.actDim = first.actionSpace instanceof Discrete ? 1 : first.actionSpace.size;

    this.observations = new Float32Array(numEnvs * this.obsDim);
    this.finalObservations = new Float32Array(numEnvs * this.obsDim);
    this.observationRows = rowViews(this.observations, numEnvs, this.obsDim);
    this.finalObservationRows = rowViews(this.finalObservations, numEnvs, this.obsDim);
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.infoList = new Array<Info>(numEnvs).fill({});
    this.finalInfoList = new Array<Info | null>(numEnvs).fill(null);
    this.actionBuffer = new Float64Array(this.discrete ? 0 : numEnvs * this.actDim);
    this.actionViews = [];
    if (!this.discrete) {
      for (let i = 0; i < numEnvs; i++) {
        this.actionViews.push(this.actionBuffer.subarray(i * this.actDim, (i + 1) * this.actDim));
      }
    }
    this.result = {
      obs: this.observations,
      rewards: this.rewards,
      terminated: this.terminated,
      truncated: this.truncated,
      infos: this.infoList,
      finalObs: this.finalObservations,
      finalInfos: this.finalInfoList,
    };
  }

  /** The info objects of the last reset or step, one per copy. */
  get infos(): readonly Info[] {
    return this.infoList;
  }

  /** finalInfos[i]: the info of copy i's final step if its episode ended on the last step, else null. */
  get finalInfos(): readonly (Info | null)[] {
    return this.finalInfoList;
  }

  reset(opts: VectorResetOptions = {}): VectorResetResult {
    this.checkOpen();
    const seeds = this.seedList(opts.seed);
    for (let i = 0; i < this.numEnvs; i++) {
      const resetOpts: ResetOptions = {};
      if (seeds !== null) resetOpts.seed = seeds[i];
      if (opts.options !== undefined) resetOpts.options = opts.options;
      const r = this.envs[i].reset(resetOpts);
      this.observations.set(r.obs, i * this.obsDim);
      this.infoList[i] = r.info;
      this.finalInfoList[i] = null;
    }
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
    this.started = true;
    return { obs: this.observations, infos: this.infoList };
  }

  step(actions: VectorActions): VectorStepResult {
    this.checkOpen();
    if (!this.started) throw new EnvStateError('SyncVectorEnv: call reset() before step()');
    const n = this.numEnvs;
    const obsDim = this.obsDim;
    const nested = this.checkActions(actions);
    for (let i = 0; i < n; i++) {
      let action: Action;
      if (this.discrete) {
        action = nested
          ? (actions as ReadonlyArray<ArrayLike<number>>)[i][0]
          : (actions as ArrayLike<number>)[i];
      } else {
        const view = this.actionViews[i];
        const d = this.actDim;
        if (nested) {
          const a = (actions as ReadonlyArray<ArrayLike<number>>)[i];
          for (let k = 0; k < d; k++) view[k] = a[k];
        } else {
          const a = actions as ArrayLike<number>;
          for (let k = 0; k < d; k++) view[k] = a[i * d + k];
        }
        action = view;
      }
      const env = this.envs[i];
      const r = env.step(action);
      this.rewards[i] = r.reward;
      this.terminated[i] = r.terminated ? 1 : 0;
      this.truncated[i] = r.truncated ? 1 : 0;
      if (r.terminated || r.truncated) {
        copyRow(r.obs, this.finalObservations, i * obsDim, obsDim);
        this.finalInfoList[i] = r.info;
        const reset = env.reset();
        copyRow(reset.obs, this.observations, i * obsDim, obsDim);
        this.infoList[i] = reset.info;
      } else {
        copyRow(r.obs, this.observations, i * obsDim, obsDim);
        this.infoList[i] = r.info;
        this.finalInfoList[i] = null;
      }
    }
    return this.result;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const e of this.envs) e.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new EnvStateError('SyncVectorEnv: the vector env is closed');
  }

  private seedList(seed: number | readonly number[] | undefined): readonly number[] | null {
    if (seed === undefined) return null;
    if (typeof seed === 'number') {
      if (!Number.isSafeInteger(seed) || seed < 0 || !Number.isSafeInteger(seed + this.numEnvs - 1)) {
        throw new ValidationError(`seed must be a non-negative integer, got ${seed}`, { field: 'seed' });
      }
      const out: number[] = [];
      for (let i = 0; i < this.numEnvs; i++) out.push(seed + i);
      return out;
    }
    if (seed.length !== this.numEnvs) {
      throw new ValidationError(`expected ${this.numEnvs} seeds (one per copy), got ${seed.length}`, {
        field: 'seed',
      });
    }
    return seed;
  }

  /** Validates the batch's length and returns whether it is given as N nested arrays. */
  private checkActions(actions: VectorActions): boolean {
    const n = this.numEnvs;
    if (actions === null || typeof actions !== 'object' || typeof actions.length !== 'number') {
      throw new ValidationError('actions must be an array of one action per copy', { field: 'actions' });
    }
    const nested = actions.length > 0 && typeof actions[0] === 'object' && actions[0] !== null;
    const expected = nested || this.discrete ? n : n * this.actDim;
    if (actions.length !== expected) {
      throw new ValidationError(
        `expected ${nested || this.discrete ? `${n} actions` : `${n} × ${this.actDim} = ${expected} action values`}, got ${actions.length}`,
        { field: 'actions' },
      );
    }
    return nested;
  }
}

/** A vector env of `numEnvs` copies of `make(envId, options)` (Gymnasium's `make_vec(..., vectorization_mode="sync")`). */
export function makeVec(envId: string, numEnvs: number, options?: MakeOptions): SyncVectorEnv {
  return new SyncVectorEnv(envId, numEnvs, options);
}

function rowViews(buffer: Float32Array, rows: number, width: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let i = 0; i < rows; i++) out.push(buffer.subarray(i * width, (i + 1) * width));
  return out;
}

/** Copies one observation into its row (a plain loop: faster than `set` for a few elements). */
function copyRow(src: Float32Array, dst: Float32Array, offset: number, n: number): void {
  if (src.length !== n) {
    throw new ValidationError(
      `an environment copy returned ${src.length} observation values, expected ${n}`,
      {
        field: 'obs',
      },
    );
  }
  for (let k = 0; k < n; k++) dst[offset + k] = src[k];
}

function sameActionSpace(a: ActionSpace, b: ActionSpace): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

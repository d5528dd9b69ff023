/**
 * RewardDelay: each step's reward is withheld and released a random number of steps later
 * (1 to 3 by default, uniform), to test an agent's credit assignment under delayed feedback.
 * When an episode ends (terminated or truncated), every reward still pending is released on
 * that final step, so the episode's return is unchanged: the rewards are only moved later
 * within the episode, never dropped or duplicated. (Moving rewards changes the order in which
 * a caller adds them up, so a return of non-integer rewards can differ from the undelayed one
 * by floating-point rounding; integer rewards are preserved exactly.)
 *
 * Mechanics: a ring of `maxDelay + 1` pending sums. At step t the inner reward is added to
 * slot (t + d) with d drawn by `integers(minDelay, maxDelay + 1)`, then slot t is released
 * and cleared. A delay of d therefore releases step t's reward at step t + d.
 *
 * Delay stream: a generator of its own, reseeded by `reset({ seed: s })` from numpy's
 * `SeedSequence(s, spawn_key=(DELAY_SPAWN_KEY,))` (a child of the episode seed's sequence,
 * independent of the environment's own stream and of the observation-noise stream); a reset
 * without a seed continues it; before any seeded reset it starts from fresh OS entropy.
 *
 * The inner step's result object is updated in place, so the wrapper allocates nothing.
 */
import { ValidationError } from '../../errors.js';
import { freshEntropy, Generator, SeedSequence } from '../../rng/index.js';
import type { Action, Env, ResetOptions, ResetResult, StepResult } from '../core.js';
import { Wrapper } from './wrapper.js';

/** Spawn key of the delay stream (the ASCII bytes "RDLY"). */
export const DELAY_SPAWN_KEY = 0x52444c59;

export interface RewardDelayOptions {
  /** Shortest delay in steps (default 1). */
  minDelay?: number;
  /** Longest delay in steps (default 3). */
  maxDelay?: number;
}

/** Longest delay accepted; a bound keeps the pending ring small. */
const MAX_DELAY_LIMIT = 1000;

export class RewardDelay extends Wrapper {
  readonly minDelay: number;
  readonly maxDelay: number;
  private rng: Generator | null = null;
  /** pending[k] is the reward to release at the step whose index is ≡ k (mod pending.length). */
  private readonly pending: Float64Array;
  private t = 0;

  constructor(env: Env, options: RewardDelayOptions = {}) {
    super(env);
    const minDelay = options.minDelay ?? 1;
    const maxDelay = options.maxDelay ?? 3;
    for (const [name, v] of [
      ['minDelay', minDelay],
      ['maxDelay', maxDelay],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 0 || v > MAX_DELAY_LIMIT) {
        throw new ValidationError(
          `rewardDelay.${name} must be an integer in [0, ${MAX_DELAY_LIMIT}], got ${v}`,
          {
            field: `rewardDelay.${name}`,
          },
        );
      }
    }
    if (minDelay > maxDelay) {
      throw new ValidationError(`rewardDelay.minDelay (${minDelay}) must not exceed maxDelay (${maxDelay})`, {
        field: 'rewardDelay.minDelay',
      });
    }
    this.minDelay = minDelay;
    this.maxDelay = maxDelay;
    this.pending = new Float64Array(maxDelay + 1);
  }

  /** The generator the delays are drawn from. */
  get delayRandom(): Generator {
    this.rng ??= new Generator(new SeedSequence(freshEntropy(), [DELAY_SPAWN_KEY]));
    return this.rng;
  }

  /** Total reward received from the inner environment but not yet released in this episode. */
  get pendingReward(): number {
    let s = 0;
    for (let k = 0; k < this.pending.length; k++) s += this.pending[k];
    return s;
  }

  override reset(opts?: ResetOptions): ResetResult {
    const result = this.env.reset(opts);
    if (opts?.seed !== undefined) this.rng = new Generator(new SeedSequence(opts.seed, [DELAY_SPAWN_KEY]));
    this.pending.fill(0);
    this.t = 0;
    return result;
  }

  override step(action: Action): StepResult {
    const result = this.env.step(action);
    const pending = this.pending;
    const n = pending.length;
    const d = this.delayRandom.integers(this.minDelay, this.maxDelay + 1);
    pending[(this.t + d) % n] += result.reward;
    const now = this.t % n;
    let released = pending[now];
    pending[now] = 0;
    this.t += 1;
    if (result.terminated || result.truncated) {
      // Flush in release order (earliest due first).
      for (let k = 1; k < n; k++) {
        const slot = (now + k) % n;
        released += pending[slot];
        pending[slot] = 0;
      }
    }
    result.reward = released;
    return result;
  }
}

/**
 * TimeLimit, as Gymnasium 1.x `gymnasium.wrappers.TimeLimit` (gymnasium/wrappers/common.py):
 * counts the steps since the last reset and sets `truncated = true` on the step at which
 * the count reaches `maxEpisodeSteps`.
 *
 * As in Gymnasium, `terminated` is passed through untouched: when the MDP terminates on
 * exactly the last allowed step, both flags are true (a learner must treat that step as
 * terminal, i.e. not bootstrap). Stepping on past the limit without a reset is not an error
 * (Gymnasium allows it); every further step stays truncated. The spec this wrapper reports
 * is the inner one with `maxEpisodeSteps` replaced by this wrapper's limit.
 *
 * The inner step's result object is updated in place, so the wrapper allocates nothing.
 */
import { ValidationError } from '../../errors.js';
import type { Action, Env, EnvSpec, ResetOptions, ResetResult, StepResult } from '../core.js';
import { Wrapper } from './wrapper.js';

export class TimeLimit extends Wrapper {
  readonly maxEpisodeSteps: number;
  /** Steps since the last reset; -1 before the first reset (Gymnasium's `_elapsed_steps = None`). */
  private elapsed = -1;
  private specSource: EnvSpec | null = null;
  private specCache: EnvSpec | null = null;

  constructor(env: Env, maxEpisodeSteps: number) {
    super(env);
    if (!Number.isSafeInteger(maxEpisodeSteps) || maxEpisodeSteps <= 0) {
      throw new ValidationError(`maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`, {
        field: 'maxEpisodeSteps',
      });
    }
    this.maxEpisodeSteps = maxEpisodeSteps;
  }

  /** Steps taken since the last reset (Gymnasium's `_elapsed_steps`), or -1 before any reset. */
  get elapsedSteps(): number {
    return this.elapsed;
  }

  override get spec(): EnvSpec | null {
    const inner = this.env.spec;
    if (inner === null) return null;
    if (inner !== this.specSource) {
      this.specSource = inner;
      this.specCache = Object.freeze({ ...inner, maxEpisodeSteps: this.maxEpisodeSteps });
    }
    return this.specCache;
  }

  override reset(opts?: ResetOptions): ResetResult {
    this.elapsed = 0;
    return this.env.reset(opts);
  }

  override step(action: Action): StepResult {
    const result = this.env.step(action);
    this.elapsed += 1;
    if (this.elapsed >= this.maxEpisodeSteps) result.truncated = true;
    return result;
  }
}

/**
 * The base of every wrapper, as Gymnasium's `gymnasium.Wrapper` (gymnasium/core.py): it
 * holds an inner environment and forwards everything to it (spaces, spec, seeded
 * generator, reset, step, close). A wrapper overrides only what it changes.
 *
 * Result objects: every environment returns a fresh result object (and observation array)
 * that belongs to the caller, so a wrapper that changes a step's result updates the inner
 * result in place instead of building another one; wrapping then allocates nothing beyond
 * what the inner environment returns.
 */

import type { Generator } from '../../rng/index.js';
import type { Action, ActionSpace, Env, EnvSpec, ResetOptions, ResetResult, StepResult } from '../core.js';
import type { Box } from '../spaces.js';

export class Wrapper implements Env {
  constructor(readonly env: Env) {}

  get observationSpace(): Box {
    return this.env.observationSpace;
  }

  get actionSpace(): ActionSpace {
    return this.env.actionSpace;
  }

  get spec(): EnvSpec | null {
    return this.env.spec;
  }

  get npRandom(): Generator {
    return this.env.npRandom;
  }

  /** The innermost, unwrapped environment (Gymnasium's `env.unwrapped`). */
  get unwrapped(): Env {
    return this.env instanceof Wrapper ? this.env.unwrapped : this.env;
  }

  reset(opts?: ResetOptions): ResetResult {
    return this.env.reset(opts);
  }

  step(action: Action): StepResult {
    return this.env.step(action);
  }

  close(): void {
    this.env.close();
  }

  /** The outermost wrapper of the given class in this chain, or null (useful to reach EpisodeStatistics). */
  find<W extends Wrapper>(cls: abstract new (...args: never[]) => W): W | null {
    let e: Env = this;
    while (e instanceof Wrapper) {
      if (e instanceof cls) return e;
      e = e.env;
    }
    return null;
  }
}

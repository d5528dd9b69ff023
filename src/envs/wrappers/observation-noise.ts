/**
 * ObservationNoise: adds independent Gaussian noise N(0, sigma²) to every element of every
 * observation (those of reset and of step), to test an agent's robustness to sensor noise.
 *
 * Noise stream. The noise comes from a generator of its own, never from the environment's
 * `npRandom`, so that the environment's dynamics and initial states are exactly those of the
 * unwrapped environment under the same seed. `reset({ seed: s })` reseeds it with numpy's
 * `SeedSequence(s, spawn_key=(NOISE_SPAWN_KEY,))` — a child of the episode seed's sequence
 * (as `SeedSequence(s).spawn()` makes children), independent of the environment's own
 * stream `SeedSequence(s)` — so a seeded episode is reproducible, noise included, and the
 * same draws can be regenerated in Python with `np.random.default_rng(SeedSequence(s,
 * spawn_key=(0x4f42534e,))).standard_normal()`. A reset without a seed continues the stream;
 * before the first seeded reset the stream starts from fresh OS entropy.
 *
 * Precision: the noise is added in float64 to the float32 observation and the sum is rounded
 * to float32, so observations stay float32 as Gymnasium's are. The noise is written into the
 * observation array the inner environment returned (which belongs to the caller), so the
 * wrapper allocates nothing per step.
 */
import { ValidationError } from '../../errors.js';
import { freshEntropy, Generator, SeedSequence } from '../../rng/index.js';
import type { Action, Env, ResetOptions, ResetResult, StepResult } from '../core.js';
import { Wrapper } from './wrapper.js';

/** Spawn key of the noise stream (the ASCII bytes "OBSN"). */
export const NOISE_SPAWN_KEY = 0x4f42534e;

export class ObservationNoise extends Wrapper {
  readonly sigma: number;
  private rng: Generator | null = null;

  constructor(env: Env, sigma: number) {
    super(env);
    if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0) {
      throw new ValidationError(
        `observation noise sigma must be a finite number >= 0, got ${String(sigma)}`,
        {
          field: 'observationNoise',
        },
      );
    }
    this.sigma = sigma;
  }

  /** The generator the noise is drawn from. */
  get noiseRandom(): Generator {
    this.rng ??= new Generator(new SeedSequence(freshEntropy(), [NOISE_SPAWN_KEY]));
    return this.rng;
  }

  override reset(opts?: ResetOptions): ResetResult {
    const result = this.env.reset(opts);
    if (opts?.seed !== undefined) this.rng = new Generator(new SeedSequence(opts.seed, [NOISE_SPAWN_KEY]));
    this.addNoise(result.obs);
    return result;
  }

  override step(action: Action): StepResult {
    const result = this.env.step(action);
    this.addNoise(result.obs);
    return result;
  }

  private addNoise(obs: Float32Array): void {
    const sigma = this.sigma;
    if (sigma === 0) return;
    const rng = this.noiseRandom;
    for (let i = 0; i < obs.length; i++) obs[i] = obs[i] + sigma * rng.standardNormal();
  }
}

/**
 * Exploration noise for deterministic-policy agents (DDPG), as Stable-Baselines3's
 * `NormalActionNoise` and `OrnsteinUhlenbeckActionNoise` (Uhlenbeck & Ornstein 1930;
 * used by Lillicrap et al. 2016, "Continuous control with deep reinforcement learning").
 * The noise lives in the policy's [-1, 1] action scale.
 */
import type { Generator } from '../rng/index.js';
import type { ActionNoiseSpec } from './hyperparameters.js';

export interface ActionNoise {
  /** Adds one noise sample per dimension to `out` in place. */
  addTo(out: Float32Array | Float64Array, offset: number, rng: Generator): void;
  reset(): void;
}

export class NormalActionNoise implements ActionNoise {
  constructor(
    readonly dim: number,
    readonly sigma: number,
  ) {}

  addTo(out: Float32Array | Float64Array, offset: number, rng: Generator): void {
    for (let k = 0; k < this.dim; k++) out[offset + k] += this.sigma * rng.standardNormal();
  }

  reset(): void {}
}

/** x_{t+1} = x_t + θ(μ − x_t)dt + σ√dt·N(0,1), μ = 0. */
export class OrnsteinUhlenbeckActionNoise implements ActionNoise {
  private readonly x: Float64Array;

  constructor(
    readonly dim: number,
    readonly sigma: number,
    readonly theta: number,
    readonly dt: number,
  ) {
    this.x = new Float64Array(dim);
  }

  addTo(out: Float32Array | Float64Array, offset: number, rng: Generator): void {
    const sq = Math.sqrt(this.dt);
    for (let k = 0; k < this.dim; k++) {
      this.x[k] = this.x[k] - this.theta * this.x[k] * this.dt + this.sigma * sq * rng.standardNormal();
      out[offset + k] += this.x[k];
    }
  }

  reset(): void {
    this.x.fill(0);
  }
}

export function createActionNoise(spec: ActionNoiseSpec | null, dim: number): ActionNoise | null {
  if (spec === null) return null;
  return spec.type === 'normal'
    ? new NormalActionNoise(dim, spec.sigma)
    : new OrnsteinUhlenbeckActionNoise(dim, spec.sigma, spec.theta, spec.dt);
}

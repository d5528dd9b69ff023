/**
 * Experience storage for the four algorithms, laid out as flat typed arrays so that
 * collecting a step or sampling a minibatch never allocates.
 *
 * - RolloutBuffer (PPO, A2C): n_steps × n_envs transitions, then Generalised Advantage
 *   Estimation (Schulman et al. 2016, "High-Dimensional Continuous Control Using GAE"),
 *   computed backwards exactly as Stable-Baselines3's `RolloutBuffer.compute_returns_and_advantage`.
 * - ReplayBuffer (DQN, DDPG): a ring of `capacity` transitions; `dones` holds termination
 *   only, so a time-limit truncation still bootstraps (SB3's `handle_timeout_termination`).
 *   Minibatches are drawn by the off-policy loop (`sampleIndices` + `gatherRows`), straight
 *   into the networks' input buffers.
 */
import type { Generator } from '../rng/index.js';

export class RolloutBuffer {
  readonly size: number;
  readonly obs: Float32Array;
  /** Actions: one index per step (discrete) or actDim floats (continuous). */
  readonly actions: Float32Array;
  readonly rewards: Float64Array;
  /** 1 where the observation at this step is the first of an episode. */
  readonly episodeStarts: Uint8Array;
  readonly values: Float64Array;
  readonly logProbs: Float64Array;
  readonly advantages: Float64Array;
  readonly returns: Float64Array;
  pos = 0;

  constructor(
    readonly nSteps: number,
    readonly nEnvs: number,
    readonly obsDim: number,
    readonly actDim: number,
  ) {
    this.size = nSteps * nEnvs;
    this.obs = new Float32Array(this.size * obsDim);
    this.actions = new Float32Array(this.size * actDim);
    this.rewards = new Float64Array(this.size);
    this.episodeStarts = new Uint8Array(this.size);
    this.values = new Float64Array(this.size);
    this.logProbs = new Float64Array(this.size);
    this.advantages = new Float64Array(this.size);
    this.returns = new Float64Array(this.size);
  }

  reset(): void {
    this.pos = 0;
  }

  get full(): boolean {
    return this.pos === this.nSteps;
  }

  /**
   * Stores one vectorised step: `obs` is nEnvs × obsDim, `actions` nEnvs × actDim.
   * Row index = step * nEnvs + env (SB3's [n_steps, n_envs] order).
   */
  add(
    obs: Float32Array,
    actions: ArrayLike<number>,
    rewards: ArrayLike<number>,
    episodeStarts: ArrayLike<number>,
    values: ArrayLike<number>,
    logProbs: ArrayLike<number>,
  ): void {
    if (this.pos >= this.nSteps) throw new Error('RolloutBuffer is full; call reset() first');
    const base = this.pos * this.nEnvs;
    this.obs.set(obs.subarray(0, this.nEnvs * this.obsDim), base * this.obsDim);
    for (let i = 0; i < this.nEnvs * this.actDim; i++) this.actions[base * this.actDim + i] = actions[i];
    for (let e = 0; e < this.nEnvs; e++) {
      this.rewards[base + e] = rewards[e];
      this.episodeStarts[base + e] = episodeStarts[e] ? 1 : 0;
      this.values[base + e] = values[e];
      this.logProbs[base + e] = logProbs[e];
    }
    this.pos++;
  }

  /**
   * GAE(λ) over the filled rollout. `lastValues` are V(s_T) of the observations after the
   * last step and `dones` whether each copy's episode ended at that last step.
   * δ_t = r_t + γ V(s_{t+1}) (1 − done_{t+1}) − V(s_t);  A_t = δ_t + γλ (1 − done_{t+1}) A_{t+1};
   * returns = A + V (the TD(λ) target of the value function).
   */
  computeReturnsAndAdvantage(
    lastValues: ArrayLike<number>,
    dones: ArrayLike<number>,
    gamma: number,
    gaeLambda: number,
  ): void {
    const n = this.nEnvs;
    for (let e = 0; e < n; e++) {
      let lastGae = 0;
      for (let step = this.pos - 1; step >= 0; step--) {
        const i = step * n + e;
        let nextNonTerminal: number;
        let nextValue: number;
        if (step === this.pos - 1) {
          nextNonTerminal = dones[e] ? 0 : 1;
          nextValue = lastValues[e];
        } else {
          nextNonTerminal = 1 - this.episodeStarts[i + n];
          nextValue = this.values[i + n];
        }
        const delta = this.rewards[i] + gamma * nextValue * nextNonTerminal - this.values[i];
        lastGae = delta + gamma * gaeLambda * nextNonTerminal * lastGae;
        this.advantages[i] = lastGae;
        this.returns[i] = lastGae + this.values[i];
      }
    }
  }
}

/** Fisher–Yates permutation of 0..n-1 into `out`, drawing from the seeded generator. */
export function permutation(out: Int32Array, n: number, rng: Generator): Int32Array {
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.integers(0, i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

export class ReplayBuffer {
  readonly obs: Float32Array;
  readonly nextObs: Float32Array;
  readonly actions: Float32Array;
  readonly rewards: Float32Array;
  /** 1 when the transition terminated the MDP (not on time-limit truncation). */
  readonly dones: Uint8Array;
  private pos = 0;
  private filled = 0;

  constructor(
    readonly capacity: number,
    readonly obsDim: number,
    readonly actDim: number,
  ) {
    this.obs = new Float32Array(capacity * obsDim);
    this.nextObs = new Float32Array(capacity * obsDim);
    this.actions = new Float32Array(capacity * actDim);
    this.rewards = new Float32Array(capacity);
    this.dones = new Uint8Array(capacity);
  }

  get size(): number {
    return this.filled;
  }

  /** Adds one transition; `obs`/`nextObs` are read from `offset` × obsDim. */
  add(
    obs: Float32Array,
    obsOffset: number,
    nextObs: Float32Array,
    nextObsOffset: number,
    action: ArrayLike<number>,
    actionOffset: number,
    reward: number,
    terminated: boolean,
  ): void {
    const p = this.pos;
    const d = this.obsDim;
    for (let k = 0; k < d; k++) {
      this.obs[p * d + k] = obs[obsOffset * d + k];
      this.nextObs[p * d + k] = nextObs[nextObsOffset * d + k];
    }
    const a = this.actDim;
    for (let k = 0; k < a; k++) this.actions[p * a + k] = action[actionOffset * a + k];
    this.rewards[p] = reward;
    this.dones[p] = terminated ? 1 : 0;
    this.pos = (p + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
  }
}

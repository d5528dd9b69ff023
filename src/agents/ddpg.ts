/**
 * Deep Deterministic Policy Gradient (Lillicrap et al. 2016, "Continuous control with deep
 * reinforcement learning"), as Stable-Baselines3 2.x's `DDPG`: its `TD3` (Fujimoto et al.
 * 2018) with one critic, `policy_delay` 1 and no target-policy smoothing noise
 * (ddpg/ddpg.py, td3/td3.py, td3/policies.py):
 *
 * - Actor μ(s): MLP obs → hidden (ReLU) → action_dim with a final tanh, so actions live in
 *   [-1, 1] and are rescaled to the Box bounds (SB3's `unscale_action`):
 *   a_env = low + ½(a + 1)(high − low). Critic Q(s, a): MLP on [obs, a in [-1, 1]] → 1.
 *   PyTorch's default Linear initialisation; target networks μ', Q' start as copies.
 * - Collection: before `learning_starts`, uniform random actions from the action space; then
 *   μ(s). Exploration noise (Gaussian or Ornstein-Uhlenbeck, one process per environment
 *   copy) is added in the [-1, 1] scale and clipped; the buffer stores that scaled action.
 * - Update, per gradient step (TD3.train with policy_delay 1):
 *     y = r + (1 − d)·γ·Q'(s', clip(μ'(s'), −1, 1));  critic loss = mean (Q(s, a) − y)²;
 *     actor loss = −mean Q(s, μ(s)) with the critic just updated, back-propagated through the
 *     critic's action input only (the critic's own gradients are not needed for it);
 *     Adam on each; then θ' ← (1 − τ)θ' + τθ for both targets.
 *
 * `act` is deterministic whatever `deterministic` says, as SB3's TD3 `predict`: exploration
 * noise belongs to training collection, not to the policy.
 */

import { Box } from '../envs/index.js';
import { ValidationError } from '../errors.js';
import { mseLoss } from '../nn/losses.js';
import { Mlp } from '../nn/mlp.js';
import { Adam, hardUpdate, softUpdate } from '../nn/optim.js';
import { expectedLayout, type Sb3LayoutEntry } from '../nn/sb3-layout.js';
import type { StateDict } from '../nn/state-dict.js';
import { Arena, type Param } from '../nn/tensor.js';
import type { Generator } from '../rng/index.js';
import { type ActionNoise, createActionNoise } from './action-noise.js';
import type { ReplayBuffer } from './buffers.js';
import { type DdpgHyperparameters, scheduleValue } from './hyperparameters.js';
import {
  gatherRows,
  type LossTerms,
  type OffPolicyAgentOptions,
  type OffPolicyAlgorithm,
  paramsByName,
  readStateDict,
  runOffPolicy,
  STREAM,
  sampleIndices,
  seedStreams,
  writeStateDict,
} from './off-policy.js';
import { openTraining } from './train-options.js';
import type { ActOptions, Agent, AgentSpaces, TrainOptions, TrainResult } from './types.js';

export type { DdpgHyperparameters } from './hyperparameters.js';

/** Throws unless DDPG can act in these spaces (a flat Box observation, a bounded Box action). */
function checkSpaces(spaces: AgentSpaces, where = ''): { obsDim: number; actions: Box } {
  const { observationSpace, actionSpace } = spaces;
  if (!(actionSpace instanceof Box)) {
    throw new ValidationError(
      `agent_type ddpg cannot act in the action space ${String(actionSpace)}${where}: DDPG needs a continuous (Box) action space (use dqn, ppo or a2c for Discrete actions)`,
      { field: 'agent_type', agent_type: 'ddpg', action_space: String(actionSpace) },
    );
  }
  if (!actionSpace.isBounded('both')) {
    throw new ValidationError(
      `agent_type ddpg needs finite action bounds to rescale its tanh output, got ${String(actionSpace)}${where}`,
      { field: 'agent_type', agent_type: 'ddpg', action_space: String(actionSpace) },
    );
  }
  if (!(observationSpace instanceof Box)) {
    throw new ValidationError(`agent_type ddpg needs a Box observation space${where}`, {
      field: 'agent_type',
      agent_type: 'ddpg',
    });
  }
  return { obsDim: observationSpace.size, actions: actionSpace };
}

export class DdpgAgent implements Agent<'ddpg'> {
  readonly agentType = 'ddpg' as const;
  readonly hyperparameters: DdpgHyperparameters;
  readonly spaces: AgentSpaces;
  readonly arena: Arena;
  /** μ: SB3's `actor.mu.*`. */
  readonly actor: Mlp;
  /** μ': SB3's `actor_target.mu.*`. */
  readonly actorTarget: Mlp;
  /** Q: SB3's `critic.qf0.*`, input [obs, action in [-1, 1]]. */
  readonly critic: Mlp;
  /** Q': SB3's `critic_target.qf0.*`. */
  readonly criticTarget: Mlp;
  readonly obsDim: number;
  readonly actDim: number;
  /** Action bounds (float32, as the Box stores them). */
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly #layout: Sb3LayoutEntry[];
  readonly #params: Map<string, Param>;

  constructor(hyperparameters: DdpgHyperparameters, spaces: AgentSpaces, options: OffPolicyAgentOptions) {
    const { obsDim, actions } = checkSpaces(spaces);
    this.hyperparameters = hyperparameters;
    this.spaces = spaces;
    this.obsDim = obsDim;
    this.actDim = actions.size;
    this.low = actions.low;
    this.high = actions.high;
    const init = seedStreams(options.seed)[STREAM.init];
    const hidden = hyperparameters.net_arch;
    const activation = hyperparameters.activation;
    const arena = new Arena();
    this.arena = arena;
    const capacity = hyperparameters.batch_size;
    const actorSizes = [obsDim, ...hidden, this.actDim];
    const criticSizes = [obsDim + this.actDim, ...hidden, 1];
    const actor = {
      sizes: actorSizes,
      activation,
      outputActivation: 'tanh',
      arena,
      batchCapacity: capacity,
    } as const;
    const critic = { sizes: criticSizes, activation, arena, batchCapacity: capacity } as const;
    // TD3Policy._build: actor, then its target loaded from it; critic, then its target.
    this.actor = new Mlp({ ...actor, prefix: 'actor.mu', rng: init });
    this.actorTarget = new Mlp({ ...actor, prefix: 'actor_target.mu', init: 'none' });
    this.critic = new Mlp({ ...critic, prefix: 'critic.qf0', rng: init });
    this.criticTarget = new Mlp({ ...critic, prefix: 'critic_target.qf0', init: 'none' });
    hardUpdate(this.actorTarget.params(), this.actor.params());
    hardUpdate(this.criticTarget.params(), this.critic.params());
    this.#layout = expectedLayout('ddpg', {
      obsDim,
      action: { kind: 'box', dim: this.actDim },
      netArch: hidden,
    });
    this.#params = paramsByName(this.actor, this.actorTarget, this.critic, this.criticTarget);
    if (options.stateDict !== undefined) this.loadStateDict(options.stateDict);
  }

  /** The action for one observation, in the Box bounds. `options` is accepted for the interface; see the header. */
  act(obs: Float32Array, _options: ActOptions = {}): Float32Array {
    const out = new Float32Array(this.actDim);
    this.actBatch(obs, 1, out);
    return out;
  }

  actBatch(obs: Float32Array, batch: number, out: Float32Array, _options: ActOptions = {}): void {
    if (!(obs instanceof Float32Array) || obs.length < batch * this.obsDim) {
      throw new ValidationError(
        `obs must be a Float32Array of ${batch} × ${this.obsDim} values, got ${obs?.length ?? 'none'}`,
        { field: 'obs' },
      );
    }
    const m = this.actDim;
    if (out.length < batch * m) {
      throw new ValidationError(`out has ${out.length} elements, the batch needs ${batch} × ${m}`, {
        field: 'out',
      });
    }
    const a = this.actor.predict(obs, batch);
    for (let b = 0; b < batch; b++) {
      for (let k = 0; k < m; k++) out[b * m + k] = this.unscale(a[b * m + k], k);
    }
  }

  /**
   * SB3's `unscale_action` in float32, as numpy computes it on the float32 policy output:
   * low + (0.5·(a + 1))·(high − low).
   */
  unscale(a: number, k: number): number {
    const f = Math.fround;
    const low = this.low[k];
    return f(low + f(f(0.5 * f(a + 1)) * f(this.high[k] - low)));
  }

  /** SB3's `scale_action` in float32: 2·((x − low)/(high − low)) − 1. */
  scale(x: number, k: number): number {
    const f = Math.fround;
    const low = this.low[k];
    return f(f(2 * f(f(x - low) / f(this.high[k] - low))) - 1);
  }

  stateDict(): StateDict {
    return writeStateDict(this.#layout, this.#params);
  }

  loadStateDict(stateDict: StateDict): void {
    readStateDict(stateDict, this.#layout, this.#params);
  }
}

/** The training side of DDPG, plugged into the shared off-policy loop. */
export class DdpgLearner implements OffPolicyAlgorithm {
  readonly bufferActionDim: number;
  readonly envActionDim: number;
  readonly agent: DdpgAgent;
  readonly actorOptimizer: Adam;
  readonly criticOptimizer: Adam;
  readonly #hp: DdpgHyperparameters;
  readonly #explore: Generator;
  readonly #replayRng: Generator;
  /** One noise process per environment copy (SB3's VectorizedActionNoise); empty without noise. */
  readonly #noise: ActionNoise[] = [];
  #scaled: Float64Array = new Float64Array(0);
  // Minibatch buffers, reused by every gradient step.
  readonly #batch: number;
  readonly #idx: Int32Array;
  readonly #actions: Float32Array;
  readonly #target: Float32Array;

  constructor(agent: DdpgAgent, seed: number, nEnvs = agent.hyperparameters.n_envs) {
    this.agent = agent;
    const hp = agent.hyperparameters;
    this.#hp = hp;
    this.bufferActionDim = agent.actDim;
    this.envActionDim = agent.actDim;
    const streams = seedStreams(seed);
    this.#explore = streams[STREAM.explore];
    this.#replayRng = streams[STREAM.replay];
    const lr = scheduleValue(hp.learning_rate, 1);
    // TD3Policy: one Adam per network with torch's defaults (eps 1e-8).
    this.actorOptimizer = new Adam(agent.actor.params(), { lr });
    this.criticOptimizer = new Adam(agent.critic.params(), { lr });
    for (let i = 0; i < nEnvs && hp.action_noise !== null; i++) {
      this.#noise.push(createActionNoise(hp.action_noise, agent.actDim)!);
    }
    this.#scaled = new Float64Array(nEnvs * agent.actDim);
    const b = hp.batch_size;
    this.#batch = b;
    this.#idx = new Int32Array(b);
    this.#actions = new Float32Array(b * agent.actDim);
    this.#target = new Float32Array(b);
  }

  sampleActions(
    obs: Float32Array,
    numTimesteps: number,
    envActions: Float64Array,
    bufferActions: Float32Array,
  ): void {
    const agent = this.agent;
    const m = agent.actDim;
    const nEnvs = envActions.length / m;
    const scaled = this.#scaled;
    const rng = this.#explore;
    if (numTimesteps < this.#hp.learning_starts) {
      // Warm-up: the Box's uniform sample (float32), rescaled to [-1, 1] (SB3's `_sample_action`).
      for (let i = 0; i < nEnvs; i++) {
        for (let k = 0; k < m; k++) {
          const u = Math.fround(rng.uniform(agent.low[k], agent.high[k]));
          scaled[i * m + k] = agent.scale(u, k);
        }
      }
    } else {
      // SB3 goes through predict (unscaled) and scale_action again; keep that rounding.
      const a = agent.actor.predict(obs, nEnvs);
      for (let j = 0; j < nEnvs * m; j++) {
        const k = j % m;
        scaled[j] = agent.scale(agent.unscale(a[j], k), k);
      }
    }
    if (this.#noise.length > 0) {
      for (let i = 0; i < nEnvs; i++) {
        this.#noise[i].addTo(scaled, i * m, rng);
        for (let k = 0; k < m; k++) {
          const j = i * m + k;
          scaled[j] = Math.min(1, Math.max(-1, scaled[j]));
        }
      }
    }
    for (let j = 0; j < nEnvs * m; j++) {
      const k = j % m;
      const low = agent.low[k];
      bufferActions[j] = scaled[j];
      envActions[j] = low + 0.5 * (scaled[j] + 1) * (agent.high[k] - low);
    }
  }

  onStep(): void {}

  onEpisodeEnd(envIndex: number): void {
    if (this.#noise.length > 0) this.#noise[envIndex].reset();
  }

  train(replay: ReplayBuffer, gradientSteps: number, progressRemaining: number): LossTerms {
    const lr = scheduleValue(this.#hp.learning_rate, progressRemaining);
    const agent = this.agent;
    const tau = this.#hp.tau;
    let criticSum = 0;
    let actorSum = 0;
    for (let g = 0; g < gradientSteps; g++) {
      sampleIndices(this.#replayRng, replay.size, this.#idx, this.#batch);
      this.loadBatch(replay, this.#idx);
      criticSum += this.criticLossAndGradient();
      this.criticOptimizer.step(lr);
      actorSum += this.actorLossAndGradient();
      this.actorOptimizer.step(lr);
      softUpdate(agent.criticTarget.params(), agent.critic.params(), tau);
      softUpdate(agent.actorTarget.params(), agent.actor.params(), tau);
    }
    const criticLoss = criticSum / gradientSteps;
    return {
      loss: criticLoss,
      critic_loss: criticLoss,
      actor_loss: actorSum / gradientSteps,
      learning_rate: lr,
    };
  }

  /**
   * Puts replay rows `idx` into the networks' inputs (s for the actor, [s, ·] for the
   * critic), keeps their actions, and computes the TD targets
   * y = r + (1 − d)·γ·Q'(s', clip(μ'(s'), −1, 1)) with the target networks, in float32 and
   * torch's operation order: ((1 − d)·γ)·Q' + r.
   */
  loadBatch(replay: ReplayBuffer, idx: Int32Array): void {
    const agent = this.agent;
    const b = this.#batch;
    const d = agent.obsDim;
    const m = agent.actDim;
    const w = d + m;
    const actorIn = agent.actorTarget.inputView(b);
    gatherRows(replay.nextObs, d, idx, b, actorIn, d, 0);
    const nextActions = agent.actorTarget.forward(actorIn, b);
    const criticIn = agent.criticTarget.inputView(b);
    gatherRows(replay.nextObs, d, idx, b, criticIn, w, 0);
    for (let r = 0; r < b; r++) {
      for (let k = 0; k < m; k++) {
        criticIn[r * w + d + k] = Math.min(1, Math.max(-1, nextActions[r * m + k]));
      }
    }
    const qNext = agent.criticTarget.forward(criticIn, b);
    const gamma = Math.fround(this.#hp.gamma);
    for (let r = 0; r < b; r++) {
      const i = idx[r];
      const notDone = Math.fround(1 - replay.dones[i]);
      this.#target[r] = Math.fround(replay.rewards[i] + Math.fround(Math.fround(notDone * gamma) * qNext[r]));
    }
    gatherRows(replay.obs, d, idx, b, agent.actor.inputView(b), d, 0);
    gatherRows(replay.obs, d, idx, b, agent.critic.inputView(b), w, 0);
    gatherRows(replay.actions, m, idx, b, this.#actions, m, 0);
  }

  /** Critic loss mean (Q(s, a) − y)² on the loaded batch; leaves dLoss/dθ_Q in the critic's gradients. */
  criticLossAndGradient(): number {
    const critic = this.agent.critic;
    const b = this.#batch;
    const d = this.agent.obsDim;
    const m = this.agent.actDim;
    const w = d + m;
    const input = critic.inputView(b);
    // The replay actions (the actor loss writes μ(s) into the same columns).
    for (let r = 0; r < b; r++) for (let k = 0; k < m; k++) input[r * w + d + k] = this.#actions[r * m + k];
    const q = critic.forward(input, b);
    const grad = critic.outputGradView(b);
    const loss = mseLoss(q, this.#target, grad);
    critic.zeroGrad();
    critic.backward(grad, b);
    return loss;
  }

  /**
   * Actor loss −mean Q(s, μ(s)) on the loaded batch; leaves dLoss/dθ_μ in the actor's
   * gradients. The chain rule goes through the critic's action input only:
   * dL/dμ(s) = ∂Q/∂a · (−1/B), taken with `backwardInput` without touching the critic's
   * parameter gradients (SB3 zeroes those before the next critic step anyway).
   */
  actorLossAndGradient(): number {
    const { actor, critic } = this.agent;
    const b = this.#batch;
    const d = this.agent.obsDim;
    const m = this.agent.actDim;
    const w = d + m;
    const mu = actor.forward(actor.inputView(b), b);
    const input = critic.inputView(b);
    for (let r = 0; r < b; r++) for (let k = 0; k < m; k++) input[r * w + d + k] = mu[r * m + k];
    const q = critic.forward(input, b);
    let sum = 0;
    for (let r = 0; r < b; r++) sum += q[r];
    const dq = critic.outputGradView(b);
    dq.fill(Math.fround(-1 / b));
    const dInput = critic.backwardInput(dq, b, false);
    const dMu = actor.outputGradView(b);
    for (let r = 0; r < b; r++) for (let k = 0; k < m; k++) dMu[r * m + k] = dInput[r * w + d + k];
    actor.zeroGrad();
    actor.backward(dMu, b);
    return -sum / b;
  }
}

/**
 * Trains a DDPG agent on `options.envId` for `options.totalTimesteps` (RL Zoo / SB3
 * semantics, see off-policy.ts), optionally starting from `initialState`.
 */
export function trainDdpg(
  hyperparameters: DdpgHyperparameters,
  options: TrainOptions,
  initialState?: StateDict,
): TrainResult<'ddpg'> & { agent: DdpgAgent } {
  const { vec, built: learner } = openTraining(options, hyperparameters.n_envs, (spaces, env) => {
    checkSpaces(spaces, ` of ${options.envId}`);
    const agent = new DdpgAgent(hyperparameters, spaces, { seed: options.seed, stateDict: initialState });
    return new DdpgLearner(agent, options.seed, env.numEnvs);
  });
  const run = runOffPolicy(learner, hyperparameters, options, vec);
  return { agent: learner.agent, ...run };
}

/**
 * Deep Q-Network (Mnih et al. 2015, "Human-level control through deep reinforcement
 * learning"), as Stable-Baselines3 2.x's `DQN` with its `MlpPolicy` (dqn/dqn.py,
 * dqn/policies.py):
 *
 * - Q-network: an MLP obs → hidden (ReLU by default) → one Q-value per action, PyTorch's
 *   default Linear initialisation; a target network Q̂ that starts as a copy.
 * - Collection: ε-greedy with ε decaying linearly from `exploration_initial_eps` to
 *   `exploration_final_eps` over the first `exploration_fraction` of training (SB3's
 *   `get_linear_fn`), uniform random actions before `learning_starts`.
 * - Update, `gradient_steps` times per training phase: minibatch (s, a, r, s', d) from the
 *   replay buffer; TD target y = r + (1 − d)·γ·max_a' Q̂(s', a'); loss = smooth L1 (Huber,
 *   β = 1) between Q(s, a) and y; Adam (eps 1e-8); gradient clipped to `max_grad_norm`.
 * - Target update every max(target_update_interval // n_envs, 1) vectorised steps, by Polyak
 *   averaging with `tau` (a copy for tau = 1), as SB3's `_on_step`.
 *
 * One deliberate difference: with several environment copies, stochastic acting draws ε
 * per copy (each copy explores independently), where SB3's `predict` draws once for the
 * whole batch. With one copy (RL Zoo's CartPole setting) the two are the same.
 */

import { Box, Discrete } from '../envs/index.js';
import { ValidationError } from '../errors.js';
import { huberLoss } from '../nn/losses.js';
import { Mlp } from '../nn/mlp.js';
import { Adam, clipGradNorm, hardUpdate, softUpdate } from '../nn/optim.js';
import { expectedLayout, type Sb3LayoutEntry } from '../nn/sb3-layout.js';
import type { StateDict } from '../nn/state-dict.js';
import { Arena, type Param } from '../nn/tensor.js';
import type { Generator } from '../rng/index.js';
import type { ReplayBuffer } from './buffers.js';
import { type DqnHyperparameters, scheduleValue } from './hyperparameters.js';
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

export type { DqnHyperparameters } from './hyperparameters.js';

/** Throws unless DQN can act in these spaces (a flat Box observation, Discrete actions). */
function checkSpaces(spaces: AgentSpaces, where = ''): { obsDim: number; actions: Discrete } {
  const { observationSpace, actionSpace } = spaces;
  if (!(actionSpace instanceof Discrete)) {
    throw new ValidationError(
      `agent_type dqn cannot act in the action space ${String(actionSpace)}${where}: DQN needs a Discrete action space (use ddpg, ppo or a2c for Box actions)`,
      { field: 'agent_type', agent_type: 'dqn', action_space: String(actionSpace) },
    );
  }
  if (!(observationSpace instanceof Box)) {
    throw new ValidationError(`agent_type dqn needs a Box observation space${where}`, {
      field: 'agent_type',
      agent_type: 'dqn',
    });
  }
  return { obsDim: observationSpace.size, actions: actionSpace };
}

/** Index of the largest of row[offset .. offset + n) (the first one on ties, as torch.argmax). */
function argmax(row: Float32Array, offset: number, n: number): number {
  let best = 0;
  let bestValue = row[offset];
  for (let a = 1; a < n; a++) {
    const v = row[offset + a];
    if (v > bestValue) {
      bestValue = v;
      best = a;
    }
  }
  return best;
}

/**
 * SB3's `get_linear_fn(start, end, end_fraction)`: linear from start to end over the first
 * end_fraction of training (progress = 1 − progress_remaining), then constant.
 */
export function explorationSchedule(hp: DqnHyperparameters, progressRemaining: number): number {
  const progress = 1 - progressRemaining;
  const start = hp.exploration_initial_eps;
  const end = hp.exploration_final_eps;
  if (hp.exploration_fraction === 0 || progress > hp.exploration_fraction) return end;
  return start + (progress * (end - start)) / hp.exploration_fraction;
}

export class DqnAgent implements Agent<'dqn'> {
  readonly agentType = 'dqn' as const;
  readonly hyperparameters: DqnHyperparameters;
  readonly spaces: AgentSpaces;
  readonly arena: Arena;
  /** Q(s, ·): SB3's `q_net.q_net.*`. */
  readonly qNet: Mlp;
  /** The target network Q̂: SB3's `q_net_target.q_net.*`. */
  readonly qNetTarget: Mlp;
  /** ε of stochastic acting: set by the schedule during training, the final ε otherwise. */
  explorationRate: number;
  readonly obsDim: number;
  readonly nActions: number;
  /** The Discrete space's first action (environment action = start + Q-column index). */
  readonly actionStart: number;
  readonly #layout: Sb3LayoutEntry[];
  readonly #params: Map<string, Param>;
  readonly #rng: Generator;

  constructor(hyperparameters: DqnHyperparameters, spaces: AgentSpaces, options: OffPolicyAgentOptions) {
    const { obsDim, actions } = checkSpaces(spaces);
    this.hyperparameters = hyperparameters;
    this.spaces = spaces;
    this.obsDim = obsDim;
    this.nActions = actions.n;
    this.actionStart = actions.start;
    const streams = seedStreams(options.seed);
    this.#rng = streams[STREAM.act];
    const sizes = [obsDim, ...hyperparameters.net_arch, actions.n];
    this.arena = new Arena();
    const common = {
      sizes,
      activation: hyperparameters.activation,
      arena: this.arena,
      batchCapacity: hyperparameters.batch_size,
    } as const;
    // DQNPolicy builds q_net with torch's default Linear init and loads it into q_net_target.
    this.qNet = new Mlp({ ...common, prefix: 'q_net.q_net', rng: streams[STREAM.init] });
    this.qNetTarget = new Mlp({ ...common, prefix: 'q_net_target.q_net', init: 'none' });
    hardUpdate(this.qNetTarget.params(), this.qNet.params());
    this.#layout = expectedLayout('dqn', {
      obsDim,
      action: { kind: 'discrete', n: actions.n },
      netArch: hyperparameters.net_arch,
    });
    this.#params = paramsByName(this.qNet, this.qNetTarget);
    this.explorationRate = hyperparameters.exploration_final_eps;
    if (options.stateDict !== undefined) this.loadStateDict(options.stateDict);
  }

  act(obs: Float32Array, options: ActOptions = {}): number {
    this.#checkObs(obs, 1);
    if (options.deterministic === false) {
      const rng = options.rng ?? this.#rng;
      if (rng.random() < this.explorationRate) return this.actionStart + rng.integers(this.nActions);
    }
    const q = this.qNet.predict(obs, 1);
    return this.actionStart + argmax(q, 0, this.nActions);
  }

  actBatch(obs: Float32Array, batch: number, out: Float32Array, options: ActOptions = {}): void {
    this.#checkObs(obs, batch);
    if (out.length < batch) {
      throw new ValidationError(`out has ${out.length} elements, the batch needs ${batch}`, { field: 'out' });
    }
    const n = this.nActions;
    const q = this.qNet.predict(obs, batch);
    const stochastic = options.deterministic === false;
    const shared = options.rng ?? this.#rng;
    for (let b = 0; b < batch; b++) {
      // Row b draws from its own stream when per-row generators are given (batch-invariant evaluation).
      const rng = options.rngs?.[b] ?? shared;
      if (stochastic && rng.random() < this.explorationRate) out[b] = this.actionStart + rng.integers(n);
      else out[b] = this.actionStart + argmax(q, b * n, n);
    }
  }

  stateDict(): StateDict {
    return writeStateDict(this.#layout, this.#params);
  }

  loadStateDict(stateDict: StateDict): void {
    readStateDict(stateDict, this.#layout, this.#params);
  }

  #checkObs(obs: Float32Array, batch: number): void {
    if (!(obs instanceof Float32Array) || obs.length < batch * this.obsDim) {
      throw new ValidationError(
        `obs must be a Float32Array of ${batch} × ${this.obsDim} values, got ${obs?.length ?? 'none'}`,
        { field: 'obs' },
      );
    }
  }
}

/**
 * The training side of DQN: ε-greedy collection, the target-network schedule and the
 * TD update, plugged into the shared off-policy loop.
 */
export class DqnLearner implements OffPolicyAlgorithm {
  readonly bufferActionDim = 1;
  readonly envActionDim = 1;
  readonly agent: DqnAgent;
  readonly optimizer: Adam;
  readonly #hp: DqnHyperparameters;
  readonly #explore: Generator;
  readonly #replayRng: Generator;
  readonly #targetUpdateEvery: number;
  #calls = 0;
  /** Per copy: whether this step's action is a random one (ε-greedy draw). */
  readonly #explores: Uint8Array;
  // Minibatch buffers, reused by every gradient step.
  readonly #batch: number;
  readonly #idx: Int32Array;
  readonly #actions: Int32Array;
  readonly #target: Float32Array;
  readonly #qTaken: Float32Array;
  readonly #gradTaken: Float32Array;
  // Within one training phase Q̂ and the replay buffer do not change, so max_a' Q̂(s', a') of a
  // replay row is computed once per phase: #best[i] holds it when #stamp[i] === #phase.
  readonly #cacheTargets: boolean;
  #best: Float32Array | null = null;
  #stamp: Int32Array | null = null;
  /** The current training phase (0: outside train(), where nothing is cached). */
  #phase = 0;
  #phases = 0;
  /** Replay rows of the current batch whose max Q̂ is not yet known. */
  readonly #missing: Int32Array;
  /** max_a' Q̂(s', a') of the current batch. */
  readonly #nextBest: Float32Array;

  /**
   * `cacheTargets: false` computes every target row afresh (the same bits; for tests that
   * check the cache).
   */
  constructor(
    agent: DqnAgent,
    seed: number,
    nEnvs = agent.hyperparameters.n_envs,
    options: { cacheTargets?: boolean } = {},
  ) {
    this.agent = agent;
    const hp = agent.hyperparameters;
    this.#hp = hp;
    const streams = seedStreams(seed);
    this.#explore = streams[STREAM.explore];
    this.#replayRng = streams[STREAM.replay];
    // Torch's Adam defaults (eps 1e-8): DQNPolicy passes no optimizer_kwargs.
    this.optimizer = new Adam(agent.qNet.params(), { lr: scheduleValue(hp.learning_rate, 1) });
    // SB3 counts target updates in vectorised steps: each step is n_envs transitions.
    this.#targetUpdateEvery = Math.max(Math.floor(hp.target_update_interval / hp.n_envs), 1);
    this.#explores = new Uint8Array(nEnvs);
    const b = hp.batch_size;
    this.#batch = b;
    this.#idx = new Int32Array(b);
    this.#actions = new Int32Array(b);
    this.#target = new Float32Array(b);
    this.#qTaken = new Float32Array(b);
    this.#gradTaken = new Float32Array(b);
    this.#missing = new Int32Array(b);
    this.#nextBest = new Float32Array(b);
    this.#cacheTargets = options.cacheTargets ?? true;
    agent.explorationRate = explorationSchedule(hp, 1);
  }

  sampleActions(
    obs: Float32Array,
    numTimesteps: number,
    envActions: Float64Array,
    bufferActions: Float32Array,
  ): void {
    const agent = this.agent;
    const n = agent.nActions;
    const start = agent.actionStart;
    const nEnvs = envActions.length;
    const rng = this.#explore;
    if (numTimesteps < this.#hp.learning_starts) {
      // Warm-up: the action space's uniform sample (SB3's `_sample_action`).
      for (let i = 0; i < nEnvs; i++) bufferActions[i] = rng.integers(n);
    } else {
      // ε-greedy: draw first and run the network only when some copy acts greedily
      // (SB3's predict also draws before it evaluates the Q-network).
      const eps = agent.explorationRate;
      let greedy = 0;
      for (let i = 0; i < nEnvs; i++) {
        const explore = rng.random() < eps;
        this.#explores[i] = explore ? 1 : 0;
        if (!explore) greedy++;
      }
      const q = greedy > 0 ? agent.qNet.predict(obs, nEnvs) : null;
      for (let i = 0; i < nEnvs; i++) {
        bufferActions[i] = this.#explores[i] === 1 ? rng.integers(n) : argmax(q!, i * n, n);
      }
    }
    for (let i = 0; i < nEnvs; i++) envActions[i] = start + bufferActions[i];
  }

  onStep(progressRemaining: number): void {
    this.#calls++;
    if (this.#calls % this.#targetUpdateEvery === 0) {
      const tau = this.#hp.tau;
      if (tau === 1) hardUpdate(this.agent.qNetTarget.params(), this.agent.qNet.params());
      else softUpdate(this.agent.qNetTarget.params(), this.agent.qNet.params(), tau);
    }
    this.agent.explorationRate = explorationSchedule(this.#hp, progressRemaining);
  }

  onEpisodeEnd(): void {}

  train(replay: ReplayBuffer, gradientSteps: number, progressRemaining: number): LossTerms {
    const lr = scheduleValue(this.#hp.learning_rate, progressRemaining);
    const params = this.agent.qNet.params();
    let sum = 0;
    if (this.#cacheTargets) this.#openPhase(replay.capacity);
    try {
      for (let g = 0; g < gradientSteps; g++) {
        sampleIndices(this.#replayRng, replay.size, this.#idx, this.#batch);
        this.loadBatch(replay, this.#idx);
        sum += this.lossAndGradient();
        clipGradNorm(params, this.#hp.max_grad_norm);
        this.optimizer.step(lr);
      }
    } finally {
      this.#phase = 0;
    }
    const loss = sum / gradientSteps;
    return { loss, q_loss: loss, learning_rate: lr, exploration_rate: this.agent.explorationRate };
  }

  /**
   * Puts replay rows `idx` into the Q-network's input and computes their TD targets
   * y = r + (1 − d)·γ·max_a' Q̂(s', a') with the target network (no gradient), in float32
   * and torch's operation order: ((1 − d)·γ)·max Q̂ + r.
   */
  loadBatch(replay: ReplayBuffer, idx: Int32Array): void {
    const agent = this.agent;
    const b = this.#batch;
    const d = agent.obsDim;
    const best = this.#maxTargetQ(replay, idx);
    const gamma = Math.fround(this.#hp.gamma);
    for (let r = 0; r < b; r++) {
      const i = idx[r];
      const notDone = Math.fround(1 - replay.dones[i]);
      this.#target[r] = Math.fround(replay.rewards[i] + Math.fround(Math.fround(notDone * gamma) * best[r]));
      this.#actions[r] = replay.actions[i];
    }
    gatherRows(replay.obs, d, idx, b, agent.qNet.inputView(b), d, 0);
  }

  /** Starts a training phase: a new stamp, so that no earlier max Q̂ is taken as known. */
  #openPhase(capacity: number): void {
    if (this.#best === null || this.#best.length !== capacity) {
      this.#best = new Float32Array(capacity);
      this.#stamp = new Int32Array(capacity);
      this.#phases = 0;
    }
    if (this.#phases === 0x7fffffff) {
      this.#stamp!.fill(0);
      this.#phases = 0;
    }
    this.#phases++;
    this.#phase = this.#phases;
  }

  /**
   * max_a' Q̂(s', a') of replay rows `idx`, in batch order. Inside a training phase only the
   * rows not yet seen in the phase go through Q̂, as one smaller batch padded to the kernels'
   * uniformBatchFrom rows, so that each row gets the bits the full batch would give it.
   */
  #maxTargetQ(replay: ReplayBuffer, idx: Int32Array): Float32Array {
    const agent = this.agent;
    const target = agent.qNetTarget;
    const b = this.#batch;
    const d = agent.obsDim;
    const n = agent.nActions;
    const out = this.#nextBest;
    const missing = this.#missing;
    const phase = this.#phase;
    const best = this.#best!;
    const stamp = this.#stamp!;
    let miss = 0;
    for (let r = 0; r < b; r++) {
      const i = idx[r];
      if (phase === 0) missing[miss++] = i;
      else if (stamp[i] !== phase) {
        stamp[i] = phase;
        missing[miss++] = i;
      }
    }
    if (miss > 0) {
      const rows = Math.min(b, Math.max(miss, agent.arena.kernels.uniformBatchFrom));
      for (let r = miss; r < rows; r++) missing[r] = missing[0];
      const nextIn = target.inputView(rows);
      gatherRows(replay.nextObs, d, missing, rows, nextIn, d, 0);
      const qNext = target.forward(nextIn, rows);
      for (let r = 0; r < miss; r++) {
        const v = qNext[r * n + argmax(qNext, r * n, n)];
        if (phase === 0) out[r] = v;
        else best[missing[r]] = v;
      }
    }
    if (phase !== 0) for (let r = 0; r < b; r++) out[r] = best[idx[r]];
    return out;
  }

  /**
   * Smooth-L1 loss between Q(s, a) of the loaded batch and its targets; leaves dLoss/dθ in
   * the Q-network's gradients (zeroed first). The gradient reaches only the taken action's
   * output (torch.gather's backward).
   */
  lossAndGradient(): number {
    const qNet = this.agent.qNet;
    const b = this.#batch;
    const n = this.agent.nActions;
    const q = qNet.forward(qNet.inputView(b), b);
    for (let r = 0; r < b; r++) this.#qTaken[r] = q[r * n + this.#actions[r]];
    const loss = huberLoss(this.#qTaken, this.#target, this.#gradTaken);
    const dOut = qNet.outputGradView(b);
    dOut.fill(0);
    for (let r = 0; r < b; r++) dOut[r * n + this.#actions[r]] = this.#gradTaken[r];
    qNet.zeroGrad();
    qNet.backward(dOut, b);
    return loss;
  }
}

/**
 * Trains a DQN agent on `options.envId` for `options.totalTimesteps` (RL Zoo / SB3
 * semantics, see off-policy.ts), optionally starting from `initialState`.
 */
export function trainDqn(
  hyperparameters: DqnHyperparameters,
  options: TrainOptions,
  initialState?: StateDict,
): TrainResult<'dqn'> & { agent: DqnAgent } {
  const { vec, built: learner } = openTraining(options, hyperparameters.n_envs, (spaces, env) => {
    checkSpaces(spaces, ` of ${options.envId}`);
    const agent = new DqnAgent(hyperparameters, spaces, { seed: options.seed, stateDict: initialState });
    return new DqnLearner(agent, options.seed, env.numEnvs);
  });
  const run = runOffPolicy(learner, hyperparameters, options, vec);
  return { agent: learner.agent, ...run };
}

/**
 * The actor-critic policy of PPO and A2C, Stable-Baselines3's `ActorCriticPolicy` with an
 * MlpExtractor (common/policies.py, common/torch_layers.py), and the `Agent` both algorithms
 * expose on top of it.
 *
 * Two separate networks, as SB3 builds them for a list `net_arch`:
 *
 *   actor   obs → mlp_extractor.policy_net.{0,2,…} (activation after each) → action_net
 *           (logits of a Categorical for Discrete spaces, the mean of a diagonal Gaussian
 *           with a state-independent `log_std` parameter for Box spaces);
 *   critic  obs → mlp_extractor.value_net.{0,2,…} (activation after each) → value_net [1].
 *
 * Each network is one `Mlp` whose last Linear layer is SB3's head (`action_net` or
 * `value_net`), so parameter names are SB3's `state_dict()` keys one to one.
 *
 * Initialisation as `ActorCriticPolicy._build` with `ortho_init=True`: orthogonal weights with
 * gain √2 for the extractor layers, 0.01 for `action_net` and 1 for `value_net`, zero biases,
 * `log_std` = 0 (`log_std_init`). Layers are drawn in the order SB3 initialises its modules
 * (policy_net, value_net, action_net, value_net) from a numpy-compatible generator.
 *
 * Box actions: samples are unbounded Gaussian draws (SB3's PPO/A2C have no tanh squashing);
 * the environment receives them clipped to the bounds, while the raw sample is what the
 * rollout stores and `log_prob` scores (SB3 `collect_rollouts` and `BasePolicy.predict`).
 *
 * Working memory: inference (acting, rollout collection) runs in each Mlp's predict buffers,
 * training in its forward/backward buffers, so acting between a training forward and its
 * backward is harmless. Nothing is allocated per call once the buffers have their size.
 */
import { Box, Discrete } from '../envs/index.js';
import { ValidationError } from '../errors.js';
import {
  categoricalLogProb,
  categoricalMode,
  categoricalSample,
  diagGaussianEntropy,
  diagGaussianEntropyBackward,
  diagGaussianLogProb,
  diagGaussianLogProbBackward,
  diagGaussianSample,
  type NormalSource,
  type UniformSource,
} from '../nn/distributions.js';
import { orthogonalInit, SB3_ORTHO_GAINS } from '../nn/init.js';
import { Mlp } from '../nn/mlp.js';
import { expectedLayout, type Sb3LayoutEntry, validateStateDict } from '../nn/sb3-layout.js';
import type { StateDict } from '../nn/state-dict.js';
import { Arena, type Param } from '../nn/tensor.js';
import { type Generator, npRandom } from '../rng/index.js';
import type { Activation, HyperparametersOf } from './hyperparameters.js';
import { RowStreams } from './row-streams.js';
import type { ActOptions, Agent, AgentSpaces } from './types.js';

/** The action distribution's shape: Categorical over n actions, or a diagonal Gaussian of dim. */
/** Adam's eps in SB3's actor-critic policies (ActorCriticPolicy's optimizer_kwargs), for PPO and A2C without RMSprop. */
export const ACTOR_CRITIC_ADAM_EPS = 1e-5;

export type PolicyActionSpec = { kind: 'discrete'; n: number } | { kind: 'box'; dim: number };

export interface ActorCriticPolicyOptions {
  obsDim: number;
  action: PolicyActionSpec;
  /** Hidden layer sizes of each network (SB3's list net_arch: the same for pi and vf). */
  netArch: readonly number[];
  activation: Activation;
  /**
   * Source of the orthogonal-init draws. Omitted: parameters stay zero (for a state dict
   * loaded right after).
   */
  initRng?: NormalSource;
  arena?: Arena;
}

/** A source of both uniform and normal draws (the Generator). */
export type PolicyRng = UniformSource & NormalSource;

export class ActorCriticPolicy {
  readonly obsDim: number;
  readonly action: PolicyActionSpec;
  /** Elements of one stored action: 1 (the index) for Discrete, dim for Box. */
  readonly actDim: number;
  /** Width of action_net's output: n logits or dim means. */
  readonly actionOut: number;
  readonly netArch: readonly number[];
  readonly arena: Arena;
  /** mlp_extractor.policy_net + action_net. */
  readonly pi: Mlp;
  /** mlp_extractor.value_net + value_net. */
  readonly vf: Mlp;
  /** State-independent log standard deviation (Box only). */
  readonly logStd: Param | null;
  /** Every trainable parameter, in SB3's `parameters()` order (log_std first). */
  readonly parameters: readonly Param[];

  // Per-row results of the last `evaluateActions` (training), float64, capacity-sized.
  #values = new Float64Array(0);
  #logProb = new Float64Array(0);
  #entropy = new Float64Array(0);
  /**
   * Of the last `evaluateActions`, for `backward`: the actor's outputs (Gaussian means), or
   * for a Categorical the log-probabilities of every action, with the probabilities in #probs.
   */
  #z = new Float64Array(0);
  #probs = new Float64Array(0);
  #evalBatch = -1;
  /** Float64 accumulator of the log_std gradient over a batch (Box only). */
  readonly #logStdGrad: Float64Array;
  /** Scratch for one row of logits/means in `act` calls that need a float64 copy. */
  readonly #rowLogProb = new Float64Array(1);

  constructor(options: ActorCriticPolicyOptions) {
    const { obsDim, action, netArch, activation } = options;
    if (!Number.isSafeInteger(obsDim) || obsDim < 1) {
      throw new ValidationError(`obsDim must be a positive integer, got ${obsDim}`, { field: 'obsDim' });
    }
    const actionOut = action.kind === 'discrete' ? action.n : action.dim;
    if (!Number.isSafeInteger(actionOut) || actionOut < 1) {
      throw new ValidationError(`the action space size must be a positive integer, got ${actionOut}`, {
        field: 'action',
      });
    }
    this.obsDim = obsDim;
    this.action = action;
    this.actDim = action.kind === 'discrete' ? 1 : action.dim;
    this.actionOut = actionOut;
    this.netArch = Object.freeze([...netArch]);
    this.arena = options.arena ?? new Arena();
    const hiddenNames = (net: string) => netArch.map((_, l) => `mlp_extractor.${net}.${2 * l}`);
    // log_std is allocated first: SB3 registers it as the policy's own parameter, which
    // `parameters()` and `state_dict()` list before the submodules.
    this.logStd = action.kind === 'box' ? this.arena.param('log_std', [action.dim]) : null;
    this.pi = new Mlp({
      sizes: [obsDim, ...netArch, actionOut],
      activation,
      arena: this.arena,
      layerNames: [...hiddenNames('policy_net'), 'action_net'],
      init: 'none',
    });
    this.vf = new Mlp({
      sizes: [obsDim, ...netArch, 1],
      activation,
      arena: this.arena,
      layerNames: [...hiddenNames('value_net'), 'value_net'],
      init: 'none',
    });
    const params: Param[] = [];
    if (this.logStd !== null) params.push(this.logStd);
    const piParams = this.pi.params();
    const vfParams = this.vf.params();
    const hidden = 2 * netArch.length;
    // SB3 order: mlp_extractor (policy_net then value_net), action_net, value_net.
    params.push(...piParams.slice(0, hidden), ...vfParams.slice(0, hidden));
    params.push(...piParams.slice(hidden), ...vfParams.slice(hidden));
    this.parameters = Object.freeze(params);
    this.#logStdGrad = new Float64Array(this.actDim);
    if (options.initRng !== undefined) this.#orthogonalInit(options.initRng);
  }

  /** `ActorCriticPolicy._build` with ortho_init: gains √2 / 0.01 / 1, zero biases, log_std 0. */
  #orthogonalInit(rng: NormalSource): void {
    const layers = this.netArch.length;
    const init = (net: Mlp, l: number, gain: number) => {
      const w = net.weight(l);
      orthogonalInit(w.data, w.shape[0], w.shape[1], gain, rng);
      net.bias(l).data.fill(0);
    };
    for (let l = 0; l < layers; l++) init(this.pi, l, SB3_ORTHO_GAINS.hidden);
    for (let l = 0; l < layers; l++) init(this.vf, l, SB3_ORTHO_GAINS.hidden);
    init(this.pi, layers, SB3_ORTHO_GAINS.policyHead);
    init(this.vf, layers, SB3_ORTHO_GAINS.valueHead);
    this.logStd?.data.fill(0);
  }

  /** Allocates now the training buffers for minibatches of up to `batch` rows. */
  reserveTraining(batch: number): void {
    this.pi.reserve(batch);
    this.vf.reserve(batch);
    this.#ensureEval(batch);
  }

  /** Allocates now the inference buffers for acting on up to `batch` observations at once. */
  reserveActing(batch: number): void {
    this.pi.reserve(batch, true);
    this.vf.reserve(batch, true);
  }

  #ensureEval(batch: number): void {
    if (this.#values.length < batch) {
      this.#values = new Float64Array(batch);
      this.#logProb = new Float64Array(batch);
      this.#entropy = new Float64Array(batch);
      this.#z = new Float64Array(batch * this.actionOut);
      this.#probs = new Float64Array(this.action.kind === 'discrete' ? batch * this.actionOut : 0);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Inference
  // ---------------------------------------------------------------------------------------

  /**
   * One rollout step for `batch` observations (SB3's `policy.forward`): actions sampled from
   * π(·|s) into `actions` (indices, or raw Gaussian samples rounded to float32 as torch keeps
   * them), V(s) into `values`, log π(a|s) into `logProbs`.
   */
  sampleStep(
    obs: Float32Array,
    batch: number,
    rng: PolicyRng,
    actions: Float32Array,
    values: Float64Array,
    logProbs: Float64Array,
  ): void {
    const out = this.pi.predict(obs, batch);
    if (this.action.kind === 'discrete') {
      const n = this.action.n;
      categoricalSample(out, batch, n, rng, actions);
      categoricalLogProb(out, batch, n, actions, logProbs);
    } else {
      const dim = this.action.dim;
      const logStd = this.logStd!.data;
      diagGaussianSample(out, logStd, batch, dim, rng, actions);
      diagGaussianLogProb(out, logStd, batch, dim, actions, logProbs);
    }
    const v = this.vf.predict(obs, batch);
    for (let b = 0; b < batch; b++) values[b] = v[b];
  }

  /**
   * Raw actions for `batch` observations: the mode (argmax / mean) when deterministic, else a
   * sample. Written into `out` (batch indices, or batch × dim unclipped values).
   */
  actRaw(
    obs: Float32Array,
    batch: number,
    deterministic: boolean,
    rng: PolicyRng,
    out: Float32Array | Float64Array,
  ): void {
    const z = this.pi.predict(obs, batch);
    if (this.action.kind === 'discrete') {
      if (deterministic) categoricalMode(z, batch, this.action.n, out);
      else categoricalSample(z, batch, this.action.n, rng, out);
    } else {
      const dim = this.action.dim;
      if (deterministic) for (let k = 0; k < batch * dim; k++) out[k] = z[k];
      else diagGaussianSample(z, this.logStd!.data, batch, dim, rng, out);
    }
  }

  /** V(s) for `batch` observations into `out` (SB3's `predict_values`). */
  predictValues(obs: Float32Array, batch: number, out: Float64Array | Float32Array): void {
    const v = this.vf.predict(obs, batch);
    for (let b = 0; b < batch; b++) out[b] = v[b];
  }

  /** log π(action | obs) of one observation (inference buffers); mainly for checks. */
  logProbOf(obs: Float32Array, action: Float32Array): number {
    const z = this.pi.predict(obs, 1);
    if (this.action.kind === 'discrete') categoricalLogProb(z, 1, this.action.n, action, this.#rowLogProb);
    else diagGaussianLogProb(z, this.logStd!.data, 1, this.action.dim, action, this.#rowLogProb);
    return this.#rowLogProb[0];
  }

  // ---------------------------------------------------------------------------------------
  // Training: evaluate_actions and its backward pass
  // ---------------------------------------------------------------------------------------

  /**
   * The training input buffer for `batch` observations, to gather a minibatch into directly
   * (then pass it to `evaluateActions`, which skips its copy).
   */
  trainingInput(batch: number): Float32Array {
    return this.pi.inputView(batch);
  }

  /**
   * SB3's `evaluate_actions`: training forward passes of both networks on `batch`
   * observations, then V(s), log π(a|s) and the entropy H(π(·|s)) per row, readable through
   * `values`, `logProb` and `entropy` until the next call. Keeps the activations for `backward`.
   */
  evaluateActions(obs: Float32Array, actions: ArrayLike<number>, batch: number): void {
    this.#ensureEval(batch);
    const out = this.pi.forward(obs, batch);
    // Kept in float64 for the backward pass: the network's output view would not survive an
    // arena growth between the two calls (e.g. a first act() on a larger batch).
    const z = this.#z;
    for (let k = 0; k < batch * this.actionOut; k++) z[k] = out[k];
    if (this.action.kind === 'discrete') {
      categoricalEvaluate(z, batch, this.action.n, actions, this.#probs, this.#logProb, this.#entropy);
    } else {
      const dim = this.action.dim;
      const logStd = this.logStd!.data;
      diagGaussianLogProb(z, logStd, batch, dim, actions, this.#logProb);
      const h = diagGaussianEntropy(logStd, dim);
      for (let b = 0; b < batch; b++) this.#entropy[b] = h;
    }
    // The critic reads the actor's input buffer (a copy into its own).
    const v = this.vf.forward(this.pi.inputView(batch), batch);
    for (let b = 0; b < batch; b++) this.#values[b] = v[b];
    this.#evalBatch = batch;
  }

  /** V(s) per row of the last `evaluateActions` (capacity-sized; the first batch entries are valid). */
  get values(): Float64Array {
    return this.#values;
  }

  /** log π(a|s) per row of the last `evaluateActions`. */
  get logProb(): Float64Array {
    return this.#logProb;
  }

  /** H(π(·|s)) per row of the last `evaluateActions`. */
  get entropy(): Float64Array {
    return this.#entropy;
  }

  /**
   * Backward pass of a loss L through the last `evaluateActions`, given per row
   * dL/dlog π(a|s) and dL/dV(s), and dL/dH (the same for every row, e.g. −ent_coef / batch for
   * SB3's entropy loss −mean(H)). Accumulates into every parameter's gradient (call
   * `zeroGrad` first, as torch's optimizer.zero_grad()).
   */
  backward(
    actions: ArrayLike<number>,
    dLogProb: Float64Array,
    dEntropy: number,
    dValue: Float64Array,
    batch: number,
  ): void {
    if (batch !== this.#evalBatch) {
      throw new ValidationError(
        `backward batch ${batch} differs from evaluateActions batch ${this.#evalBatch}`,
        {
          field: 'batch',
        },
      );
    }
    const z = this.#z;
    const dz = this.pi.outputGradView(batch);
    if (this.action.kind === 'discrete') {
      categoricalBackward(
        z,
        this.#probs,
        this.#entropy,
        batch,
        this.action.n,
        actions,
        dLogProb,
        dEntropy,
        dz,
      );
    } else {
      const dim = this.action.dim;
      const g = this.#logStdGrad;
      diagGaussianLogProbBackward(z, this.logStd!.data, batch, dim, actions, dLogProb, dz, g);
      if (dEntropy !== 0) diagGaussianEntropyBackward(batch, dim, dEntropy, g, true);
      const grad = this.logStd!.grad;
      for (let i = 0; i < dim; i++) grad[i] += g[i];
    }
    this.pi.backward(dz, batch);
    const dv = this.vf.outputGradView(batch);
    for (let b = 0; b < batch; b++) dv[b] = dValue[b];
    this.vf.backward(dv, batch);
  }

  zeroGrad(): void {
    for (const p of this.parameters) p.grad.fill(0);
  }

  // ---------------------------------------------------------------------------------------
  // State dict (SB3 MlpPolicy layout)
  // ---------------------------------------------------------------------------------------

  /** The SB3 `state_dict()` entries of this architecture (names, torch shapes, order). */
  layout(agentType: 'ppo' | 'a2c'): Sb3LayoutEntry[] {
    return expectedLayout(agentType, {
      obsDim: this.obsDim,
      action: this.action.kind === 'discrete' ? { kind: 'discrete', n: this.action.n } : this.action,
      netArch: [...this.netArch],
    });
  }

  /** A copy of every parameter under its SB3 name, in SB3's order. */
  stateDict(agentType: 'ppo' | 'a2c'): StateDict {
    const byName = this.#byName();
    const sd: StateDict = new Map();
    for (const entry of this.layout(agentType)) {
      const p = byName.get(entry.name)!;
      sd.set(entry.name, { shape: [...entry.shape], data: new Float32Array(p.data) });
    }
    return sd;
  }

  /**
   * Replaces every parameter from an SB3-layout state dict; rejects (ValidationError naming
   * each tensor, expected and actual shape) anything missing, extra or of the wrong shape,
   * leaving the current parameters untouched.
   */
  loadStateDict(sd: StateDict, agentType: 'ppo' | 'a2c'): void {
    const layout = this.layout(agentType);
    validateStateDict(sd, layout);
    const byName = this.#byName();
    for (const entry of layout) byName.get(entry.name)!.data.set(sd.get(entry.name)!.data);
  }

  #byName(): Map<string, Param> {
    return new Map(this.parameters.map((p) => [p.name, p]));
  }
}

/**
 * The Categorical quantities of a training minibatch in one pass per row (the separate
 * distributions.ts functions would each redo the log-sum-exp): with lp = log softmax(z),
 * writes lp into `z` in place, p = exp(lp) into `probs`, log π(a|s) = lp[a] and
 * H = −Σ p·lp. One exp per logit but the largest, and one log, per row.
 */
function categoricalEvaluate(
  z: Float64Array,
  batch: number,
  n: number,
  actions: ArrayLike<number>,
  probs: Float64Array,
  logProb: Float64Array,
  entropy: Float64Array,
): void {
  for (let b = 0, off = 0; b < batch; b++, off += n) {
    const a = actions[b];
    if (!(Number.isInteger(a) && a >= 0 && a < n)) {
      throw new ValidationError(`action ${a} of row ${b} is not in [0, ${n})`, { field: 'actions' });
    }
    let argmax = 0;
    for (let j = 1; j < n; j++) if (z[off + j] > z[off + argmax]) argmax = j;
    const max = z[off + argmax];
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const e = j === argmax ? 1 : Math.exp(z[off + j] - max); // exp(0) = 1 exactly
      probs[off + j] = e;
      sum += e;
    }
    const lse = Math.log(sum);
    let h = 0;
    for (let j = 0; j < n; j++) {
      const lp = z[off + j] - max - lse;
      const p = probs[off + j] / sum;
      z[off + j] = lp;
      probs[off + j] = p;
      if (p > 0) h -= p * lp; // 0·log 0 = 0
    }
    logProb[b] = z[off + a];
    entropy[b] = h;
  }
}

/**
 * dL/dz for L = Σ_b gL[b]·log π(a_b|s_b) + gH·Σ_b H_b, from the stored log-probabilities and
 * probabilities: ∂ log p_a/∂z_j = 1[j = a] − p_j and ∂H/∂z_j = −p_j (log p_j + H)
 * (the same derivatives as distributions.ts's categorical backward helpers).
 */
function categoricalBackward(
  logp: Float64Array,
  probs: Float64Array,
  entropy: Float64Array,
  batch: number,
  n: number,
  actions: ArrayLike<number>,
  dLogProb: Float64Array,
  dEntropy: number,
  dz: Float32Array,
): void {
  for (let b = 0, off = 0; b < batch; b++, off += n) {
    const a = actions[b];
    const g = dLogProb[b];
    const h = entropy[b];
    for (let j = 0; j < n; j++) {
      const p = probs[off + j];
      let d = g * ((j === a ? 1 : 0) - p);
      if (dEntropy !== 0 && p > 0) d -= dEntropy * p * (logp[off + j] + h);
      dz[off + j] = d;
    }
  }
}

// -----------------------------------------------------------------------------------------
// The Agent over an ActorCriticPolicy (shared by PpoAgent and A2cAgent)
// -----------------------------------------------------------------------------------------

export type ActorCriticAgentType = 'ppo' | 'a2c';

export interface ActorCriticAgentOptions {
  /** Seeds the initial weights and the agent's own random streams (fresh entropy when absent). */
  seed?: number;
  /** Parameters to start from (SB3 MlpPolicy layout); replaces the seeded initialisation. */
  stateDict?: StateDict;
}

/** The policy's action distribution for an environment action space, or a ValidationError. */
export function policyActionSpec(agentType: ActorCriticAgentType, spaces: AgentSpaces): PolicyActionSpec {
  const { observationSpace, actionSpace } = spaces;
  if (!(observationSpace instanceof Box)) {
    throw new ValidationError(`${agentType} needs a Box observation space, got ${String(observationSpace)}`, {
      field: 'observation_space',
      agent_type: agentType,
    });
  }
  if (actionSpace instanceof Discrete) return { kind: 'discrete', n: actionSpace.n };
  if (actionSpace instanceof Box) return { kind: 'box', dim: actionSpace.size };
  throw new ValidationError(
    `${agentType} handles Discrete and Box action spaces, got ${String(actionSpace)}`,
    { field: 'action_space', agent_type: agentType },
  );
}

/**
 * An actor-critic agent: acting (SB3's `predict`: argmax / mean when deterministic, a sample
 * otherwise; Box actions clipped to the bounds) and its state dict in SB3's layout.
 */
export class ActorCriticAgent<T extends ActorCriticAgentType> implements Agent<T> {
  readonly agentType: T;
  readonly hyperparameters: HyperparametersOf<T>;
  readonly spaces: AgentSpaces;
  readonly policy: ActorCriticPolicy;
  /** Draws of stochastic actions (rollout collection and `act` without an explicit rng). */
  readonly actionRng: Generator;
  /** Minibatch shuffling (PPO). */
  readonly shuffleRng: Generator;
  readonly #discreteStart: number;
  readonly #low: Float32Array | null;
  readonly #high: Float32Array | null;
  #raw = new Float64Array(0);
  readonly #rowStreams = new RowStreams();

  constructor(
    agentType: T,
    hyperparameters: HyperparametersOf<T>,
    spaces: AgentSpaces,
    options: ActorCriticAgentOptions = {},
  ) {
    const action = policyActionSpec(agentType, spaces);
    this.agentType = agentType;
    this.hyperparameters = hyperparameters;
    this.spaces = spaces;
    // One seed, three independent streams (numpy's SeedSequence spawning): initial weights,
    // action sampling, minibatch order.
    const root = npRandom(options.seed).rng;
    const [initRng, actionRng, shuffleRng] = root.spawn(3);
    this.actionRng = actionRng;
    this.shuffleRng = shuffleRng;
    this.policy = new ActorCriticPolicy({
      obsDim: spaces.observationSpace.size,
      action,
      netArch: hyperparameters.net_arch,
      activation: hyperparameters.activation,
      initRng: options.stateDict === undefined ? initRng : undefined,
    });
    if (options.stateDict !== undefined) this.policy.loadStateDict(options.stateDict, agentType);
    const space = spaces.actionSpace;
    this.#discreteStart = space instanceof Discrete ? space.start : 0;
    this.#low = space instanceof Box ? space.low : null;
    this.#high = space instanceof Box ? space.high : null;
  }

  act(obs: Float32Array, options: ActOptions = {}): number | Float32Array {
    this.#checkObs(obs, 1);
    const out = new Float32Array(this.policy.actDim);
    this.actBatch(obs, 1, out, options);
    return this.policy.action.kind === 'discrete' ? out[0] : out;
  }

  actBatch(obs: Float32Array, batch: number, out: Float32Array, options: ActOptions = {}): void {
    this.#checkObs(obs, batch);
    const actDim = this.policy.actDim;
    if (!(out.length >= batch * actDim)) {
      throw new ValidationError(`out has ${out.length} elements, ${batch} actions need ${batch * actDim}`, {
        field: 'out',
      });
    }
    const deterministic = options.deterministic ?? true;
    const rng =
      options.rngs !== undefined
        ? this.#rowStreams.reset(options.rngs, this.policy.action.kind === 'discrete' ? 1 : actDim)
        : (options.rng ?? this.actionRng);
    if (this.policy.action.kind === 'discrete') {
      this.policy.actRaw(obs, batch, deterministic, rng, out);
      if (this.#discreteStart !== 0) for (let b = 0; b < batch; b++) out[b] += this.#discreteStart;
      return;
    }
    if (this.#raw.length < batch * actDim) this.#raw = new Float64Array(batch * actDim);
    this.policy.actRaw(obs, batch, deterministic, rng, this.#raw);
    clipActions(this.#raw, batch, actDim, this.#low!, this.#high!, out);
  }

  stateDict(): StateDict {
    return this.policy.stateDict(this.agentType);
  }

  loadStateDict(stateDict: StateDict): void {
    this.policy.loadStateDict(stateDict, this.agentType);
  }

  #checkObs(obs: Float32Array, batch: number): void {
    if (!Number.isInteger(batch) || batch < 1) {
      throw new ValidationError(`batch must be a positive integer, got ${batch}`, { field: 'batch' });
    }
    const need = batch * this.policy.obsDim;
    if (!(obs instanceof Float32Array) || obs.length < need) {
      throw new ValidationError(
        `obs must be a Float32Array of at least ${need} values (${batch} × ${this.policy.obsDim}), got ${obs?.length}`,
        { field: 'obs' },
      );
    }
  }
}

/** out[b, i] = clip(raw[b, i], low[i], high[i]) (numpy's np.clip against the Box bounds). */
export function clipActions(
  raw: ArrayLike<number>,
  batch: number,
  dim: number,
  low: Float32Array,
  high: Float32Array,
  out: Float32Array | Float64Array,
): void {
  for (let b = 0, k = 0; b < batch; b++) {
    for (let i = 0; i < dim; i++, k++) {
      out[k] = Math.min(Math.max(raw[k], low[i]), high[i]);
    }
  }
}

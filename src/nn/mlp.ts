/**
 * Dense multi-layer perceptron with batched forward and backward passes, laid out like a
 * PyTorch `nn.Sequential` of `nn.Linear` layers and activations (SB3's `create_mlp`):
 * sizes [in, h1, …, out], the hidden activation (tanh or relu) after every layer but the last,
 * and an output activation (identity, or tanh for a DDPG actor).
 *
 * Parameters are `Param`s in an arena (weight [out, in] row-major and bias [out], as torch
 * Linear), named `<layer>.weight` / `<layer>.bias` with torch's Sequential indices (0, 2, 4, …
 * because activation modules sit between) or caller-given layer names, so state dicts map
 * one to one. Gradients accumulate across backward calls until `zeroGrad()`, as in torch.
 *
 * Working memory (activations and gradients for a batch) is allocated once per capacity and
 * reused: `forward`/`backward` on batches that fit allocate nothing. `predict` has its own
 * buffers, so acting on one observation between a training forward and its backward does not
 * disturb the stored activations.
 */
import { StateError, ValidationError } from '../errors.js';
import type { UniformSource } from './distributions.js';
import { torchLinearDefaultInit } from './init.js';
import type { Activation } from './kernels-common.js';
import { Arena, type Param, type Tensor } from './tensor.js';

export type HiddenActivation = 'tanh' | 'relu';
export type OutputActivation = 'identity' | 'tanh';

/** What an initialiser sees of one Linear layer; it fills `weight` and `bias` in place. */
export interface LayerInitContext {
  /** Layer number, 0 for the first Linear. */
  readonly index: number;
  /** Layer name (parameter names are `${name}.weight` and `${name}.bias`). */
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Whether this is the last (output) layer. */
  readonly isOutput: boolean;
  /** [outFeatures, inFeatures] row-major, zero on entry. */
  readonly weight: Float32Array;
  /** [outFeatures], zero on entry. */
  readonly bias: Float32Array;
}

export type LayerInitializer = (layer: LayerInitContext) => void;

export interface MlpOptions {
  /** Layer widths [in, hidden…, out]; at least two entries (one Linear layer). */
  sizes: readonly number[];
  /** Activation after each hidden layer. */
  activation: HiddenActivation;
  /** Activation after the last layer (default identity). */
  outputActivation?: OutputActivation;
  /** Rows of working memory to allocate up front (default 1; grows on demand). */
  batchCapacity?: number;
  /** Arena to allocate in (shared with other networks and optimisers); default a new one. */
  arena?: Arena;
  /** Name prefix: layers are `${prefix}.0`, `${prefix}.2`, …; default none (`0`, `2`, …). */
  prefix?: string;
  /** Explicit layer names, one per Linear layer (overrides prefix). */
  layerNames?: readonly string[];
  /**
   * Weight initialisation, per layer. Omitted: PyTorch's nn.Linear default drawn from `rng`.
   * 'none' leaves zeros (for weights loaded right after).
   */
  init?: LayerInitializer | 'none';
  /** Random source for the default initialisation. */
  rng?: UniformSource;
}

/** A cached subarray of the first batch·width elements of a tensor (no allocation per call). */
class BatchView {
  readonly #tensor: Tensor;
  readonly #width: number;
  #batch = -1;
  #generation = -1;
  #view: Float32Array | null = null;

  constructor(tensor: Tensor, width: number) {
    this.#tensor = tensor;
    this.#width = width;
  }

  get(batch: number): Float32Array {
    const gen = this.#tensor.arena.generation;
    if (this.#view === null || batch !== this.#batch || gen !== this.#generation) {
      this.#view = this.#tensor.data.subarray(0, batch * this.#width);
      this.#batch = batch;
      this.#generation = gen;
    }
    return this.#view;
  }
}

/** Activations (and, for training, their gradients) for up to `capacity` rows. */
class Workspace {
  readonly capacity: number;
  /** acts[0] is the input, acts[l + 1] the output of layer l (after its activation). */
  readonly acts: Tensor[];
  /** deltas[l] is the gradient with respect to acts[l]; null for inference buffers. */
  readonly deltas: Tensor[] | null;
  readonly input: BatchView;
  readonly output: BatchView;
  readonly inputGrad: BatchView | null;
  readonly outputGrad: BatchView | null;

  constructor(arena: Arena, sizes: readonly number[], capacity: number, withGrads: boolean) {
    this.capacity = capacity;
    this.acts = sizes.map((n) => arena.alloc([capacity, n]));
    this.deltas = withGrads ? sizes.map((n) => arena.alloc([capacity, n])) : null;
    const last = sizes.length - 1;
    this.input = new BatchView(this.acts[0], sizes[0]);
    this.output = new BatchView(this.acts[last], sizes[last]);
    this.inputGrad = this.deltas === null ? null : new BatchView(this.deltas[0], sizes[0]);
    this.outputGrad = this.deltas === null ? null : new BatchView(this.deltas[last], sizes[last]);
  }
}

function validateSizes(sizes: readonly number[]): void {
  if (!Array.isArray(sizes) || sizes.length < 2) {
    throw new ValidationError('sizes must list at least the input and output widths', { field: 'sizes' });
  }
  for (const n of sizes) {
    if (!Number.isInteger(n) || n < 1) {
      throw new ValidationError(`layer widths must be positive integers, got [${sizes.join(', ')}]`, {
        field: 'sizes',
      });
    }
  }
}

/**
 * Copies the first n elements of src into dst, unless src already is dst's memory (the
 * caller filled the view returned by inputView/outputGradView). No allocation.
 */
function load(src: Float32Array, dst: Float32Array, n: number, what: string): void {
  if (src.buffer === dst.buffer && src.byteOffset === dst.byteOffset) return;
  if (src.length < n) {
    throw new ValidationError(`${what} has ${src.length} elements, the batch needs ${n}`, { field: what });
  }
  if (src.length === n) dst.set(src);
  else for (let i = 0; i < n; i++) dst[i] = src[i];
}

export class Mlp {
  readonly sizes: readonly number[];
  readonly activation: HiddenActivation;
  readonly outputActivation: OutputActivation;
  readonly arena: Arena;
  readonly layerNames: readonly string[];
  readonly #weights: Param[];
  readonly #biases: Param[];
  readonly #params: readonly Param[];
  readonly #layerActivation: Activation[];
  #train: Workspace;
  #infer: Workspace | null = null;
  /** Batch of the last training forward (whose activations backward uses); -1 if none. */
  #forwardBatch = -1;

  constructor(options: MlpOptions) {
    validateSizes(options.sizes);
    if (options.activation !== 'tanh' && options.activation !== 'relu') {
      throw new ValidationError(`activation must be tanh or relu, got '${String(options.activation)}'`, {
        field: 'activation',
      });
    }
    const outputActivation = options.outputActivation ?? 'identity';
    if (outputActivation !== 'identity' && outputActivation !== 'tanh') {
      throw new ValidationError(
        `outputActivation must be identity or tanh, got '${String(outputActivation)}'`,
        {
          field: 'outputActivation',
        },
      );
    }
    const capacity = options.batchCapacity ?? 1;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new ValidationError(`batchCapacity must be a positive integer, got ${capacity}`, {
        field: 'batchCapacity',
      });
    }
    this.sizes = Object.freeze([...options.sizes]);
    this.activation = options.activation;
    this.outputActivation = outputActivation;
    this.arena = options.arena ?? new Arena();
    const layers = this.sizes.length - 1;
    this.layerNames = Object.freeze(this.#names(options, layers));
    this.#layerActivation = [];
    for (let l = 0; l < layers; l++) {
      this.#layerActivation.push(l === layers - 1 ? outputActivation : options.activation);
    }

    this.#weights = [];
    this.#biases = [];
    const params: Param[] = [];
    for (let l = 0; l < layers; l++) {
      const inF = this.sizes[l];
      const outF = this.sizes[l + 1];
      const w = this.arena.param(`${this.layerNames[l]}.weight`, [outF, inF]);
      const b = this.arena.param(`${this.layerNames[l]}.bias`, [outF]);
      this.#weights.push(w);
      this.#biases.push(b);
      params.push(w, b);
    }
    this.#params = Object.freeze(params);
    this.#train = this.#workspace(capacity, true);
    this.#initialise(options);
  }

  #names(options: MlpOptions, layers: number): string[] {
    if (options.layerNames !== undefined) {
      if (options.layerNames.length !== layers || new Set(options.layerNames).size !== layers) {
        throw new ValidationError(`layerNames must give ${layers} distinct names`, { field: 'layerNames' });
      }
      return [...options.layerNames];
    }
    const prefix = options.prefix === undefined || options.prefix === '' ? '' : `${options.prefix}.`;
    return Array.from({ length: layers }, (_, l) => `${prefix}${2 * l}`);
  }

  #initialise(options: MlpOptions): void {
    const init = options.init;
    if (init === 'none') return;
    if (init === undefined && options.rng === undefined) {
      throw new ValidationError(
        "Mlp needs an `init` function, an `rng` for PyTorch's default init, or init: 'none'",
        {
          field: 'init',
        },
      );
    }
    const layers = this.sizes.length - 1;
    for (let l = 0; l < layers; l++) {
      const inFeatures = this.sizes[l];
      const outFeatures = this.sizes[l + 1];
      const weight = this.#weights[l].data;
      const bias = this.#biases[l].data;
      if (init === undefined) {
        torchLinearDefaultInit(weight, bias, outFeatures, inFeatures, options.rng!);
      } else {
        init({
          index: l,
          name: this.layerNames[l],
          inFeatures,
          outFeatures,
          isOutput: l === layers - 1,
          weight,
          bias,
        });
      }
    }
  }

  get inFeatures(): number {
    return this.sizes[0];
  }

  get outFeatures(): number {
    return this.sizes[this.sizes.length - 1];
  }

  /** Number of Linear layers. */
  get depth(): number {
    return this.sizes.length - 1;
  }

  /** Rows of training working memory currently allocated. */
  get batchCapacity(): number {
    return this.#train.capacity;
  }

  /** All parameters in torch order: layer 0 weight, layer 0 bias, layer 1 weight, … */
  params(): readonly Param[] {
    return this.#params;
  }

  /** Total number of scalar parameters. */
  get numParams(): number {
    let n = 0;
    for (const p of this.#params) n += p.size;
    return n;
  }

  weight(layer: number): Param {
    return this.#weights[this.#layer(layer)];
  }

  bias(layer: number): Param {
    return this.#biases[this.#layer(layer)];
  }

  #layer(layer: number): number {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.depth) {
      throw new ValidationError(`layer must be in [0, ${this.depth}), got ${layer}`, { field: 'layer' });
    }
    return layer;
  }

  /** Zeroes every gradient (torch's `zero_grad(set_to_none=False)`). */
  zeroGrad(): void {
    for (const p of this.#params) p.grad.fill(0);
  }

  /** Allocates working memory for `batch` rows now rather than at the first call that needs it. */
  reserve(batch: number, forPredict = false): void {
    this.#checkBatch(batch);
    if (forPredict) this.#inferFor(batch);
    else this.#trainFor(batch);
  }

  /**
   * The training input buffer for `batch` rows, to fill in place (e.g. a critic's [obs, action]
   * rows) and pass to `forward`, which then skips its copy. Valid until the next reserve.
   */
  inputView(batch: number): Float32Array {
    this.#checkBatch(batch);
    return this.#trainFor(batch).input.get(batch);
  }

  /** The buffer `backward` reads dL/d(output) from, to fill in place; same contract as inputView. */
  outputGradView(batch: number): Float32Array {
    this.#checkBatch(batch);
    return this.#trainFor(batch).outputGrad!.get(batch);
  }

  /**
   * Training forward pass on `batch` rows of x ([batch, in] row-major; longer arrays are read
   * up to batch·in). Keeps the activations for `backward`. Returns a view of the output
   * [batch, out], valid until the next forward.
   */
  forward(x: Float32Array, batch: number): Float32Array {
    this.#checkBatch(batch);
    const ws = this.#trainFor(batch);
    this.#run(ws, x, batch);
    this.#forwardBatch = batch;
    return ws.output.get(batch);
  }

  /**
   * Inference forward pass (e.g. act() on one observation) in separate buffers: does not
   * disturb a pending backward. Returns a view of the output, valid until the next predict.
   */
  predict(x: Float32Array, batch: number): Float32Array {
    this.#checkBatch(batch);
    const ws = this.#inferFor(batch);
    this.#run(ws, x, batch);
    return ws.output.get(batch);
  }

  /**
   * Backward pass for the last `forward` (same batch): accumulates dL/dθ into every
   * parameter's grad, given dL/d(output) in dOut [batch, out].
   */
  backward(dOut: Float32Array, batch: number): void {
    this.#backward(dOut, batch, false, true);
  }

  /**
   * Backward pass returning dL/d(input) [batch, in] (a view, valid until the next backward),
   * e.g. the gradient of a critic with respect to its action input. Parameter gradients are
   * accumulated too only when `accumulateParamGrads` is true.
   */
  backwardInput(dOut: Float32Array, batch: number, accumulateParamGrads = false): Float32Array {
    this.#backward(dOut, batch, true, accumulateParamGrads);
    return this.#train.inputGrad!.get(batch);
  }

  #checkBatch(batch: number): void {
    if (!Number.isInteger(batch) || batch < 1) {
      throw new ValidationError(`batch must be a positive integer, got ${batch}`, { field: 'batch' });
    }
  }

  /** Buffers for `capacity` rows, with the kernels' working space reserved for them too. */
  #workspace(capacity: number, withGrads: boolean): Workspace {
    for (let l = 0; l < this.depth; l++)
      this.arena.kernels.reserve(capacity, this.sizes[l], this.sizes[l + 1]);
    return new Workspace(this.arena, this.sizes, capacity, withGrads);
  }

  #trainFor(batch: number): Workspace {
    if (batch > this.#train.capacity) {
      this.#train = this.#workspace(Math.max(batch, 2 * this.#train.capacity), true);
      this.#forwardBatch = -1;
    }
    return this.#train;
  }

  #inferFor(batch: number): Workspace {
    if (this.#infer === null || batch > this.#infer.capacity) {
      const cap = this.#infer === null ? batch : Math.max(batch, 2 * this.#infer.capacity);
      this.#infer = this.#workspace(cap, false);
    }
    return this.#infer;
  }

  #run(ws: Workspace, x: Float32Array, batch: number): void {
    const k = this.arena.kernels;
    const acts = ws.acts;
    load(x, acts[0].data, batch * this.sizes[0], 'x');
    const layers = this.depth;
    for (let l = 0; l < layers; l++) {
      k.linearForward(
        acts[l].data,
        this.#weights[l].data,
        this.#biases[l].data,
        acts[l + 1].data,
        batch,
        this.sizes[l],
        this.sizes[l + 1],
        this.#layerActivation[l],
      );
    }
  }

  #backward(dOut: Float32Array, batch: number, wantInput: boolean, wantParams: boolean): void {
    this.#checkBatch(batch);
    if (batch !== this.#forwardBatch) {
      throw new StateError(
        this.#forwardBatch < 0
          ? 'backward() needs a preceding forward()'
          : `backward() batch ${batch} differs from the preceding forward() batch ${this.#forwardBatch}`,
      );
    }
    const k = this.arena.kernels;
    const ws = this.#train;
    const acts = ws.acts;
    const deltas = ws.deltas!;
    const layers = this.depth;
    const last = deltas[layers].data;
    load(dOut, last, batch * this.outFeatures, 'dOut');
    if (this.outputActivation !== 'identity') {
      k.activationBackward(acts[layers].data, last, batch * this.outFeatures, this.outputActivation);
    }
    for (let l = layers - 1; l >= 0; l--) {
      const dy = deltas[l + 1].data;
      const inF = this.sizes[l];
      const outF = this.sizes[l + 1];
      if (wantParams) {
        k.linearBackwardParams(
          dy,
          acts[l].data,
          this.#weights[l].grad,
          this.#biases[l].grad,
          batch,
          inF,
          outF,
        );
      }
      if (l > 0 || wantInput) {
        const dx = deltas[l].data;
        k.linearBackwardInput(dy, this.#weights[l].data, dx, batch, inF, outF);
        if (l > 0) k.activationBackward(acts[l].data, dx, batch * inF, this.activation);
      }
    }
  }
}

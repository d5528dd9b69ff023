/**
 * The dense-network kernels bound to an arena: the WebAssembly SIMD implementation
 * (src/nn/assembly/kernels.ts, f32x4 with a 4×8 register block, and a form that skips the
 * zeros of a ReLU-sparse operand) or the plain-TypeScript reference (kernels-ref.ts). Both
 * implement `DenseKernels` (kernels-common.ts) on Float32Array views; the SIMD one requires its
 * arrays to be views of its arena's memory, and turns them into byte offsets for the module.
 */
import { ValidationError } from '../errors.js';
import {
  type Activation,
  activationCode,
  checkCount,
  checkDims,
  checkLinearBackwardInput,
  checkLinearBackwardParams,
  checkLinearForward,
  checkSameLength,
  type DenseKernels,
} from './kernels-common.js';
import { RefKernels } from './kernels-ref.js';
import type { Arena, Tensor } from './tensor.js';
import { type Backend, instantiateKernels, type KernelExports } from './wasm/loader.js';

export {
  ACTIVATION_CODE,
  type Activation,
  activationCode,
  type DenseKernels,
} from './kernels-common.js';
export { RefKernels } from './kernels-ref.js';
export { type Backend, DEFAULT_BACKEND, wasmAvailable } from './wasm/loader.js';

/** SIMD kernels over one arena's memory. */
export class WasmKernels implements DenseKernels {
  readonly backend = 'wasm' as const;
  readonly #wasm: KernelExports;
  readonly #arena: Arena;
  /**
   * Working space of the products (Wᵀ and packed row blocks), grown to the largest layer and
   * batch seen; `reserve` lets callers grow it up front.
   */
  #scratch: Tensor | null = null;
  #scratchFloats = 0;
  readonly uniformBatchFrom: number;

  constructor(wasm: KernelExports, arena: Arena) {
    this.#wasm = wasm;
    this.#arena = arena;
    this.uniformBatchFrom = wasm.uniform_batch_from();
  }

  /** Byte offset of `a`, which must be a view of this arena's memory. */
  #ptr(a: Float32Array, name: string): number {
    if (a.buffer !== this.#arena.buffer) {
      throw new ValidationError(
        `${name} is not a view of this arena's memory (allocate it from the arena, or re-read tensor.data after the arena grew)`,
        { field: name },
      );
    }
    return a.byteOffset;
  }

  #optPtr(a: Float32Array | null, name: string): number {
    return a === null ? 0 : this.#ptr(a, name);
  }

  reserve(batch: number, inDim: number, outDim: number): void {
    checkDims(batch, inDim, outDim);
    this.#scratchPtr(batch, inDim, outDim);
  }

  /** Byte offset of a scratch area large enough for this shape (allocating if it is not). */
  #scratchPtr(batch: number, inDim: number, outDim: number): number {
    const floats = this.#wasm.scratch_floats(batch, inDim, outDim);
    if (floats > this.#scratchFloats || this.#scratch === null) {
      this.#scratch = this.#arena.alloc([Math.max(floats, 2 * this.#scratchFloats, 4)]);
      this.#scratchFloats = this.#scratch.length;
    }
    return this.#scratch.byteOffset;
  }

  linearForward(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    batch: number,
    inDim: number,
    outDim: number,
    activation: Activation,
  ): void {
    checkLinearForward(x, w, bias, y, batch, inDim, outDim);
    const code = activationCode(activation);
    // Offsets first: growing the scratch may grow the memory and detach these views, but
    // their offsets stay valid.
    const px = this.#ptr(x, 'x');
    const pw = this.#ptr(w, 'w');
    const pb = this.#optPtr(bias, 'bias');
    const py = this.#ptr(y, 'y');
    const scratch = this.#scratchPtr(batch, inDim, outDim);
    this.#wasm.linear_forward(px, pw, pb, py, batch, inDim, outDim, code, scratch);
  }

  linearBackwardInput(
    dy: Float32Array,
    w: Float32Array,
    dx: Float32Array,
    batch: number,
    inDim: number,
    outDim: number,
  ): void {
    checkLinearBackwardInput(dy, w, dx, batch, inDim, outDim);
    const pdy = this.#ptr(dy, 'dy');
    const pw = this.#ptr(w, 'w');
    const pdx = this.#ptr(dx, 'dx');
    const scratch = this.#scratchPtr(batch, inDim, outDim);
    this.#wasm.linear_backward_input(pdy, pw, pdx, batch, inDim, outDim, scratch);
  }

  linearBackwardParams(
    dy: Float32Array,
    x: Float32Array,
    dw: Float32Array,
    db: Float32Array | null,
    batch: number,
    inDim: number,
    outDim: number,
  ): void {
    checkLinearBackwardParams(dy, x, dw, db, batch, inDim, outDim);
    const pdy = this.#ptr(dy, 'dy');
    const px = this.#ptr(x, 'x');
    const pdw = this.#ptr(dw, 'dw');
    const pdb = this.#optPtr(db, 'db');
    const scratch = this.#scratchPtr(batch, inDim, outDim);
    this.#wasm.linear_backward_params(pdy, px, pdw, pdb, batch, inDim, outDim, scratch);
  }

  activationForward(x: Float32Array, n: number, activation: Activation): void {
    checkCount(n, x);
    this.#wasm.activation_forward(this.#ptr(x, 'x'), n, activationCode(activation));
  }

  activationBackward(y: Float32Array, dy: Float32Array, n: number, activation: Activation): void {
    checkCount(n, y, dy);
    this.#wasm.activation_backward(this.#ptr(y, 'y'), this.#ptr(dy, 'dy'), n, activationCode(activation));
  }

  adamStep(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    stepSize: number,
    bc2Sqrt: number,
    eps: number,
    weightDecay: number,
  ): void {
    checkSameLength(p, g, m, v);
    this.#wasm.adam_step(
      this.#ptr(p, 'p'),
      this.#ptr(g, 'g'),
      this.#ptr(m, 'm'),
      this.#ptr(v, 'v'),
      p.length,
      oneMinusBeta1,
      beta2,
      oneMinusBeta2,
      stepSize,
      bc2Sqrt,
      eps,
      weightDecay,
    );
  }

  rmspropStep(
    p: Float32Array,
    g: Float32Array,
    squareAvg: Float32Array,
    gradAvg: Float32Array | null,
    momentumBuffer: Float32Array | null,
    lr: number,
    alpha: number,
    oneMinusAlpha: number,
    eps: number,
    weightDecay: number,
    momentum: number,
    epsInsideSqrt: boolean,
  ): void {
    checkSameLength(p, g, squareAvg, gradAvg, momentumBuffer);
    const useMomentum = momentumBuffer !== null && momentum > 0;
    this.#wasm.rmsprop_step(
      this.#ptr(p, 'p'),
      this.#ptr(g, 'g'),
      this.#ptr(squareAvg, 'squareAvg'),
      this.#optPtr(gradAvg, 'gradAvg'),
      this.#optPtr(momentumBuffer, 'momentumBuffer'),
      p.length,
      lr,
      alpha,
      oneMinusAlpha,
      eps,
      weightDecay,
      useMomentum ? momentum : 0,
      gradAvg === null ? 0 : 1,
      epsInsideSqrt ? 1 : 0,
    );
  }

  sumSquares(x: Float32Array): number {
    return this.#wasm.sum_squares(this.#ptr(x, 'x'), x.length);
  }

  scale(x: Float32Array, s: number): void {
    this.#wasm.scale(this.#ptr(x, 'x'), x.length, s);
  }

  polyak(target: Float32Array, source: Float32Array, keep: number, tau: number): void {
    checkSameLength(target, source);
    this.#wasm.polyak(this.#ptr(target, 'target'), this.#ptr(source, 'source'), target.length, keep, tau);
  }
}

/**
 * The kernels for a new arena, and the first byte the arena may allocate (the wasm module's
 * static data lies below it). Called by the Arena constructor; must not allocate from it.
 */
export function createKernels(backend: Backend, arena: Arena): { kernels: DenseKernels; heapBase: number } {
  if (backend === 'ref') return { kernels: new RefKernels(), heapBase: 0 };
  if (backend !== 'wasm') {
    throw new ValidationError(`backend must be 'wasm' or 'ref', got '${String(backend)}'`, {
      field: 'backend',
    });
  }
  const wasm = instantiateKernels(arena.memory);
  return { kernels: new WasmKernels(wasm, arena), heapBase: wasm.heapBase() };
}

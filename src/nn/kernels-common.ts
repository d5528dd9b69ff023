/**
 * The contract shared by the two implementations of the dense-network kernels: the SIMD
 * WebAssembly one (src/nn/kernels.ts over src/nn/assembly/kernels.ts) and the plain-TypeScript
 * reference (src/nn/kernels-ref.ts). Same signatures, same argument checks, same results up to
 * float32 rounding (the elementwise optimiser kernels agree bit for bit).
 *
 * Layouts follow torch.nn.Linear: a weight is [out, in] row-major, a bias [out], and a batch of
 * inputs/outputs is [batch, features] row-major. Matrix arguments may be longer than needed
 * (capacity-sized buffers); only the leading batch·features elements are read or written.
 * Outputs must not overlap inputs.
 */
import { ValidationError } from '../errors.js';
import type { Backend } from './wasm/loader.js';

export type Activation = 'identity' | 'tanh' | 'relu';

/** Numeric codes of the activations in the WebAssembly kernels. */
export const ACTIVATION_CODE: Readonly<Record<Activation, number>> = Object.freeze({
  identity: 0,
  tanh: 1,
  relu: 2,
});

export function activationCode(activation: Activation): number {
  const code = ACTIVATION_CODE[activation];
  if (code === undefined) {
    throw new ValidationError(`activation must be identity, tanh or relu, got '${String(activation)}'`, {
      field: 'activation',
    });
  }
  return code;
}

export interface DenseKernels {
  readonly backend: Backend;
  /**
   * linearForward gives each row the same bits for every batch of at least this many rows (a
   * smaller batch may sum in another order), so rows may be computed in a smaller batch and
   * still match.
   */
  readonly uniformBatchFrom: number;

  /** y[b, o] = act(Σ_i x[b, i]·w[o, i] + bias[o]) for b < batch (bias may be null). */
  linearForward(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    batch: number,
    inDim: number,
    outDim: number,
    activation: Activation,
  ): void;

  /** dx[b, i] = Σ_o dy[b, o]·w[o, i] (overwrites dx): the gradient through a Linear layer. */
  linearBackwardInput(
    dy: Float32Array,
    w: Float32Array,
    dx: Float32Array,
    batch: number,
    inDim: number,
    outDim: number,
  ): void;

  /** dw[o, i] += Σ_b dy[b, o]·x[b, i] and db[o] += Σ_b dy[b, o] (db may be null). */
  linearBackwardParams(
    dy: Float32Array,
    x: Float32Array,
    dw: Float32Array,
    db: Float32Array | null,
    batch: number,
    inDim: number,
    outDim: number,
  ): void;

  /** In place: x[j] = act(x[j]) for j < n. */
  activationForward(x: Float32Array, n: number, activation: Activation): void;

  /**
   * In place: dy[j] *= act'(z[j]), expressed through the activation's output y = act(z):
   * tanh' = 1 − y², relu' = [y > 0], identity' = 1.
   */
  activationBackward(y: Float32Array, dy: Float32Array, n: number, activation: Activation): void;

  /**
   * One Adam step over p (PyTorch's single-tensor order; see optim.ts): with g' = g + wd·p,
   * m += (1−β1)(g' − m); v = β2·v + (1−β2)·g'²; p −= stepSize·m / (√v / bc2Sqrt + eps).
   */
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
  ): void;

  /**
   * One RMSprop step over p (see optim.ts). gradAvg is used when centred, momentumBuffer when
   * momentum > 0; pass null otherwise. epsInsideSqrt selects SB3's RMSpropTFLike denominator.
   */
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
  ): void;

  /** Σ x[j]², accumulated in float64. */
  sumSquares(x: Float32Array): number;

  /** x[j] *= s. */
  scale(x: Float32Array, s: number): void;

  /** target = target·keep + source·tau, in that order (SB3's polyak_update with keep = 1 − tau). */
  polyak(target: Float32Array, source: Float32Array, keep: number, tau: number): void;

  /**
   * Allocates now the working space the products need for a layer of this shape at up to this
   * batch (otherwise allocated at the first call that needs it; no-op for the reference).
   */
  reserve(batch: number, inDim: number, outDim: number): void;
}

function fail(message: string, field: string): never {
  throw new ValidationError(message, { field });
}

export function checkDims(batch: number, inDim: number, outDim: number): void {
  if (!(Number.isInteger(batch) && batch >= 0))
    fail(`batch must be a non-negative integer, got ${batch}`, 'batch');
  if (!(Number.isInteger(inDim) && inDim >= 1))
    fail(`inDim must be a positive integer, got ${inDim}`, 'inDim');
  if (!(Number.isInteger(outDim) && outDim >= 1)) {
    fail(`outDim must be a positive integer, got ${outDim}`, 'outDim');
  }
}

export function checkLength(name: string, a: Float32Array, need: number): void {
  if (a.length < need) fail(`${name} has ${a.length} elements, needs at least ${need}`, name);
}

// Fixed arities, not rest parameters: these run on every kernel call and must not allocate.

export function checkCount(n: number, a: Float32Array, b: Float32Array | null = null): void {
  if (!(Number.isInteger(n) && n >= 0)) fail(`n must be a non-negative integer, got ${n}`, 'n');
  if (a.length < n || (b !== null && b.length < n)) fail(`array shorter than n = ${n}`, 'n');
}

export function checkSameLength(
  p: Float32Array,
  a: Float32Array | null,
  b: Float32Array | null = null,
  c: Float32Array | null = null,
  d: Float32Array | null = null,
): void {
  const n = p.length;
  if (
    (a !== null && a.length !== n) ||
    (b !== null && b.length !== n) ||
    (c !== null && c.length !== n) ||
    (d !== null && d.length !== n)
  ) {
    fail(`arrays must all have ${n} elements`, 'length');
  }
}

/** Argument checks of `linearForward` (y = act(x·Wᵀ + b)), shared by both backends. */
export function checkLinearForward(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  batch: number,
  inDim: number,
  outDim: number,
): void {
  checkDims(batch, inDim, outDim);
  checkLength('x', x, batch * inDim);
  checkLength('w', w, outDim * inDim);
  if (bias !== null) checkLength('bias', bias, outDim);
  checkLength('y', y, batch * outDim);
}

/** Argument checks of `linearBackwardInput` (dX = dY·W), shared by both backends. */
export function checkLinearBackwardInput(
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  batch: number,
  inDim: number,
  outDim: number,
): void {
  checkDims(batch, inDim, outDim);
  checkLength('dy', dy, batch * outDim);
  checkLength('w', w, outDim * inDim);
  checkLength('dx', dx, batch * inDim);
}

/** Argument checks of `linearBackwardParams` (dW += dYᵀ·X, db += Σ dY), shared by both backends. */
export function checkLinearBackwardParams(
  dy: Float32Array,
  x: Float32Array,
  dw: Float32Array,
  db: Float32Array | null,
  batch: number,
  inDim: number,
  outDim: number,
): void {
  checkDims(batch, inDim, outDim);
  checkLength('dy', dy, batch * outDim);
  checkLength('x', x, batch * inDim);
  checkLength('dw', dw, outDim * inDim);
  if (db !== null) checkLength('db', db, outDim);
}

/**
 * Optimisers and parameter-vector operations over `Param`s, following PyTorch (and SB3's use
 * of it):
 *
 * - `Adam`: torch.optim.Adam (Kingma & Ba 2015) in the order of its single-tensor CPU path:
 *   m ← lerp(m, g, 1 − β1); v ← β2·v + (1 − β2)·g²; bias corrections bc1 = 1 − β1^t,
 *   bc2 = 1 − β2^t (float64); p ← p − (lr / bc1)·m / (√v / √bc2 + eps). eps defaults to
 *   torch's 1e-8; SB3's PPO and A2C policies pass 1e-5.
 * - `RMSprop`: torch.optim.RMSprop: sq ← α·sq + (1 − α)·g², p ← p − lr·g / (√sq + eps);
 *   optional centring and momentum. SB3's A2C uses it by default with α = 0.99, eps = 1e-5
 *   (`use_rms_prop=True`). `RMSpropTFLike` is SB3's sb2_compat variant (what Stable Baselines 2
 *   / TensorFlow did): sq starts at ones instead of zeros and eps goes inside the root,
 *   √(sq + eps).
 * - `clipGradNorm`: torch.nn.utils.clip_grad_norm_: the global L2 norm over all gradients;
 *   when it exceeds maxNorm every gradient is scaled by maxNorm / (norm + 1e-6).
 * - `softUpdate`: SB3's polyak_update, target ← (1 − τ)·target + τ·source; `hardUpdate` copies.
 *
 * State tensors live in each parameter's arena, and the updates run in its kernels (SIMD
 * unless the arena uses the reference backend). `step()` allocates nothing.
 */
import { ValidationError } from '../errors.js';
import type { Param, Tensor } from './tensor.js';

function checkParams(params: readonly Param[]): void {
  if (!Array.isArray(params) || params.length === 0) {
    throw new ValidationError('optimiser needs at least one parameter', { field: 'params' });
  }
  if (new Set(params).size !== params.length) {
    throw new ValidationError('a parameter is listed twice', { field: 'params' });
  }
}

function checkNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new ValidationError(`${name} must be a finite non-negative number, got ${value}`, { field: name });
  }
}

function checkUnit(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0 || value >= 1) {
    throw new ValidationError(`${name} must be in [0, 1), got ${value}`, { field: name });
  }
}

export interface AdamOptions {
  /** Learning rate (default 1e-3, torch's). `step(lr)` may override it per step (schedules). */
  lr?: number;
  /** (β1, β2), default (0.9, 0.999). */
  betas?: readonly [number, number];
  /** Added to √v̂; default 1e-8 (torch). SB3 PPO/A2C use 1e-5. */
  eps?: number;
  /** L2 penalty added to the gradient (torch Adam's weight_decay, not AdamW); default 0. */
  weightDecay?: number;
}

export class Adam {
  readonly params: readonly Param[];
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly #m: Tensor[];
  readonly #v: Tensor[];
  #t = 0;

  constructor(params: readonly Param[], options: AdamOptions = {}) {
    checkParams(params);
    this.params = Object.freeze([...params]);
    this.lr = options.lr ?? 1e-3;
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    checkNonNegative('lr', this.lr);
    checkUnit('beta1', this.beta1);
    checkUnit('beta2', this.beta2);
    checkNonNegative('eps', this.eps);
    checkNonNegative('weightDecay', this.weightDecay);
    this.#m = this.params.map((p) => p.arena.alloc(p.shape));
    this.#v = this.params.map((p) => p.arena.alloc(p.shape));
  }

  /** Number of steps taken (torch's state['step']). */
  get stepCount(): number {
    return this.#t;
  }

  /** First and second moment estimates of parameter i (exp_avg, exp_avg_sq). */
  moments(i: number): { m: Float32Array; v: Float32Array } {
    return { m: this.#m[i].data, v: this.#v[i].data };
  }

  /** One update from the current gradients. */
  step(lr: number = this.lr): void {
    checkNonNegative('lr', lr);
    this.#t++;
    const bc1 = 1 - this.beta1 ** this.#t;
    const bc2 = 1 - this.beta2 ** this.#t;
    const stepSize = lr / bc1;
    const bc2Sqrt = Math.sqrt(bc2);
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      p.arena.kernels.adamStep(
        p.data,
        p.grad,
        this.#m[i].data,
        this.#v[i].data,
        1 - this.beta1,
        this.beta2,
        1 - this.beta2,
        stepSize,
        bc2Sqrt,
        this.eps,
        this.weightDecay,
      );
    }
  }

  zeroGrad(): void {
    zeroGrad(this.params);
  }
}

export interface RMSpropOptions {
  /** Learning rate (default 1e-2, torch's). */
  lr?: number;
  /** Smoothing constant α (default 0.99). */
  alpha?: number;
  /** Default 1e-8 (torch); SB3's A2C passes 1e-5. */
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

export class RMSprop {
  readonly params: readonly Param[];
  lr: number;
  readonly alpha: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly centered: boolean;
  /** Whether eps is added inside the square root (the TF / Stable Baselines 2 form). */
  readonly epsInsideSqrt: boolean;
  readonly #squareAvg: Tensor[];
  readonly #gradAvg: (Tensor | null)[];
  readonly #momentumBuffer: (Tensor | null)[];
  #t = 0;

  constructor(params: readonly Param[], options: RMSpropOptions = {}, tfLike = false) {
    checkParams(params);
    this.params = Object.freeze([...params]);
    this.lr = options.lr ?? 1e-2;
    this.alpha = options.alpha ?? 0.99;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.momentum = options.momentum ?? 0;
    this.centered = options.centered ?? false;
    this.epsInsideSqrt = tfLike;
    checkNonNegative('lr', this.lr);
    checkNonNegative('alpha', this.alpha);
    checkNonNegative('eps', this.eps);
    checkNonNegative('weightDecay', this.weightDecay);
    checkNonNegative('momentum', this.momentum);
    this.#squareAvg = this.params.map((p) => {
      const t = p.arena.alloc(p.shape);
      // SB3's RMSpropTFLike starts the running mean of g² at ones ("PyTorch initialized to zeros").
      if (tfLike) t.data.fill(1);
      return t;
    });
    this.#gradAvg = this.params.map((p) => (this.centered ? p.arena.alloc(p.shape) : null));
    this.#momentumBuffer = this.params.map((p) => (this.momentum > 0 ? p.arena.alloc(p.shape) : null));
  }

  get stepCount(): number {
    return this.#t;
  }

  /** The running mean of squared gradients of parameter i (square_avg). */
  squareAverage(i: number): Float32Array {
    return this.#squareAvg[i].data;
  }

  step(lr: number = this.lr): void {
    checkNonNegative('lr', lr);
    this.#t++;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      const ga = this.#gradAvg[i];
      const mb = this.#momentumBuffer[i];
      p.arena.kernels.rmspropStep(
        p.data,
        p.grad,
        this.#squareAvg[i].data,
        ga === null ? null : ga.data,
        mb === null ? null : mb.data,
        lr,
        this.alpha,
        1 - this.alpha,
        this.eps,
        this.weightDecay,
        this.momentum,
        this.epsInsideSqrt,
      );
    }
  }

  zeroGrad(): void {
    zeroGrad(this.params);
  }
}

/**
 * SB3's `RMSpropTFLike` (stable_baselines3.common.sb2_compat): RMSprop with the squared-gradient
 * average initialised to ones and eps inside the square root, as TensorFlow's RMSProp that
 * Stable Baselines 2 used.
 */
export class RMSpropTFLike extends RMSprop {
  constructor(params: readonly Param[], options: RMSpropOptions = {}) {
    super(params, options, true);
  }
}

/** Zeroes the gradients (torch's zero_grad with set_to_none=False). */
export function zeroGrad(params: readonly Param[]): void {
  for (const p of params) p.grad.fill(0);
}

/** The global L2 norm of all gradients (float64 accumulation). */
export function gradNorm(params: readonly Param[]): number {
  let sum = 0;
  for (const p of params) sum += p.arena.kernels.sumSquares(p.grad);
  return Math.sqrt(sum);
}

/**
 * torch.nn.utils.clip_grad_norm_ (L2): scales every gradient by maxNorm / (total + 1e-6) when
 * that factor is below 1 (torch clamps it at 1; a NaN/∞ norm propagates into the gradients as
 * in torch). Returns the total norm before clipping.
 */
export function clipGradNorm(params: readonly Param[], maxNorm: number): number {
  if (!(maxNorm > 0)) {
    throw new ValidationError(`maxNorm must be positive, got ${maxNorm}`, { field: 'maxNorm' });
  }
  const total = gradNorm(params);
  const coef = maxNorm / (total + 1e-6);
  if (!(coef >= 1)) {
    for (const p of params) p.arena.kernels.scale(p.grad, coef);
  }
  return total;
}

function checkPairs(target: readonly Param[], source: readonly Param[]): void {
  if (target.length !== source.length) {
    throw new ValidationError(`target has ${target.length} parameters, source ${source.length}`, {
      field: 'params',
    });
  }
  for (let i = 0; i < target.length; i++) {
    if (target[i].size !== source[i].size) {
      throw new ValidationError(
        `parameter ${i} (${target[i].name} ← ${source[i].name}) differs in size: ${target[i].size} vs ${source[i].size}`,
        { field: target[i].name },
      );
    }
  }
}

/**
 * Polyak averaging, SB3's polyak_update: target ← target·(1 − τ) + τ·source, parameter by
 * parameter (in that operation order). τ = 1 is a hard copy up to rounding; use hardUpdate.
 */
export function softUpdate(target: readonly Param[], source: readonly Param[], tau: number): void {
  if (!(tau >= 0 && tau <= 1)) {
    throw new ValidationError(`tau must be in [0, 1], got ${tau}`, { field: 'tau' });
  }
  checkPairs(target, source);
  const keep = 1 - tau;
  for (let i = 0; i < target.length; i++) {
    const t = target[i];
    const s = source[i];
    if (t.arena === s.arena) {
      t.arena.kernels.polyak(t.data, s.data, keep, tau);
    } else {
      // Different memories: the kernels cannot see both; same float32 operations in TypeScript.
      const td = t.data;
      const sd = s.data;
      const k = Math.fround(keep);
      const tf = Math.fround(tau);
      for (let j = 0; j < td.length; j++)
        td[j] = Math.fround(Math.fround(td[j] * k) + Math.fround(sd[j] * tf));
    }
  }
}

/** Copies source parameter values into target (e.g. a DQN target network update). */
export function hardUpdate(target: readonly Param[], source: readonly Param[]): void {
  checkPairs(target, source);
  for (let i = 0; i < target.length; i++) target[i].data.set(source[i].data);
}

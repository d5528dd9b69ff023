/**
 * Action distributions of SB3's MlpPolicy, as pure functions over flat row-major buffers:
 *
 * - Categorical over logits [batch, n] (SB3 `CategoricalDistribution`, torch `Categorical`):
 *   PPO and A2C on Discrete action spaces.
 * - Diagonal Gaussian with a state-independent `log_std` vector (SB3
 *   `DiagGaussianDistribution`): PPO and A2C on Box spaces. `log_std` is a parameter of the
 *   policy (state-dict key `log_std`), broadcast over the batch.
 *
 * Besides values (log-probabilities, entropies, modes, samples) every distribution has the
 * backward pass the policy-gradient update needs: given dLoss/dlogProb and dLoss/dEntropy
 * per row, the gradient wrt the logits, or wrt the mean and `log_std`.
 *
 * Squashing: SB3's PPO and A2C use the plain Gaussian (`squash_output=False`, no tanh) and
 * sample actions outside the Box bounds; the caller clips them to the bounds before
 * `env.step` while the unclipped sample is what is stored and scored by `log_prob`. Only
 * SAC / gSDE-with-squash use `SquashedDiagGaussianDistribution`, which is not provided here.
 *
 * Arithmetic is float64 throughout; outputs may be Float32Array or Float64Array. Nothing
 * is allocated, so these run inside rollout and update loops.
 */
import { ValidationError } from '../errors.js';

type Floats = Float32Array | Float64Array;
type Reals = ArrayLike<number>;

/** A source of `random()` in [0, 1), as numpy's `Generator.random` (e.g. `src/rng` Generator). */
export interface UniformSource {
  random(): number;
}

/** A source of standard normal draws, as numpy's `Generator.standard_normal`. */
export interface NormalSource {
  standardNormal(): number;
}

/** log(sqrt(2π)), the constant of torch `Normal.log_prob`. */
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
/** 0.5 + 0.5 log(2π), the constant of torch `Normal.entropy`. */
const GAUSSIAN_ENTROPY_CONST = 0.5 + LOG_SQRT_2PI;

function checkSize(what: string, buffer: { length: number }, expected: number): void {
  if (buffer.length < expected) {
    throw new ValidationError(`${what} has ${buffer.length} elements, needs at least ${expected}`, {
      field: what,
    });
  }
}

function checkDims(batch: number, n: number, nName: string): void {
  if (!Number.isInteger(batch) || batch < 0) {
    throw new ValidationError(`batch must be a non-negative integer, got ${batch}`, { field: 'batch' });
  }
  if (!Number.isInteger(n) || n < 1) {
    throw new ValidationError(`${nName} must be a positive integer, got ${n}`, { field: nName });
  }
}

function checkAction(action: number, n: number, row: number): void {
  if (!Number.isInteger(action) || action < 0 || action >= n) {
    throw new ValidationError(`action ${action} of row ${row} is not in [0, ${n})`, { field: 'actions' });
  }
}

/** max_j z[off + j]: the shift of the stable log-sum-exp. */
function rowMax(logits: Reals, off: number, n: number): number {
  let m = logits[off];
  for (let j = 1; j < n; j++) if (logits[off + j] > m) m = logits[off + j];
  return m;
}

/** log Σ_j exp(z[off + j] − m), with m = rowMax (so every term is ≤ 1 and the sum ≥ 1). */
function rowShiftedLogSumExp(logits: Reals, off: number, n: number, m: number): number {
  let s = 0;
  for (let j = 0; j < n; j++) s += Math.exp(logits[off + j] - m);
  return Math.log(s);
}

// ---------------------------------------------------------------------------------------
// Categorical
// ---------------------------------------------------------------------------------------

/** out[b, j] = z[b, j] − logsumexp_j z[b, ·], computed as (z − max) − log Σ exp(z − max). */
export function categoricalLogSoftmax(logits: Reals, batch: number, n: number, out: Floats): void {
  checkDims(batch, n, 'n');
  checkSize('logits', logits, batch * n);
  checkSize('out', out, batch * n);
  for (let b = 0, off = 0; b < batch; b++, off += n) {
    const m = rowMax(logits, off, n);
    const lse = rowShiftedLogSumExp(logits, off, n, m);
    for (let j = 0; j < n; j++) out[off + j] = logits[off + j] - m - lse;
  }
}

/** out[b, j] = softmax(z[b, ·])_j. */
export function categoricalProbs(logits: Reals, batch: number, n: number, out: Floats): void {
  checkDims(batch, n, 'n');
  checkSize('logits', logits, batch * n);
  checkSize('out', out, batch * n);
  for (let b = 0, off = 0; b < batch; b++, off += n) {
    const m = rowMax(logits, off, n);
    const lse = rowShiftedLogSumExp(logits, off, n, m);
    for (let j = 0; j < n; j++) out[off + j] = Math.exp(logits[off + j] - m - lse);
  }
}

/** out[b] = log softmax(z[b, ·])[actions[b]]. */
export function categoricalLogProb(
  logits: Reals,
  batch: number,
  n: number,
  actions: Reals,
  out: Floats,
): void {
  checkDims(batch, n, 'n');
  checkSize('logits', logits, batch * n);
  checkSize('actions', actions, batch);
  checkSize('out', out, batch);
  for (let b = 0, off = 0; b < batch; b++, off += n) {
    const a = actions[b];
    checkAction(a, n, b);
    const m = rowMax(logits, off, n);
    const lse = rowShiftedLogSumExp(logits, off, n, m);
    out[b] = logits[off + a] - m - lse;
  }
}

/**
 * out[b] = −Σ_j p_j log p_j. Terms with p_j = 0 (a logit of −∞, or underflow) contribute 0,
 * the limit of p log p, where torch's `Categorical.entropy` clamps the logit instead; both
 * give the same value.
 */
export function categoricalEntropy(logits: Reals, batch: number, n: number, out: Floats): void {
  checkDims(batch, n, 'n');
  checkSize('logits', logits, batch * n);
  checkSize('out', out, batch);
  for (let b = 0, off = 0; b < batch; b++, off += n) {
    const m = rowMax(logits, off, n);
    const lse = rowShiftedLogSumExp(logits, off, n, m);
    let h = 0;
    for (let j = 0; j < n; j++) {
      const lp = logits[off + j] - m - lse;
      const p = Math.exp(lp);
      if (p > 0) h -= p * lp;
    }
    out[b] = h;
  }
}

/** out[b] = argmax_j z[b, j], the first maximum on ties as `torch.argmax` (SB3's deterministic action). */
export function categoricalMode(logits: Reals, batch: number, n: number, out: Floats | Int32Array): void {
  checkDims(batch, n, 'n');
  checkSize('logits', logits, batch * n);
  checkSize('out', out, batch);
  for (let b = 0, off = 0; b < batch; b++, off += n) {
    let best = 0;
    let m = logits[off];
    for (let j = 1; j < n; j++) {
      if (logits[off + j] > m) {
        m = logits[off + j];
        best = j;
      }
    }
    out[b] = best;
  }
}

/**
 * One sample per row by inverse CDF with a single `rng.random()` draw u: the first j whose
 * normalised cumulative probability exceeds u. This is numpy's `Generator.choice(n, p=p)`
 * (cdf = cumsum(p) / cdf[-1]; searchsorted(u, side='right')), so the same generator state
 * and probabilities pick the same action as numpy does (up to rounding when u falls within
 * an ulp of a cdf boundary).
 */
export function categoricalSample(
  logits: Reals,
  batch: number,
  n: number,
  rng: UniformSource,
  out: Floats | Int32Array,
): void {
  checkDims(batch, n, 'n');
  checkSize('logits', logits, batch * n);
  checkSize('out', out, batch);
  for (let b = 0, off = 0; b < batch; b++, off += n) {
    const m = rowMax(logits, off, n);
    // Unnormalised cdf in exp(z − max) units; u·total is compared instead of cdf/total.
    let total = 0;
    for (let j = 0; j < n; j++) total += Math.exp(logits[off + j] - m);
    const target = rng.random() * total;
    let c = 0;
    let pick = -1;
    let lastPositive = 0;
    for (let j = 0; j < n; j++) {
      const w = Math.exp(logits[off + j] - m);
      if (w > 0) lastPositive = j;
      c += w;
      if (target < c) {
        pick = j;
        break;
      }
    }
    // Rounding can leave u·total ≥ the summed cdf; numpy then returns n (out of range) only
    // if cdf[-1] < u, impossible after its normalisation. The last non-zero category is ours.
    out[b] = pick >= 0 ? pick : lastPositive;
  }
}

/**
 * Backward of Σ_b dLogProb[b] · logProb_b(actions[b]) wrt the logits:
 * ∂ log p_a / ∂z_j = 1[j = a] − p_j. Writes into `gradLogits` [batch, n], or adds to it when
 * `accumulate` is true (to combine with the entropy term).
 */
export function categoricalLogProbBackward(
  logits: Reals,
  batch: number,
  n: number,
  actions: Reals,
  dLogProb: Reals,
  gradLogits: Floats,
  accumulate = false,
): void {
  checkDims(batch, n, 'n');
  checkSize('logits', logits, batch * n);
  checkSize('actions', actions, batch);
  checkSize('dLogProb', dLogProb, batch);
  checkSize('gradLogits', gradLogits, batch * n);
  for (let b = 0, off = 0; b < batch; b++, off += n) {
    const a = actions[b];
    checkAction(a, n, b);
    const g = dLogProb[b];
    const m = rowMax(logits, off, n);
    const lse = rowShiftedLogSumExp(logits, off, n, m);
    for (let j = 0; j < n; j++) {
      const p = Math.exp(logits[off + j] - m - lse);
      const d = g * ((j === a ? 1 : 0) - p);
      gradLogits[off + j] = accumulate ? gradLogits[off + j] + d : d;
    }
  }
}

/**
 * Backward of Σ_b dEntropy[b] · H_b wrt the logits: ∂H/∂z_k = −p_k (log p_k + H).
 * (From H = −Σ p_j log p_j and ∂p_j/∂z_k = p_j (1[j = k] − p_k).) `dEntropy` is per row or
 * one number for all rows (e.g. −ent_coef / batch for SB3's entropy loss −mean(H)).
 */
export function categoricalEntropyBackward(
  logits: Reals,
  batch: number,
  n: number,
  dEntropy: Reals | number,
  gradLogits: Floats,
  accumulate = false,
): void {
  checkDims(batch, n, 'n');
  checkSize('logits', logits, batch * n);
  if (typeof dEntropy !== 'number') checkSize('dEntropy', dEntropy, batch);
  checkSize('gradLogits', gradLogits, batch * n);
  for (let b = 0, off = 0; b < batch; b++, off += n) {
    const g = typeof dEntropy === 'number' ? dEntropy : dEntropy[b];
    const m = rowMax(logits, off, n);
    const lse = rowShiftedLogSumExp(logits, off, n, m);
    let h = 0;
    for (let j = 0; j < n; j++) {
      const lp = logits[off + j] - m - lse;
      const p = Math.exp(lp);
      if (p > 0) h -= p * lp;
    }
    for (let j = 0; j < n; j++) {
      const lp = logits[off + j] - m - lse;
      const p = Math.exp(lp);
      const d = p > 0 ? -g * p * (lp + h) : 0;
      gradLogits[off + j] = accumulate ? gradLogits[off + j] + d : d;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Diagonal Gaussian with state-independent log_std
// ---------------------------------------------------------------------------------------

/**
 * out[b] = Σ_i log N(actions[b, i]; mean[b, i], exp(logStd[i])²), torch `Normal.log_prob`
 * −(a − μ)² / (2σ²) − log σ − log √(2π) summed over action dimensions as SB3's
 * `sum_independent_dims`.
 */
export function diagGaussianLogProb(
  mean: Reals,
  logStd: Reals,
  batch: number,
  dim: number,
  actions: Reals,
  out: Floats,
): void {
  checkDims(batch, dim, 'dim');
  checkSize('mean', mean, batch * dim);
  checkSize('logStd', logStd, dim);
  checkSize('actions', actions, batch * dim);
  checkSize('out', out, batch);
  for (let b = 0, off = 0; b < batch; b++, off += dim) {
    let s = 0;
    for (let i = 0; i < dim; i++) {
      const ls = logStd[i];
      const z = (actions[off + i] - mean[off + i]) * Math.exp(-ls);
      s += -0.5 * z * z - ls - LOG_SQRT_2PI;
    }
    out[b] = s;
  }
}

/**
 * Entropy of the diagonal Gaussian, Σ_i (0.5 + 0.5 log 2π + logStd[i]) (torch `Normal.entropy`
 * summed over dimensions). It does not depend on the mean, so it is one number for every row.
 */
export function diagGaussianEntropy(logStd: Reals, dim: number): number {
  checkDims(0, dim, 'dim');
  checkSize('logStd', logStd, dim);
  let s = 0;
  for (let i = 0; i < dim; i++) s += GAUSSIAN_ENTROPY_CONST + logStd[i];
  return s;
}

/** The deterministic action: the mean itself (SB3 `DiagGaussianDistribution.mode`). */
export function diagGaussianMode(mean: Reals, batch: number, dim: number, out: Floats): void {
  checkDims(batch, dim, 'dim');
  checkSize('mean', mean, batch * dim);
  checkSize('out', out, batch * dim);
  for (let k = 0; k < batch * dim; k++) out[k] = mean[k];
}

/**
 * out[b, i] = mean[b, i] + exp(logStd[i]) · ε, with ε drawn by `rng.standardNormal()` in
 * row-major order (torch's `rsample`, loc + scale · N(0, 1)). Unclipped: see the header.
 */
export function diagGaussianSample(
  mean: Reals,
  logStd: Reals,
  batch: number,
  dim: number,
  rng: NormalSource,
  out: Floats,
): void {
  checkDims(batch, dim, 'dim');
  checkSize('mean', mean, batch * dim);
  checkSize('logStd', logStd, dim);
  checkSize('out', out, batch * dim);
  for (let b = 0, off = 0; b < batch; b++, off += dim) {
    for (let i = 0; i < dim; i++) out[off + i] = mean[off + i] + Math.exp(logStd[i]) * rng.standardNormal();
  }
}

/**
 * Backward of Σ_b dLogProb[b] · logProb_b wrt the mean [batch, dim] and `log_std` [dim]:
 * ∂ log p / ∂μ_i = (a_i − μ_i) / σ_i² and ∂ log p / ∂ log σ_i = (a_i − μ_i)² / σ_i² − 1.
 * The `log_std` gradient is summed over the batch because the parameter is shared by all
 * rows. Writes, or adds when `accumulate` is true.
 */
export function diagGaussianLogProbBackward(
  mean: Reals,
  logStd: Reals,
  batch: number,
  dim: number,
  actions: Reals,
  dLogProb: Reals,
  gradMean: Floats,
  gradLogStd: Floats,
  accumulate = false,
): void {
  checkDims(batch, dim, 'dim');
  checkSize('mean', mean, batch * dim);
  checkSize('logStd', logStd, dim);
  checkSize('actions', actions, batch * dim);
  checkSize('dLogProb', dLogProb, batch);
  checkSize('gradMean', gradMean, batch * dim);
  checkSize('gradLogStd', gradLogStd, dim);
  if (!accumulate) for (let i = 0; i < dim; i++) gradLogStd[i] = 0;
  for (let b = 0, off = 0; b < batch; b++, off += dim) {
    const g = dLogProb[b];
    for (let i = 0; i < dim; i++) {
      const invStd = Math.exp(-logStd[i]);
      const z = (actions[off + i] - mean[off + i]) * invStd; // standardised residual
      const dMean = g * z * invStd;
      gradMean[off + i] = accumulate ? gradMean[off + i] + dMean : dMean;
      gradLogStd[i] += g * (z * z - 1);
    }
  }
}

/**
 * Backward of Σ_b dEntropy[b] · H wrt `log_std`: ∂H/∂ log σ_i = 1 for every row, so each
 * component receives Σ_b dEntropy[b] (or batch · dEntropy for a scalar). The mean gets no
 * gradient from the entropy.
 */
export function diagGaussianEntropyBackward(
  batch: number,
  dim: number,
  dEntropy: Reals | number,
  gradLogStd: Floats,
  accumulate = false,
): void {
  checkDims(batch, dim, 'dim');
  checkSize('gradLogStd', gradLogStd, dim);
  let total = 0;
  if (typeof dEntropy === 'number') total = dEntropy * batch;
  else {
    checkSize('dEntropy', dEntropy, batch);
    for (let b = 0; b < batch; b++) total += dEntropy[b];
  }
  for (let i = 0; i < dim; i++) gradLogStd[i] = accumulate ? gradLogStd[i] + total : total;
}

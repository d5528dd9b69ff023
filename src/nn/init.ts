/**
 * Weight initialisers for torch-layout Linear layers (weight [out, in] row-major, bias
 * [out]), drawing from a seeded numpy-compatible Generator:
 *
 * - `orthogonalInit`: `torch.nn.init.orthogonal_(w, gain)` (Saxe et al. 2013). SB3's
 *   ActorCriticPolicy (PPO, A2C) applies it with gain √2 to the hidden layers, 0.01 to
 *   `action_net` and 1 to `value_net`, biases 0 (`BasePolicy.init_weights`,
 *   `ActorCriticPolicy._build`'s `module_gains`; values from OpenAI baselines).
 * - `xavierUniformInit`: `torch.nn.init.xavier_uniform_` (Glorot & Bengio 2010).
 * - `torchLinearDefaultInit`: `nn.Linear.reset_parameters`, i.e. `kaiming_uniform_(a=√5)`
 *   for the weight and U(−1/√fan_in, 1/√fan_in) for the bias. SB3's DQN and DDPG/TD3
 *   networks keep this default.
 *
 * The draws are numpy's (`standard_normal`, `random`), not torch's CPU generator, so the
 * same seed gives different numbers than PyTorch; the distributions and the algorithm are
 * PyTorch's. Draws are made in float64 and rounded once into the (usually float32) weight.
 */
import { ValidationError } from '../errors.js';
import type { NormalSource, UniformSource } from './distributions.js';

type Floats = Float32Array | Float64Array;

/** SB3's orthogonal-init gains for PPO/A2C (`ActorCriticPolicy._build`). */
export const SB3_ORTHO_GAINS = {
  /** mlp_extractor (policy and value hidden layers) and the features extractor. */
  hidden: Math.SQRT2,
  /** action_net: near-zero logits / means so the initial policy is near uniform / centred. */
  policyHead: 0.01,
  /** value_net. */
  valueHead: 1,
} as const;

function checkLayer(what: string, buf: { length: number }, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1) {
    throw new ValidationError(`${what}: layer shape must be positive integers, got [${rows}, ${cols}]`, {
      field: what,
    });
  }
  if (buf.length !== rows * cols) {
    throw new ValidationError(
      `${what}: buffer has ${buf.length} elements, shape [${rows}, ${cols}] needs ${rows * cols}`,
      {
        field: what,
      },
    );
  }
}

function checkGain(gain: number): void {
  if (!Number.isFinite(gain))
    throw new ValidationError(`gain must be finite, got ${gain}`, { field: 'gain' });
}

/**
 * Fills `weight` [rows, cols] with a (semi-)orthogonal matrix times `gain`, following
 * `torch.nn.init.orthogonal_`: draw a standard-normal [rows, cols] matrix (row-major order),
 * transpose it when rows < cols, take its reduced QR decomposition, multiply each column of
 * Q by the sign of R's diagonal (which makes the decomposition unique, so Q is Haar
 * distributed), transpose back, scale by gain. The result has orthonormal columns
 * (WᵀW = gain² I) when rows ≥ cols and orthonormal rows (WWᵀ = gain² I) otherwise.
 */
export function orthogonalInit(
  weight: Floats,
  rows: number,
  cols: number,
  gain: number,
  rng: NormalSource,
): void {
  checkLayer('weight', weight, rows, cols);
  checkGain(gain);
  const g = new Float64Array(rows * cols);
  for (let k = 0; k < g.length; k++) g[k] = rng.standardNormal();
  orthogonalFromGaussian(g, rows, cols, gain, weight);
}

/**
 * The deterministic half of `orthogonalInit`: given the Gaussian draws [rows, cols], writes
 * gain · Q (sign-corrected, transposed back when rows < cols) into `out`. Exposed so the QR
 * step can be checked against numpy.linalg.qr on the same matrix.
 */
export function orthogonalFromGaussian(
  gaussian: ArrayLike<number>,
  rows: number,
  cols: number,
  gain: number,
  out: Floats,
): void {
  checkLayer('gaussian', gaussian, rows, cols);
  checkLayer('out', out, rows, cols);
  checkGain(gain);
  const transpose = rows < cols;
  // A is m × k with m ≥ k: the draws themselves, or their transpose.
  const m = transpose ? cols : rows;
  const k = transpose ? rows : cols;
  const a = new Float64Array(m * k);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (transpose) a[c * k + r] = gaussian[r * cols + c];
      else a[r * k + c] = gaussian[r * cols + c];
    }
  }
  const q = new Float64Array(m * k);
  householderThinQ(a, m, k, q);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = gain * (transpose ? q[c * k + r] : q[r * k + c]);
    }
  }
}

/**
 * Reduced QR of A (m × k, m ≥ k, row-major, overwritten) by Householder reflections; writes
 * Q (m × k) with each column multiplied by sign(R_jj), i.e. the unique factorisation with a
 * positive diagonal of R. A zero pivot (a rank-deficient draw, probability zero) keeps its
 * column as is, where torch's sign(0) = 0 would zero it.
 */
function householderThinQ(a: Float64Array, m: number, k: number, q: Float64Array): void {
  const vs = new Float64Array(m * k); // Householder vectors, v_j in rows j..m-1 of column j
  const signs = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let norm2 = 0;
    for (let i = j; i < m; i++) norm2 += a[i * k + j] * a[i * k + j];
    const norm = Math.sqrt(norm2);
    const x0 = a[j * k + j];
    if (norm === 0) {
      signs[j] = 1;
      continue; // v_j = 0: the reflection is the identity
    }
    // alpha = −sign(x0)·‖x‖ avoids cancellation in v = x − alpha e1; then R_jj = alpha.
    const alpha = x0 >= 0 ? -norm : norm;
    signs[j] = alpha > 0 ? 1 : -1;
    let vnorm2 = 0;
    for (let i = j; i < m; i++) {
      const v = i === j ? x0 - alpha : a[i * k + j];
      vs[i * k + j] = v;
      vnorm2 += v * v;
    }
    if (vnorm2 === 0) continue;
    // A[j:, j:] −= (2 / vᵀv) v (vᵀ A[j:, j:])
    const beta = 2 / vnorm2;
    for (let c = j; c < k; c++) {
      let dot = 0;
      for (let i = j; i < m; i++) dot += vs[i * k + j] * a[i * k + c];
      const s = beta * dot;
      for (let i = j; i < m; i++) a[i * k + c] -= s * vs[i * k + j];
    }
  }
  // Q = H_0 H_1 … H_{k−1} I[:, :k], applied right to left.
  q.fill(0);
  for (let j = 0; j < k; j++) q[j * k + j] = 1;
  for (let j = k - 1; j >= 0; j--) {
    let vnorm2 = 0;
    for (let i = j; i < m; i++) vnorm2 += vs[i * k + j] * vs[i * k + j];
    if (vnorm2 === 0) continue;
    const beta = 2 / vnorm2;
    for (let c = 0; c < k; c++) {
      let dot = 0;
      for (let i = j; i < m; i++) dot += vs[i * k + j] * q[i * k + c];
      const s = beta * dot;
      for (let i = j; i < m; i++) q[i * k + c] -= s * vs[i * k + j];
    }
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) q[i * k + j] *= signs[j];
}

/**
 * `torch.nn.init.xavier_uniform_`: U(−a, a) with a = gain · √(6 / (fan_in + fan_out)), where
 * for a Linear weight [out, in] fan_in = in and fan_out = out. Row-major draw order.
 */
export function xavierUniformInit(
  weight: Floats,
  outDim: number,
  inDim: number,
  gain: number,
  rng: UniformSource,
): void {
  checkLayer('weight', weight, outDim, inDim);
  checkGain(gain);
  const bound = gain * Math.sqrt(6 / (inDim + outDim));
  fillUniform(weight, -bound, bound, rng);
}

/**
 * PyTorch's default `nn.Linear` initialisation (`reset_parameters`): the weight by
 * `kaiming_uniform_(a=√5)`, whose bound √3 · gain / √fan_in with gain = √(2 / (1 + a²)) = 1/√3
 * simplifies to 1/√fan_in; then the bias from U(−1/√fan_in, 1/√fan_in). Weight first, then
 * bias, each in row-major order, as torch draws them.
 */
export function torchLinearDefaultInit(
  weight: Floats,
  bias: Floats | null,
  outDim: number,
  inDim: number,
  rng: UniformSource,
): void {
  checkLayer('weight', weight, outDim, inDim);
  if (bias !== null) checkLayer('bias', bias, outDim, 1);
  const bound = 1 / Math.sqrt(inDim);
  fillUniform(weight, -bound, bound, rng);
  if (bias !== null) fillUniform(bias, -bound, bound, rng);
}

/** Element-wise U(low, high) as numpy's `Generator.uniform`: low + (high − low) · random(). */
export function fillUniform(buf: Floats, low: number, high: number, rng: UniformSource): void {
  const span = high - low;
  for (let i = 0; i < buf.length; i++) buf[i] = low + span * rng.random();
}

/**
 * Plain-TypeScript reference of the dense-network kernels: the same contract as the SIMD
 * kernels (kernels-common.ts), used by the tests as the yardstick and at run time as the
 * fallback (TARS_NN_BACKEND=ref, or `new Arena({ backend: 'ref' })`).
 *
 * The products accumulate in float64 and round once into float32, so they are at least as
 * accurate as the SIMD kernels. The elementwise optimiser and activation-gradient kernels
 * round every operation to float32 (`Math.fround`), which reproduces IEEE float32 arithmetic
 * exactly (a float64 operation on float32 operands rounded to float32 equals the float32
 * operation for + − × ÷ √), so they match the WebAssembly kernels bit for bit.
 */
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

const f = Math.fround;

function applyActivation(z: number, code: number): number {
  if (code === 1) return Math.tanh(z);
  // Not Math.max: relu(−0) stays −0 and NaN stays NaN, as in the SIMD kernel (pmax).
  // biome-ignore lint/complexity/useMathMinMax: see above
  if (code === 2) return z < 0 ? 0 : z;
  return z;
}

export class RefKernels implements DenseKernels {
  readonly backend = 'ref' as const;
  /** Every batch sums in the same order. */
  readonly uniformBatchFrom = 1;
  /** Float64 row accumulator, grown (outside the loops) to the widest layer seen. */
  #row = new Float64Array(64);

  #rowOf(n: number): Float64Array {
    if (this.#row.length < n) this.#row = new Float64Array(Math.max(n, this.#row.length * 2));
    return this.#row;
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
    for (let b = 0; b < batch; b++) {
      const xr = b * inDim;
      const yr = b * outDim;
      for (let o = 0; o < outDim; o++) {
        const wr = o * inDim;
        let acc = bias === null ? 0 : bias[o];
        for (let i = 0; i < inDim; i++) acc += x[xr + i] * w[wr + i];
        y[yr + o] = applyActivation(acc, code);
      }
    }
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
    const row = this.#rowOf(inDim);
    for (let b = 0; b < batch; b++) {
      row.fill(0, 0, inDim);
      const dyr = b * outDim;
      for (let o = 0; o < outDim; o++) {
        const d = dy[dyr + o];
        const wr = o * inDim;
        for (let i = 0; i < inDim; i++) row[i] += d * w[wr + i];
      }
      const dxr = b * inDim;
      for (let i = 0; i < inDim; i++) dx[dxr + i] = row[i];
    }
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
    const row = this.#rowOf(inDim);
    for (let o = 0; o < outDim; o++) {
      const wr = o * inDim;
      for (let i = 0; i < inDim; i++) row[i] = dw[wr + i];
      let bsum = db === null ? 0 : db[o];
      for (let b = 0; b < batch; b++) {
        const d = dy[b * outDim + o];
        bsum += d;
        const xr = b * inDim;
        for (let i = 0; i < inDim; i++) row[i] += d * x[xr + i];
      }
      for (let i = 0; i < inDim; i++) dw[wr + i] = row[i];
      if (db !== null) db[o] = bsum;
    }
  }

  activationForward(x: Float32Array, n: number, activation: Activation): void {
    checkCount(n, x);
    const code = activationCode(activation);
    if (code === 0) return;
    for (let j = 0; j < n; j++) x[j] = applyActivation(x[j], code);
  }

  activationBackward(y: Float32Array, dy: Float32Array, n: number, activation: Activation): void {
    checkCount(n, y, dy);
    const code = activationCode(activation);
    if (code === 1) {
      for (let j = 0; j < n; j++) dy[j] = f(dy[j] * f(1 - f(y[j] * y[j])));
    } else if (code === 2) {
      for (let j = 0; j < n; j++) if (!(y[j] > 0)) dy[j] = 0;
    }
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
    // Scalars enter the WebAssembly kernel as float32 parameters; round them the same way.
    const w1 = f(oneMinusBeta1);
    const b2 = f(beta2);
    const w2 = f(oneMinusBeta2);
    const st = f(stepSize);
    const bc = f(bc2Sqrt);
    const ep = f(eps);
    const wd = f(weightDecay);
    for (let j = 0; j < p.length; j++) {
      const pv = p[j];
      let gv = g[j];
      if (wd !== 0) gv = f(gv + f(pv * wd));
      const m0 = m[j];
      const mv = f(m0 + f(w1 * f(gv - m0)));
      const vv = f(f(v[j] * b2) + f(f(w2 * gv) * gv));
      const denom = f(f(f(Math.sqrt(vv)) / bc) + ep);
      m[j] = mv;
      v[j] = vv;
      p[j] = f(pv - f(f(st * mv) / denom));
    }
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
    const lrf = f(lr);
    const al = f(alpha);
    const oma = f(oneMinusAlpha);
    const ep = f(eps);
    const wd = f(weightDecay);
    const mu = f(momentum);
    for (let j = 0; j < p.length; j++) {
      const pv = p[j];
      let gv = g[j];
      if (wd !== 0) gv = f(gv + f(pv * wd));
      const sv = f(f(squareAvg[j] * al) + f(f(oma * gv) * gv));
      squareAvg[j] = sv;
      let s = sv;
      if (gradAvg !== null) {
        const ga = f(f(gradAvg[j] * al) + f(oma * gv));
        gradAvg[j] = ga;
        s = f(sv - f(ga * ga));
      }
      const avg = epsInsideSqrt ? f(Math.sqrt(f(s + ep))) : f(f(Math.sqrt(s)) + ep);
      if (momentumBuffer !== null && mu > 0) {
        const bv = f(f(momentumBuffer[j] * mu) + f(gv / avg));
        momentumBuffer[j] = bv;
        p[j] = f(pv - f(bv * lrf));
      } else {
        p[j] = f(pv - f(f(lrf * gv) / avg));
      }
    }
  }

  sumSquares(x: Float32Array): number {
    let acc = 0;
    for (let j = 0; j < x.length; j++) acc += x[j] * x[j];
    return acc;
  }

  scale(x: Float32Array, s: number): void {
    const sf = f(s);
    for (let j = 0; j < x.length; j++) x[j] = f(x[j] * sf);
  }

  polyak(target: Float32Array, source: Float32Array, keep: number, tau: number): void {
    checkSameLength(target, source);
    const k = f(keep);
    const t = f(tau);
    for (let j = 0; j < target.length; j++) target[j] = f(f(target[j] * k) + f(source[j] * t));
  }

  reserve(batch: number, inDim: number, outDim: number): void {
    checkDims(batch, inDim, outDim);
    this.#rowOf(inDim);
  }
}

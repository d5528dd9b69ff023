import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import type { Activation, DenseKernels } from '../../src/nn/kernels.js';
import { Arena, type Tensor } from '../../src/nn/tensor.js';
import { Generator } from '../../src/rng/index.js';

const rng = new Generator(20240611);

function fillRandom(t: Tensor, scale = 1): Float32Array {
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = (rng.random() * 2 - 1) * scale;
  return d;
}

/**
 * The same tensor contents in two arenas (one per backend); a `zeros` share of the entries is
 * exactly 0, as after a ReLU (which sends the SIMD products down their sparse path).
 */
function pair(wasm: Arena, ref: Arena, shape: number[], scale = 1, zeros = 0): [Tensor, Tensor] {
  const a = wasm.alloc(shape);
  const b = ref.alloc(shape);
  const d = fillRandom(a, scale);
  if (zeros > 0) for (let i = 0; i < d.length; i++) if (rng.random() < zeros) d[i] = 0;
  b.data.set(a.data);
  return [a, b];
}

/** Float64 products with the absolute-value sums that bound float32 rounding error. */
function forward64(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  batch: number,
  nin: number,
  nout: number,
  act: Activation,
): { y: Float64Array; bound: Float64Array } {
  const y = new Float64Array(batch * nout);
  const bound = new Float64Array(batch * nout);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < nout; o++) {
      let acc = bias[o];
      let abs = Math.abs(bias[o]);
      for (let i = 0; i < nin; i++) {
        acc += x[b * nin + i] * w[o * nin + i];
        abs += Math.abs(x[b * nin + i] * w[o * nin + i]);
      }
      y[b * nout + o] = act === 'tanh' ? Math.tanh(acc) : act === 'relu' ? Math.max(acc, 0) : acc;
      bound[b * nout + o] = abs;
    }
  }
  return { y, bound };
}

function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: (i: number) => number,
): void {
  expect(actual.length).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - tol(i);
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`element ${worst}: ${actual[worst]} vs ${expected[worst]} (tolerance ${tol(worst)})`);
  }
}

/** Shapes the agents use plus odd ones (not multiples of 4 or 8) and batch 1. */
const SHAPES: [number, number, number][] = [
  [1, 4, 64],
  [1, 64, 2],
  [1, 1, 1],
  [2, 3, 5],
  [3, 7, 9],
  [4, 8, 8],
  [5, 13, 17],
  [7, 1, 3],
  [8, 64, 64],
  [9, 31, 33],
  [13, 4, 12],
  [17, 64, 2],
  [33, 65, 1],
  [64, 10, 7],
  [67, 19, 45],
];

/**
 * [batch, in, out, share of zeros in the product's A operand]: the dense shapes, then shapes
 * wide enough (out or in ≥ 32) for the sparse-A path, with column counts that exercise its
 * 32-column blocks and each kind of last block (13, 16 and 31 columns, computed 16 or 32 wide),
 * an odd k, ReLU-like and very sparse inputs, and an A that is all zeros.
 */
const CASES: [number, number, number, number][] = [
  ...SHAPES.map(([b, i, o]): [number, number, number, number] => [b, i, o, 0]),
  [6, 40, 45, 0.5],
  [9, 33, 63, 0.5],
  [4, 100, 32, 0.9],
  [37, 64, 300, 0.5],
  [64, 256, 256, 0.7],
  [12, 48, 77, 1],
  [20, 24, 48, 0.6],
];

const ACTIVATIONS: Activation[] = ['identity', 'tanh', 'relu'];

describe('dense kernels: SIMD against the reference and float64', () => {
  const wasm = new Arena({ backend: 'wasm' });
  const ref = new Arena({ backend: 'ref' });
  const kernels: [string, Arena][] = [
    ['wasm', wasm],
    ['ref', ref],
  ];

  it('the two arenas use the two backends', () => {
    expect(wasm.backend).toBe('wasm');
    expect(wasm.kernels.backend).toBe('wasm');
    expect(ref.kernels.backend).toBe('ref');
  });

  it('linearForward: a hand-computed example', () => {
    // y = x·Wᵀ + b with x = [[1, 2, 3], [−1, 0, 1]], W = [[1, 0, −1], [0.5, 0.5, 0.5]], b = [0.25, −1]:
    // row 0: 1 − 3 + 0.25 = −1.75, 0.5 + 1 + 1.5 − 1 = 2; row 1: −1 − 1 + 0.25 = −1.75, 0 − 1 = −1.
    for (const [, arena] of kernels) {
      const x = arena.alloc([2, 3]);
      const w = arena.alloc([2, 3]);
      const b = arena.alloc([2]);
      const y = arena.alloc([2, 2]);
      x.data.set([1, 2, 3, -1, 0, 1]);
      w.data.set([1, 0, -1, 0.5, 0.5, 0.5]);
      b.data.set([0.25, -1]);
      arena.kernels.linearForward(x.data, w.data, b.data, y.data, 2, 3, 2, 'identity');
      expect(Array.from(y.data)).toEqual([-1.75, 2, -1.75, -1]);
      arena.kernels.linearForward(x.data, w.data, b.data, y.data, 2, 3, 2, 'relu');
      expect(Array.from(y.data)).toEqual([0, 2, 0, 0]);
      arena.kernels.linearForward(x.data, w.data, null, y.data, 2, 3, 2, 'identity');
      expect(Array.from(y.data)).toEqual([-2, 3, -2, 0]);
    }
  });

  it('linearForward matches a float64 product for every shape and activation', () => {
    for (const [batch, nin, nout, zeros] of CASES) {
      for (const act of ACTIVATIONS) {
        const [xw, xr] = pair(wasm, ref, [batch, nin], 1, zeros);
        const [ww, wr] = pair(wasm, ref, [nout, nin], 1 / Math.sqrt(nin));
        const [bw, br] = pair(wasm, ref, [nout], 0.5);
        const yw = wasm.alloc([batch, nout]);
        const yr = ref.alloc([batch, nout]);
        wasm.kernels.linearForward(xw.data, ww.data, bw.data, yw.data, batch, nin, nout, act);
        ref.kernels.linearForward(xr.data, wr.data, br.data, yr.data, batch, nin, nout, act);
        const { y, bound } = forward64(xr.data, wr.data, br.data, batch, nin, nout, act);
        // float32 accumulation: |error| ≤ ~K·2⁻²⁴·Σ|x·w|; tanh adds a few ulp of the result.
        const tol = (i: number) => (nin + 2) * 6e-8 * bound[i] + 3e-7 * Math.abs(y[i]) + 1e-30;
        expectClose(yw.data, y, tol);
        expectClose(yr.data, y, (i) => 6e-8 * Math.abs(y[i]) + 1e-30);
      }
    }
  });

  it('linearForward writes only the leading batch rows of capacity-sized buffers', () => {
    for (const [name, arena] of kernels) {
      const x = arena.alloc([10, 6]);
      fillRandom(x);
      const w = arena.alloc([9, 6]);
      fillRandom(w);
      const y = arena.alloc([10, 9]);
      y.data.fill(42);
      arena.kernels.linearForward(x.data, w.data, null, y.data, 5, 6, 9, 'tanh');
      expect(
        y.data.subarray(45).every((v) => v === 42),
        name,
      ).toBe(true);
      expect(
        y.data.subarray(0, 45).every((v) => Math.abs(v) <= 1),
        name,
      ).toBe(true);
    }
  });

  it('linearBackwardInput: dX = dY·W', () => {
    for (const [batch, nin, nout, zeros] of CASES) {
      const [dyw, dyr] = pair(wasm, ref, [batch, nout], 1, zeros);
      const [ww, wr] = pair(wasm, ref, [nout, nin]);
      const dxw = wasm.alloc([batch, nin]);
      const dxr = ref.alloc([batch, nin]);
      dxw.data.fill(7); // overwritten, not accumulated
      wasm.kernels.linearBackwardInput(dyw.data, ww.data, dxw.data, batch, nin, nout);
      ref.kernels.linearBackwardInput(dyr.data, wr.data, dxr.data, batch, nin, nout);
      const exp = new Float64Array(batch * nin);
      const bound = new Float64Array(batch * nin);
      for (let b = 0; b < batch; b++) {
        for (let i = 0; i < nin; i++) {
          for (let o = 0; o < nout; o++) {
            const t = dyr.data[b * nout + o] * wr.data[o * nin + i];
            exp[b * nin + i] += t;
            bound[b * nin + i] += Math.abs(t);
          }
        }
      }
      expectClose(dxw.data, exp, (i) => (nout + 2) * 6e-8 * bound[i] + 1e-30);
      expectClose(dxr.data, exp, (i) => 6e-8 * Math.abs(exp[i]) + 1e-30);
    }
  });

  it('linearBackwardParams: dW += dYᵀ·X and db += Σ dY accumulate', () => {
    for (const [batch, nin, nout, zeros] of CASES) {
      const [dyw, dyr] = pair(wasm, ref, [batch, nout], 1, zeros);
      const [xw, xr] = pair(wasm, ref, [batch, nin]);
      const [dww, dwr] = pair(wasm, ref, [nout, nin]);
      const [dbw, dbr] = pair(wasm, ref, [nout]);
      const dw0 = Float64Array.from(dwr.data);
      const db0 = Float64Array.from(dbr.data);
      wasm.kernels.linearBackwardParams(dyw.data, xw.data, dww.data, dbw.data, batch, nin, nout);
      ref.kernels.linearBackwardParams(dyr.data, xr.data, dwr.data, dbr.data, batch, nin, nout);
      const expW = Float64Array.from(dw0);
      const boundW = dw0.map(Math.abs);
      const expB = Float64Array.from(db0);
      const boundB = db0.map(Math.abs);
      for (let o = 0; o < nout; o++) {
        for (let b = 0; b < batch; b++) {
          const d = dyr.data[b * nout + o];
          expB[o] += d;
          boundB[o] += Math.abs(d);
          for (let i = 0; i < nin; i++) {
            expW[o * nin + i] += d * xr.data[b * nin + i];
            boundW[o * nin + i] += Math.abs(d * xr.data[b * nin + i]);
          }
        }
      }
      const tolW = (i: number) => (batch + 2) * 6e-8 * boundW[i] + 1e-30;
      const tolB = (i: number) => (batch + 2) * 6e-8 * boundB[i] + 1e-30;
      expectClose(dww.data, expW, tolW);
      expectClose(dbw.data, expB, tolB);
      expectClose(dwr.data, expW, (i) => 6e-8 * Math.abs(expW[i]) + 1e-30);
      expectClose(dbr.data, expB, (i) => 6e-8 * Math.abs(expB[i]) + 1e-30);
    }
  });

  it('linearForward gives a row the same bits in every batch from uniformBatchFrom rows on', () => {
    // DQN computes max Q̂(s') of replay rows in batches of whatever rows are missing; that is
    // exact only if a row's result does not depend on the rows beside it.
    expect(ref.kernels.uniformBatchFrom).toBe(1);
    const from = wasm.kernels.uniformBatchFrom;
    expect(from).toBeGreaterThan(1);
    for (const [nin, nout, zeros] of [
      [4, 256, 0],
      [256, 256, 0],
      [256, 256, 0.55],
      [64, 64, 0],
      [400, 300, 0.5],
    ]) {
      const full = 64;
      const x = wasm.alloc([full, nin]);
      const w = wasm.alloc([nout, nin]);
      const b = wasm.alloc([nout]);
      const yFull = wasm.alloc([full, nout]);
      const yPart = wasm.alloc([full, nout]);
      fillRandom(w, 0.1);
      fillRandom(b, 0.1);
      const d = fillRandom(x);
      for (let i = 0; i < d.length; i++) if (rng.random() < zeros) d[i] = 0;
      wasm.kernels.linearForward(x.data, w.data, b.data, yFull.data, full, nin, nout, 'relu');
      for (const batch of [from, from + 3, 33]) {
        wasm.kernels.linearForward(x.data, w.data, b.data, yPart.data, batch, nin, nout, 'relu');
        expect(Array.from(yPart.data.subarray(0, batch * nout)), `${nin}→${nout} batch ${batch}`).toEqual(
          Array.from(yFull.data.subarray(0, batch * nout)),
        );
      }
    }
  });

  it('skipping the zeros of a sparse A changes no bit of the result', () => {
    // The SIMD products decide between the dense and the sparse form from the first rows of A.
    // Rows 4.. are the same ReLU-like rows in both runs; only rows 0-3 differ (dense in the
    // first run, so the dense form runs; as sparse as the rest in the second). Every other
    // output row must be bit-identical: the sparse form performs the same operations in the
    // same order, minus additions of zero.
    const batch = 40;
    const nin = 72;
    const nout = 300;
    const denseHead = (d: Float32Array, rowLen: number, rows: number, cols = rowLen) => {
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) if (d[r * rowLen + c] === 0) d[r * rowLen + c] = 0.5;
    };
    const x = wasm.alloc([batch, nin]);
    const w = wasm.alloc([nout, nin]);
    const bias = wasm.alloc([nout]);
    const dy = wasm.alloc([batch, nout]);
    const outs = [0, 1].map(() => ({
      y: wasm.alloc([batch, nout]),
      dx: wasm.alloc([batch, nin]),
      dw: wasm.alloc([nout, nin]),
    }));
    fillRandom(w, 0.2);
    fillRandom(bias, 0.1);
    for (const t of [x, dy]) {
      const d = fillRandom(t);
      for (let i = 0; i < d.length; i++) if (rng.random() < 0.55) d[i] = 0;
    }
    const sparseX = Float32Array.from(x.data);
    const sparseDy = Float32Array.from(dy.data);
    for (const [run, out] of outs.entries()) {
      if (run === 0) {
        denseHead(x.data, nin, 4);
        denseHead(dy.data, nout, 4);
      } else {
        x.data.set(sparseX);
        dy.data.set(sparseDy);
      }
      wasm.kernels.linearForward(x.data, w.data, bias.data, out.y.data, batch, nin, nout, 'relu');
      wasm.kernels.linearBackwardInput(dy.data, w.data, out.dx.data, batch, nin, nout);
    }
    // dW's A is dYᵀ: its first rows are dY's first columns.
    for (const [run, out] of outs.entries()) {
      dy.data.set(sparseDy);
      if (run === 0) for (let r = 0; r < batch; r++) denseHead(dy.data.subarray(r * nout), nout, 1, 4);
      wasm.kernels.linearBackwardParams(dy.data, x.data, out.dw.data, null, batch, nin, nout);
    }
    const [dense, sparse] = outs;
    expect(Array.from(sparse.y.data.subarray(4 * nout))).toEqual(Array.from(dense.y.data.subarray(4 * nout)));
    expect(Array.from(sparse.dx.data.subarray(4 * nin))).toEqual(Array.from(dense.dx.data.subarray(4 * nin)));
    expect(Array.from(sparse.dw.data.subarray(4 * nin))).toEqual(Array.from(dense.dw.data.subarray(4 * nin)));
    // And the runs did differ where they should: row 0 saw different inputs.
    expect(Array.from(sparse.y.data.subarray(0, nout))).not.toEqual(
      Array.from(dense.y.data.subarray(0, nout)),
    );
  });

  it('the forward of a layer with 1-4 inputs adds each product in float32, in input order, to the bias', () => {
    // Layers this narrow take their own loop (Wᵀ in registers, the batch streaming past); each
    // element must still be the bias (or 0), then f32(x·w) for i = 0, 1, … rounded at every
    // step, then the activation: the blocked form's result, which this loop spells out.
    for (const [batch, nin, nout, withBias] of [
      [256, 4, 400, true],
      [256, 3, 400, true],
      [64, 4, 256, true],
      [12, 1, 13, true],
      [9, 2, 6, false],
      [33, 3, 8, false],
    ] as const) {
      const x = wasm.alloc([batch, nin]);
      const w = wasm.alloc([nout, nin]);
      const b = wasm.alloc([nout]);
      const y = wasm.alloc([batch, nout]);
      fillRandom(x);
      fillRandom(w);
      fillRandom(b);
      for (const act of ['identity', 'relu'] as const) {
        wasm.kernels.linearForward(x.data, w.data, withBias ? b.data : null, y.data, batch, nin, nout, act);
        const expected = new Float32Array(batch * nout);
        for (let r = 0; r < batch; r++)
          for (let o = 0; o < nout; o++) {
            let acc = withBias ? b.data[o] : 0;
            for (let i = 0; i < nin; i++)
              acc = Math.fround(acc + Math.fround(x.data[r * nin + i] * w.data[o * nin + i]));
            expected[r * nout + o] = act === 'relu' && acc < 0 ? 0 : acc;
          }
        expect(Array.from(y.data), `${batch}×${nin}→${nout} ${act}`).toEqual(Array.from(expected));
      }
    }
  });

  it('dW of a layer with few inputs adds each product in float32, in batch order, to the start value', () => {
    // A first layer (3 or 4 observations) takes the transposed route for dW; whichever route a
    // shape takes, each element is dw + f32(dy·x) over b = 0, 1, … rounded to float32 at every
    // step, which this loop spells out. The start value is not zero, as when gradients accumulate.
    for (const [batch, nin, nout] of [
      [256, 3, 400],
      [64, 4, 256],
      [9, 7, 33],
      [5, 3, 8],
      [12, 9, 40],
    ]) {
      const dy = wasm.alloc([batch, nout]);
      const x = wasm.alloc([batch, nin]);
      const dw = wasm.alloc([nout, nin]);
      fillRandom(dy, 0.1);
      fillRandom(x);
      fillRandom(dw, 0.01);
      const expected = Float32Array.from(dw.data);
      for (let o = 0; o < nout; o++)
        for (let i = 0; i < nin; i++) {
          let acc = expected[o * nin + i];
          for (let b = 0; b < batch; b++)
            acc = Math.fround(acc + Math.fround(dy.data[b * nout + o] * x.data[b * nin + i]));
          expected[o * nin + i] = acc;
        }
      wasm.kernels.linearBackwardParams(dy.data, x.data, dw.data, null, batch, nin, nout);
      expect(Array.from(dw.data), `${batch}×${nin}→${nout}`).toEqual(Array.from(expected));
    }
  });

  it('a sparse A keeps NaN and gives the bias alone for an all-zero row', () => {
    const batch = 16;
    const nin = 50;
    const nout = 40;
    for (const [name, arena] of kernels) {
      const x = arena.alloc([batch, nin]);
      const w = arena.alloc([nout, nin]);
      const b = arena.alloc([nout]);
      const y = arena.alloc([batch, nout]);
      fillRandom(w);
      fillRandom(b);
      for (let i = 0; i < x.data.length; i++) x.data[i] = rng.random() < 0.7 ? 0 : rng.random();
      x.data.fill(0, 5 * nin, 6 * nin); // row 5: all zeros
      x.data[9 * nin + 17] = Number.NaN; // row 9: one NaN
      arena.kernels.linearForward(x.data, w.data, b.data, y.data, batch, nin, nout, 'identity');
      expect(Array.from(y.data.subarray(5 * nout, 6 * nout)), name).toEqual(Array.from(b.data));
      expect(
        y.data.subarray(9 * nout, 10 * nout).every((v) => Number.isNaN(v)),
        name,
      ).toBe(true);
      expect(y.data.subarray(10 * nout).every(Number.isFinite), name).toBe(true);
    }
  });

  it('linearBackwardParams without a bias gradient leaves other memory alone', () => {
    for (const [, arena] of kernels) {
      const dy = arena.alloc([3, 5]);
      const x = arena.alloc([3, 2]);
      const dw = arena.alloc([5, 2]);
      fillRandom(dy);
      fillRandom(x);
      arena.kernels.linearBackwardParams(dy.data, x.data, dw.data, null, 3, 2, 5);
      expect(dw.data[0]).toBeCloseTo(
        dy.data[0] * x.data[0] + dy.data[5] * x.data[2] + dy.data[10] * x.data[4],
        6,
      );
    }
  });

  it('SIMD tanh is within 5.1 ulp of float64 tanh, odd, and saturates', () => {
    const xs: number[] = [
      0, -0, 1e-30, -1e-30, 1e-8, 0.3, 0.6249, 0.625, 0.6251, 1, 2.5, 8.9, 9.1, 10, 11, 88, 1e30,
    ];
    for (let i = 0; i < 100000; i++) xs.push((i / 100000) * 20 - 10);
    for (let i = 0; i < 2000; i++) xs.push(10 ** ((i / 2000) * 12 - 10));
    const n = xs.length;
    const t = wasm.alloc([n]);
    t.data.set(xs);
    const input = Float32Array.from(t.data);
    wasm.kernels.activationForward(t.data, n, 'tanh');
    let worstUlp = 0;
    for (let i = 0; i < n; i++) {
      const x = input[i];
      const exact = Math.tanh(x);
      const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(exact), 2 ** -126))) - 23);
      worstUlp = Math.max(worstUlp, Math.abs(t.data[i] - exact) / ulp);
    }
    // The rational approximation's documented bound (src/nn/assembly/kernels.ts) is 5.1 ulp.
    expect(worstUlp).toBeLessThanOrEqual(5.1);
    expect(worstUlp).toBeGreaterThan(0); // it is an approximation: the grid does see an error
    // Odd function, exactly; saturates to ±1 for large |x| and at infinity.
    const s = wasm.alloc([8]);
    s.data.set([0.7, -0.7, 3, -3, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 20, -20]);
    wasm.kernels.activationForward(s.data, 8, 'tanh');
    expect(s.data[1]).toBe(-s.data[0]);
    expect(s.data[3]).toBe(-s.data[2]);
    expect(Array.from(s.data.subarray(4))).toEqual([1, -1, 1, -1]);
  });

  it('activations keep NaN, relu keeps −0, and the scalar tail matches the vector body', () => {
    for (const [name, arena] of kernels) {
      // 7 elements: four in the SIMD body, three in the scalar tail, same values in both.
      const values = [Number.NaN, -0, -2, Number.NaN, -0, -2, 3];
      const t = arena.alloc([7]);
      t.data.set(values);
      arena.kernels.activationForward(t.data, 7, 'relu');
      expect(Object.is(t.data[0], Number.NaN) && Object.is(t.data[3], Number.NaN), name).toBe(true);
      expect(Object.is(t.data[1], -0) && Object.is(t.data[4], -0), name).toBe(true);
      expect([t.data[2], t.data[5], t.data[6]], name).toEqual([0, 0, 3]);
      t.data.set(values);
      arena.kernels.activationForward(t.data, 7, 'tanh');
      expect(Number.isNaN(t.data[0]) && Number.isNaN(t.data[3]), name).toBe(true);
      expect(t.data[2], name).toBe(t.data[5]);
      t.data.set(values);
      arena.kernels.activationForward(t.data, 7, 'identity');
      expect(Array.from(t.data.subarray(4)), name).toEqual([-0, -2, 3]);
    }
  });

  it('activationBackward agrees bit for bit across backends', () => {
    for (const n of [1, 3, 4, 5, 17, 64, 101]) {
      for (const act of ACTIVATIONS) {
        const [yw, yr] = pair(wasm, ref, [n]);
        const [dw, dr] = pair(wasm, ref, [n], 3);
        yw.data[0] = 0;
        yr.data[0] = 0;
        wasm.kernels.activationBackward(yw.data, dw.data, n, act);
        ref.kernels.activationBackward(yr.data, dr.data, n, act);
        expect(Array.from(dw.data), `${act} n=${n}`).toEqual(Array.from(dr.data));
        if (act === 'relu') expect(dw.data[0]).toBe(0); // derivative 0 at the kink, as torch
      }
    }
  });

  it('optimiser kernels agree bit for bit across backends', () => {
    for (const n of [1, 3, 4, 7, 64, 129]) {
      const [pw, pr] = pair(wasm, ref, [n]);
      const [gw, gr] = pair(wasm, ref, [n]);
      const [mw, mr] = pair(wasm, ref, [n], 0.1);
      const vw = wasm.alloc([n]);
      const vr = ref.alloc([n]);
      for (let i = 0; i < n; i++) vw.data[i] = vr.data[i] = rng.random() * 0.01;
      // √bc2 at step 20,000 of β2 = 0.999 rounds to 1 in float32: the kernel skips that division.
      expect(Math.fround(Math.sqrt(1 - 0.999 ** 20_000))).toBe(1);
      for (const [wd, bc2Sqrt] of [
        [0, 0.05],
        [0.01, 0.05],
        [0, Math.sqrt(1 - 0.999 ** 20_000)],
        [0.01, Math.sqrt(1 - 0.999 ** 20_000)],
      ]) {
        wasm.kernels.adamStep(
          pw.data,
          gw.data,
          mw.data,
          vw.data,
          0.1,
          0.999,
          0.001,
          3e-4 / 0.19,
          bc2Sqrt,
          1e-8,
          wd,
        );
        ref.kernels.adamStep(
          pr.data,
          gr.data,
          mr.data,
          vr.data,
          0.1,
          0.999,
          0.001,
          3e-4 / 0.19,
          bc2Sqrt,
          1e-8,
          wd,
        );
        expect(Array.from(pw.data)).toEqual(Array.from(pr.data));
        expect(Array.from(mw.data)).toEqual(Array.from(mr.data));
        expect(Array.from(vw.data)).toEqual(Array.from(vr.data));
      }
      for (const [centered, momentum, inside] of [
        [false, 0, false],
        [true, 0, true],
        [false, 0.9, true],
        [true, 0.5, false],
      ] as const) {
        const gaw = centered ? wasm.alloc([n]) : null;
        const gar = centered ? ref.alloc([n]) : null;
        const bw = momentum > 0 ? wasm.alloc([n]) : null;
        const br = momentum > 0 ? ref.alloc([n]) : null;
        for (let s = 0; s < 3; s++) {
          wasm.kernels.rmspropStep(
            pw.data,
            gw.data,
            vw.data,
            gaw?.data ?? null,
            bw?.data ?? null,
            7e-4,
            0.99,
            0.01,
            1e-5,
            0.001,
            momentum,
            inside,
          );
          ref.kernels.rmspropStep(
            pr.data,
            gr.data,
            vr.data,
            gar?.data ?? null,
            br?.data ?? null,
            7e-4,
            0.99,
            0.01,
            1e-5,
            0.001,
            momentum,
            inside,
          );
        }
        expect(Array.from(pw.data)).toEqual(Array.from(pr.data));
        expect(Array.from(vw.data)).toEqual(Array.from(vr.data));
        if (gaw && gar) expect(Array.from(gaw.data)).toEqual(Array.from(gar.data));
        if (bw && br) expect(Array.from(bw.data)).toEqual(Array.from(br.data));
      }
      wasm.kernels.polyak(pw.data, gw.data, 1 - 0.005, 0.005);
      ref.kernels.polyak(pr.data, gr.data, 1 - 0.005, 0.005);
      expect(Array.from(pw.data)).toEqual(Array.from(pr.data));
      wasm.kernels.scale(pw.data, 0.37);
      ref.kernels.scale(pr.data, 0.37);
      expect(Array.from(pw.data)).toEqual(Array.from(pr.data));
      const sw = wasm.kernels.sumSquares(pw.data);
      const sr = ref.kernels.sumSquares(pr.data);
      expect(Math.abs(sw - sr)).toBeLessThanOrEqual(1e-12 * sr);
    }
  });

  it('sumSquares of a known vector', () => {
    for (const [, arena] of kernels) {
      const t = arena.alloc([7]);
      t.data.set([1, 2, 3, 4, 5, 6, 7]); // 1 + 4 + 9 + 16 + 25 + 36 + 49 = 140
      expect(arena.kernels.sumSquares(t.data)).toBe(140);
    }
  });

  it('rejects arrays from another memory and arrays that are too short', () => {
    const other = new Arena({ backend: 'wasm' });
    const x = wasm.alloc([2, 3]);
    const w = wasm.alloc([4, 3]);
    const y = wasm.alloc([2, 4]);
    const foreign = other.alloc([2, 4]);
    expect(() => wasm.kernels.linearForward(x.data, w.data, null, foreign.data, 2, 3, 4, 'identity')).toThrow(
      ValidationError,
    );
    expect(() =>
      wasm.kernels.linearForward(x.data, w.data, null, new Float32Array(8), 2, 3, 4, 'identity'),
    ).toThrow(/not a view of this arena/);
    for (const [, arena] of kernels) {
      const k: DenseKernels = arena.kernels;
      const a = arena.alloc([2, 3]);
      const b = arena.alloc([4, 3]);
      const c = arena.alloc([2, 4]);
      expect(() => k.linearForward(a.data, b.data, null, c.data, 3, 3, 4, 'identity')).toThrow(
        /x has 6 elements/,
      );
      expect(() => k.linearBackwardInput(c.data, b.data, a.data, 2, 3, 5)).toThrow(ValidationError);
      expect(() => k.linearForward(a.data, b.data, null, c.data, 2, 0, 4, 'identity')).toThrow(/inDim/);
      expect(() => k.activationForward(a.data, 2, 'sigmoid' as Activation)).toThrow(/activation/);
      expect(() => k.polyak(a.data, b.data, 0.5, 0.5)).toThrow(ValidationError);
    }
    expect(y.data.length).toBe(8);
  });
});

describe('arena', () => {
  it('hands out aligned, zero-filled, disjoint tensors', () => {
    const arena = new Arena({ backend: 'ref', initialBytes: 0 });
    const a = arena.alloc([3, 5]);
    const b = arena.alloc([7]);
    expect(a.byteOffset % 64).toBe(0);
    expect(b.byteOffset % 64).toBe(0);
    expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + 60);
    expect(a.shape).toEqual([3, 5]);
    expect(a.data.every((v) => v === 0) && b.data.every((v) => v === 0)).toBe(true);
    expect(() => arena.alloc([2, -1])).toThrow(ValidationError);
  });

  it('re-derives views after the memory grows, keeping contents', () => {
    for (const backend of ['wasm', 'ref'] as const) {
      const arena = new Arena({ backend, initialBytes: 1024 });
      const a = arena.alloc([100]);
      a.data.set(Array.from({ length: 100 }, (_, i) => i));
      const oldView = a.data;
      const gen = arena.generation;
      const big = arena.alloc([1 << 20]); // 4 MiB: forces growth
      expect(arena.generation).toBeGreaterThan(gen);
      expect(oldView.length).toBe(0); // the old view is detached
      expect(a.data.length).toBe(100);
      expect(a.data[99]).toBe(99);
      expect(big.data.length).toBe(1 << 20);
      // Kernels work on the new views.
      const y = arena.alloc([1, 1]);
      arena.kernels.linearForward(a.data, a.data, null, y.data, 1, 100, 1, 'identity');
      expect(y.data[0]).toBe(328350); // Σ i² for i < 100
    }
  });

  it('a kernel call that grows the working space (and so the memory) still computes correctly', () => {
    const arena = new Arena({ backend: 'wasm', initialBytes: 0 });
    const rng2 = new Generator(99);
    const x = arena.alloc([64, 100]);
    const w = arena.alloc([120, 100]);
    const y = arena.alloc([64, 120]);
    for (const t of [x, w]) for (let i = 0; i < t.length; i++) t.data[i] = rng2.random() - 0.5;
    const gen = arena.generation;
    // The first call allocates Wᵀ and the packed rows (~80 kB) beyond the initial memory.
    arena.kernels.linearForward(x.data, w.data, null, y.data, 64, 100, 120, 'identity');
    expect(arena.generation).toBeGreaterThan(gen);
    let exp = 0;
    for (let i = 0; i < 100; i++) exp += x.data[63 * 100 + i] * w.data[119 * 100 + i];
    expect(y.data[64 * 120 - 1]).toBeCloseTo(exp, 5);
  });

  it('params pair a value and a gradient', () => {
    const arena = new Arena();
    const p = arena.param('w', [2, 3]);
    expect(p.name).toBe('w');
    expect(p.size).toBe(6);
    expect(p.shape).toEqual([2, 3]);
    p.data[0] = 1;
    expect(p.grad[0]).toBe(0);
    expect(p.arena).toBe(arena);
  });
});

describe('backend selection', () => {
  it('TARS_NN_BACKEND=ref makes the reference the default; bad values are rejected', () => {
    const tensorModule = new URL('../../src/nn/tensor.ts', import.meta.url).href;
    const code = `const { Arena } = await import(${JSON.stringify(tensorModule)}); console.log(new Arena().backend);`;
    const run = (value: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: { ...process.env, TARS_NN_BACKEND: value },
        encoding: 'utf8',
      });
    expect(run('ref').stdout.trim()).toBe('ref');
    expect(run('wasm').stdout.trim()).toBe('wasm');
    const bad = run('gpu');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/TARS_NN_BACKEND must be 'wasm' or 'ref'/);
  });
});

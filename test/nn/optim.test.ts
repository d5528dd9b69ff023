import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { Mlp } from '../../src/nn/mlp.js';
import {
  Adam,
  clipGradNorm,
  gradNorm,
  hardUpdate,
  RMSprop,
  RMSpropTFLike,
  softUpdate,
  zeroGrad,
} from '../../src/nn/optim.js';
import { Arena, type Backend, type Param } from '../../src/nn/tensor.js';
import { Generator } from '../../src/rng/index.js';

const BACKENDS: Backend[] = ['wasm', 'ref'];

function params(arena: Arena, sizes: number[], rng: Generator): Param[] {
  return sizes.map((n, i) => {
    const p = arena.param(`p${i}`, [n]);
    for (let j = 0; j < n; j++) p.data[j] = rng.random() * 2 - 1;
    return p;
  });
}

function setGrads(ps: Param[], rng: Generator): void {
  for (const p of ps) for (let j = 0; j < p.size; j++) p.grad[j] = rng.random() * 2 - 1;
}

function expectRel(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, abs = 1e-7): void {
  for (let i = 0; i < expected.length; i++) {
    const tol = rel * Math.abs(expected[i]) + abs;
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      expect.fail(`[${i}] ${actual[i]} vs ${expected[i]}`);
    }
  }
}

describe('Adam', () => {
  it('first step moves each weight by lr against the gradient sign (bias-corrected)', () => {
    // Step 1: m = (1−β1)g, v = (1−β2)g², m̂ = g, v̂ = g², so Δp = −lr·g/(|g| + eps) ≈ −lr·sign(g).
    for (const backend of BACKENDS) {
      const arena = new Arena({ backend });
      const p = arena.param('w', [5]);
      p.data.set([0, 1, -1, 0.5, 2]);
      p.grad.set([0.3, -2, 1e-3, 50, -0.07]);
      const opt = new Adam([p], { lr: 0.01 });
      opt.step();
      const g = [0.3, -2, 1e-3, 50, -0.07];
      const expected = [0, 1, -1, 0.5, 2].map((v, i) => v - (0.01 * g[i]) / (Math.abs(g[i]) + 1e-8));
      expectRel(p.data, expected, 1e-6);
      expect(opt.stepCount).toBe(1);
    }
  });

  it('follows torch.optim.Adam over many steps (float64 re-derivation of the update)', () => {
    for (const backend of BACKENDS) {
      for (const [eps, wd] of [
        [1e-8, 0],
        [1e-5, 0.01],
      ]) {
        const rng = new Generator(42);
        const arena = new Arena({ backend });
        const ps = params(arena, [7, 1, 33], rng);
        const lr = 3e-4;
        const opt = new Adam(ps, { lr, betas: [0.9, 0.999], eps, weightDecay: wd });
        // Float64 model of torch's single-tensor Adam.
        const p64 = ps.map((p) => Float64Array.from(p.data));
        const m64 = ps.map((p) => new Float64Array(p.size));
        const v64 = ps.map((p) => new Float64Array(p.size));
        for (let t = 1; t <= 50; t++) {
          setGrads(ps, rng);
          const stepLr = t % 2 === 0 ? lr : lr / 2; // per-step override, as schedules do
          opt.step(stepLr);
          const bc1 = 1 - 0.9 ** t;
          const bc2 = 1 - 0.999 ** t;
          ps.forEach((p, k) => {
            for (let j = 0; j < p.size; j++) {
              const g = p.grad[j] + wd * p64[k][j];
              m64[k][j] += 0.1 * (g - m64[k][j]);
              v64[k][j] = 0.999 * v64[k][j] + 0.001 * g * g;
              p64[k][j] -= ((stepLr / bc1) * m64[k][j]) / (Math.sqrt(v64[k][j]) / Math.sqrt(bc2) + eps);
            }
          });
        }
        ps.forEach((p, k) => {
          expectRel(p.data, p64[k], 1e-5, 1e-6);
          expectRel(opt.moments(k).m, m64[k], 1e-4, 1e-7);
        });
      }
    }
  });

  it('gives bit-identical parameters on both backends', () => {
    const results = BACKENDS.map((backend) => {
      const rng = new Generator(7);
      const ps = params(new Arena({ backend }), [13, 64], rng);
      const opt = new Adam(ps, { lr: 1e-3, eps: 1e-5 });
      for (let t = 0; t < 20; t++) {
        setGrads(ps, rng);
        opt.step();
      }
      return ps.map((p) => Array.from(p.data));
    });
    expect(results[0]).toEqual(results[1]);
  });

  it('validates hyperparameters', () => {
    const p = new Arena().param('w', [2]);
    expect(() => new Adam([], {})).toThrow(ValidationError);
    expect(() => new Adam([p, p], {})).toThrow(/twice/);
    expect(() => new Adam([p], { lr: -1 })).toThrow(/lr/);
    expect(() => new Adam([p], { betas: [1, 0.999] })).toThrow(/beta1/);
    expect(() => new Adam([p], { eps: Number.NaN })).toThrow(/eps/);
  });
});

describe('RMSprop', () => {
  /** Float64 model of torch.optim.RMSprop and SB3's RMSpropTFLike. */
  function model(
    p0: Float64Array,
    grads: Float64Array[],
    o: { lr: number; alpha: number; eps: number; momentum: number; centered: boolean; tf: boolean },
  ): Float64Array {
    const p = Float64Array.from(p0);
    const sq = new Float64Array(p.length).fill(o.tf ? 1 : 0);
    const ga = new Float64Array(p.length);
    const buf = new Float64Array(p.length);
    for (const g of grads) {
      for (let j = 0; j < p.length; j++) {
        sq[j] = o.alpha * sq[j] + (1 - o.alpha) * g[j] * g[j];
        let s = sq[j];
        if (o.centered) {
          ga[j] = o.alpha * ga[j] + (1 - o.alpha) * g[j];
          s -= ga[j] * ga[j];
        }
        const avg = o.tf ? Math.sqrt(s + o.eps) : Math.sqrt(s) + o.eps;
        if (o.momentum > 0) {
          buf[j] = o.momentum * buf[j] + g[j] / avg;
          p[j] -= o.lr * buf[j];
        } else {
          p[j] -= (o.lr * g[j]) / avg;
        }
      }
    }
    return p;
  }

  it("SB3 A2C's torch RMSprop and RMSpropTFLike follow their definitions", () => {
    for (const backend of BACKENDS) {
      for (const tf of [false, true]) {
        for (const [momentum, centered] of [
          [0, false],
          [0.9, false],
          [0, true],
        ] as const) {
          const rng = new Generator(11);
          const ps = params(new Arena({ backend }), [9], rng);
          const p0 = Float64Array.from(ps[0].data);
          const o = { lr: 7e-4, alpha: 0.99, eps: 1e-5, momentum, centered };
          const opt = tf ? new RMSpropTFLike(ps, o) : new RMSprop(ps, o);
          const grads: Float64Array[] = [];
          for (let t = 0; t < 25; t++) {
            setGrads(ps, rng);
            grads.push(Float64Array.from(ps[0].grad));
            opt.step();
          }
          expectRel(ps[0].data, model(p0, grads, { ...o, tf }), 1e-5, 1e-6);
          expect(opt.stepCount).toBe(25);
        }
      }
    }
  });

  it('the TF-like form differs from torch exactly as documented on the first step', () => {
    // One step from g = 0.1: torch sq = 0.01·0.01 = 1e-4, Δ = −lr·0.1/(0.01 + 1e-5);
    // TF-like sq = 0.99 + 1e-4, Δ = −lr·0.1/√(0.9901 + 1e-5).
    const arena = new Arena();
    const a = arena.param('a', [1]);
    const b = arena.param('b', [1]);
    a.grad[0] = 0.1;
    b.grad[0] = 0.1;
    const torchStyle = new RMSprop([a], { lr: 1, alpha: 0.99, eps: 1e-5 });
    const tfStyle = new RMSpropTFLike([b], { lr: 1, alpha: 0.99, eps: 1e-5 });
    expect(tfStyle.squareAverage(0)[0]).toBe(1);
    expect(torchStyle.squareAverage(0)[0]).toBe(0);
    torchStyle.step();
    tfStyle.step();
    expect(a.data[0]).toBeCloseTo(-0.1 / (0.01 + 1e-5), 4);
    expect(b.data[0]).toBeCloseTo(-0.1 / Math.sqrt(0.9901 + 1e-5), 6);
  });
});

describe('gradient utilities', () => {
  it('clipGradNorm scales by maxNorm/(norm + 1e-6) over all parameters and returns the norm', () => {
    for (const backend of BACKENDS) {
      const arena = new Arena({ backend });
      const a = arena.param('a', [2]);
      const b = arena.param('b', [1]);
      a.grad.set([3, 4]);
      b.grad.set([12]); // global norm √(9 + 16 + 144) = 13
      expect(gradNorm([a, b])).toBe(13);
      expect(clipGradNorm([a, b], 20)).toBe(13);
      expect(Array.from(a.grad)).toEqual([3, 4]); // below the limit: untouched
      expect(clipGradNorm([a, b], 6.5)).toBe(13);
      const c = 6.5 / (13 + 1e-6);
      expectRel(a.grad, [3 * c, 4 * c], 1e-7);
      expectRel(b.grad, [12 * c], 1e-7);
      expect(gradNorm([a, b])).toBeCloseTo(6.5, 5);
      expect(() => clipGradNorm([a, b], 0)).toThrow(ValidationError);
      zeroGrad([a, b]);
      expect(gradNorm([a, b])).toBe(0);
    }
  });

  it('softUpdate is SB3 polyak_update, within and across arenas; hardUpdate copies', () => {
    const rng = new Generator(3);
    const shared = new Arena();
    const other = new Arena({ backend: 'ref' });
    const source = new Mlp({ sizes: [3, 8, 2], activation: 'relu', arena: shared, rng });
    const t1 = new Mlp({ sizes: [3, 8, 2], activation: 'relu', arena: shared, rng });
    const t2 = new Mlp({ sizes: [3, 8, 2], activation: 'relu', arena: other, init: 'none' });
    hardUpdate(t2.params(), t1.params());
    expect(t2.params().map((p) => Array.from(p.data))).toEqual(t1.params().map((p) => Array.from(p.data)));
    const before = t1.params().map((p) => Float64Array.from(p.data));
    softUpdate(t1.params(), source.params(), 0.005);
    softUpdate(t2.params(), source.params(), 0.005);
    t1.params().forEach((p, k) => {
      const s = source.params()[k].data;
      const expected = before[k].map((v, j) => v * 0.995 + 0.005 * s[j]);
      expectRel(p.data, expected, 1e-6, 1e-8);
      // Same float32 operations in the kernel and in the cross-arena loop.
      expect(Array.from(t2.params()[k].data)).toEqual(Array.from(p.data));
    });
    softUpdate(t1.params(), source.params(), 0);
    expect(t1.params().map((p) => Array.from(p.data))).toEqual(t2.params().map((p) => Array.from(p.data)));
    softUpdate(t1.params(), source.params(), 1);
    expect(t1.params().map((p) => Array.from(p.data))).toEqual(
      source.params().map((p) => Array.from(p.data)),
    );
    expect(() => softUpdate(t1.params(), source.params(), 1.5)).toThrow(/tau/);
    const small = new Mlp({ sizes: [3, 4, 2], activation: 'relu', arena: shared, rng });
    expect(() => softUpdate(small.params(), source.params(), 0.1)).toThrow(/differs in size/);
    expect(() => hardUpdate(small.params().slice(1), source.params())).toThrow(ValidationError);
  });
});

describe('training end to end', () => {
  it('an Mlp trained with Adam fits a smooth function (loss falls by 100×)', () => {
    for (const backend of BACKENDS) {
      const rng = new Generator(1234);
      const net = new Mlp({ sizes: [2, 32, 32, 1], activation: 'tanh', arena: new Arena({ backend }), rng });
      const opt = new Adam(net.params(), { lr: 3e-3 });
      const batch = 64;
      const x = new Float32Array(batch * 2);
      const dOut = new Float32Array(batch);
      const target = new Float32Array(batch);
      const loss = (y: Float32Array) => {
        let s = 0;
        for (let b = 0; b < batch; b++) s += (y[b] - target[b]) ** 2;
        return s / batch;
      };
      let first = 0;
      let last = 0;
      for (let it = 0; it < 300; it++) {
        for (let b = 0; b < batch; b++) {
          const u = rng.random() * 2 - 1;
          const v = rng.random() * 2 - 1;
          x[2 * b] = u;
          x[2 * b + 1] = v;
          target[b] = Math.sin(2 * u) * Math.cos(v);
        }
        const y = net.forward(x, batch);
        const l = loss(y);
        if (it === 0) first = l;
        last = l;
        for (let b = 0; b < batch; b++) dOut[b] = (2 * (y[b] - target[b])) / batch;
        opt.zeroGrad();
        net.backward(dOut, batch);
        clipGradNorm(net.params(), 0.5);
        opt.step();
      }
      expect(last, backend).toBeLessThan(first / 100);
    }
  });
});

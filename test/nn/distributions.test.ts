import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import {
  categoricalEntropy,
  categoricalEntropyBackward,
  categoricalLogProb,
  categoricalLogProbBackward,
  categoricalLogSoftmax,
  categoricalMode,
  categoricalProbs,
  categoricalSample,
  diagGaussianEntropy,
  diagGaussianEntropyBackward,
  diagGaussianLogProb,
  diagGaussianLogProbBackward,
  diagGaussianMode,
  diagGaussianSample,
  type NormalSource,
} from '../../src/nn/distributions.js';
import { Generator } from '../../src/rng/index.js';

/**
 * Known answers from scripts/fixtures/nn_distributions.py: numpy float64 closed forms
 * (log-softmax, −Σ p log p, torch Normal's log_prob/entropy formulas) and numpy's own
 * Generator.choice / standard_normal draws for the sampling tests.
 */
const fx = JSON.parse(readFileSync(new URL('../fixtures/nn/distributions.json', import.meta.url), 'utf8'));
const cat = fx.categorical as {
  batch: number;
  n: number;
  logits: number[];
  actions: number[];
  log_softmax: number[];
  log_prob: number[];
  entropy: number[];
  mode: number[];
  sample_seed: number;
  sample_rounds: number;
  samples: number[];
};
const gauss = fx.gaussian as {
  batch: number;
  dim: number;
  mean: number[];
  log_std: number[];
  actions: number[];
  log_prob: number[];
  entropy: number;
  normal_seed: number;
  samples: number[];
};

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i] - expected[i]) > tol) {
      throw new Error(`element ${i}: ${actual[i]} vs ${expected[i]} (tol ${tol})`);
    }
  }
}

/** A deterministic pseudo-random vector for property tests (not a library RNG use). */
function vec(rng: Generator, n: number, scale = 1): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.uniform(-scale, scale);
  return v;
}

describe('Categorical', () => {
  const { batch, n } = cat;
  const logits = Float64Array.from(cat.logits);

  it('log-softmax, log-prob and entropy match numpy, including huge and tied logits', () => {
    const ls = new Float64Array(batch * n);
    categoricalLogSoftmax(logits, batch, n, ls);
    expectClose(ls, cat.log_softmax, 1e-12);
    const lp = new Float64Array(batch);
    categoricalLogProb(logits, batch, n, cat.actions, lp);
    expectClose(lp, cat.log_prob, 1e-12);
    const h = new Float64Array(batch);
    categoricalEntropy(logits, batch, n, h);
    expectClose(h, cat.entropy, 1e-12);
    // Row 3 is uniform over 4 actions: entropy log 4 exactly, by hand.
    expect(h[3]).toBeCloseTo(Math.log(4), 14);
  });

  it('probabilities sum to one and float32 outputs are the rounded float64 values', () => {
    const p = new Float64Array(batch * n);
    categoricalProbs(logits, batch, n, p);
    for (let b = 0; b < batch; b++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += p[b * n + j];
      expect(s).toBeCloseTo(1, 14);
    }
    const ls32 = new Float32Array(batch * n);
    categoricalLogSoftmax(Float32Array.from(cat.logits), batch, n, ls32);
    for (let i = 0; i < batch * n; i++) expect(ls32[i]).toBeCloseTo(cat.log_softmax[i], 3);
  });

  it('mode is the first maximum, as torch.argmax', () => {
    const out = new Int32Array(batch);
    categoricalMode(logits, batch, n, out);
    expect(Array.from(out)).toEqual(cat.mode);
    expect(out[1]).toBe(0); // [1.5, 1.5, -0.25, 1.5] -> first of the tied maxima
  });

  it('sample draws the same actions as numpy Generator.choice(n, p) from the same seed', () => {
    const rng = new Generator(cat.sample_seed);
    const out = new Int32Array(batch);
    const got: number[] = [];
    for (let r = 0; r < cat.sample_rounds; r++) {
      categoricalSample(logits, batch, n, rng, out);
      got.push(...out);
    }
    expect(got).toEqual(cat.samples);
    // Row 2 puts probability e^-850 on action 2: never drawn.
    for (let r = 0; r < cat.sample_rounds; r++) expect(got[r * batch + 2]).not.toBe(2);
  });

  it('empirical sample frequencies approach the probabilities', () => {
    const z = Float64Array.from([0.2, -1, 1.3]);
    const p = new Float64Array(3);
    categoricalProbs(z, 1, 3, p);
    const rng = new Generator(123);
    const counts = [0, 0, 0];
    const out = new Int32Array(1);
    const draws = 20000;
    for (let k = 0; k < draws; k++) {
      categoricalSample(z, 1, 3, rng, out);
      counts[out[0]]++;
    }
    // 5 binomial standard deviations: sqrt(p(1-p)/N) <= 0.0036.
    for (let j = 0; j < 3; j++) expect(Math.abs(counts[j] / draws - p[j])).toBeLessThan(0.018);
  });

  it('log-prob gradient matches central finite differences', () => {
    const rng = new Generator(5);
    const B = 3;
    const K = 5;
    const z = vec(rng, B * K, 3);
    const actions = [4, 0, 2];
    const dLogProb = [0.7, -1.3, 2.1]; // loss = Σ_b dLogProb[b] · log p_b(a_b)
    const grad = new Float64Array(B * K);
    categoricalLogProbBackward(z, B, K, actions, dLogProb, grad);
    const loss = (zz: Float64Array): number => {
      const lp = new Float64Array(B);
      categoricalLogProb(zz, B, K, actions, lp);
      return lp.reduce((s, v, b) => s + dLogProb[b] * v, 0);
    };
    expectClose(grad, numericGrad(loss, z), 1e-7);
    // Each row's gradient of log p sums to zero (softmax is shift invariant).
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let j = 0; j < K; j++) s += grad[b * K + j];
      expect(Math.abs(s)).toBeLessThan(1e-12);
    }
  });

  it('entropy gradient matches central finite differences, per-row and scalar weights, and accumulates', () => {
    const rng = new Generator(6);
    const B = 4;
    const K = 3;
    const z = vec(rng, B * K, 2);
    const dH = [1, -0.5, 0.25, 2];
    const grad = new Float64Array(B * K);
    categoricalEntropyBackward(z, B, K, dH, grad);
    const loss = (zz: Float64Array): number => {
      const h = new Float64Array(B);
      categoricalEntropy(zz, B, K, h);
      return h.reduce((s, v, b) => s + dH[b] * v, 0);
    };
    expectClose(grad, numericGrad(loss, z), 1e-7);

    // Scalar weight c means c · Σ_b H_b.
    const gScalar = new Float64Array(B * K);
    categoricalEntropyBackward(z, B, K, -0.1, gScalar);
    const lossScalar = (zz: Float64Array): number => {
      const h = new Float64Array(B);
      categoricalEntropy(zz, B, K, h);
      return -0.1 * h.reduce((s, v) => s + v, 0);
    };
    expectClose(gScalar, numericGrad(lossScalar, z), 1e-7);

    // accumulate = true adds the log-prob term to the entropy term.
    const actions = [0, 1, 2, 1];
    const dLp = [1, 1, 1, 1];
    const combined = Float64Array.from(gScalar);
    categoricalLogProbBackward(z, B, K, actions, dLp, combined, true);
    const lpOnly = new Float64Array(B * K);
    categoricalLogProbBackward(z, B, K, actions, dLp, lpOnly);
    for (let i = 0; i < B * K; i++) expect(combined[i]).toBeCloseTo(gScalar[i] + lpOnly[i], 14);
  });

  it('rejects out-of-range actions and short buffers with ValidationError', () => {
    const out = new Float64Array(batch);
    expect(() => categoricalLogProb(logits, batch, n, [0, 1, 2, 3, 4, 0], out)).toThrow(
      /action 4 of row 4 is not in \[0, 4\)/,
    );
    expect(() => categoricalLogProb(logits, batch, n, [0, 1, 2, 3, 1.5, 0], out)).toThrow(ValidationError);
    expect(() => categoricalEntropy(logits, batch, n, new Float64Array(2))).toThrow(/out has 2 elements/);
    expect(() => categoricalMode(logits, batch, 0, out)).toThrow(/n must be a positive integer/);
  });
});

describe('DiagGaussian (state-independent log_std)', () => {
  const { batch, dim } = gauss;
  const mean = Float64Array.from(gauss.mean);
  const logStd = Float64Array.from(gauss.log_std);

  it('log-prob and entropy match the closed forms computed by numpy', () => {
    const lp = new Float64Array(batch);
    diagGaussianLogProb(mean, logStd, batch, dim, gauss.actions, lp);
    expectClose(lp, gauss.log_prob, 1e-12);
    expect(diagGaussianEntropy(logStd, dim)).toBeCloseTo(gauss.entropy, 13);
    // By hand: a standard normal at its mean has log density −½ log 2π per dimension.
    const one = new Float64Array(1);
    diagGaussianLogProb([0, 0], [0, 0], 1, 2, [0, 0], one);
    expect(one[0]).toBeCloseTo(-Math.log(2 * Math.PI), 14);
  });

  it('mode is the mean', () => {
    const out = new Float32Array(batch * dim);
    diagGaussianMode(mean, batch, dim, out);
    expect(Array.from(out)).toEqual(Array.from(Float32Array.from(mean)));
  });

  it('sample is mean + std · standard_normal in row-major order', () => {
    // A scripted normal source pins the arithmetic and the draw order independently of the RNG.
    const eps = [0.5, -1, 2, 0, 1, -0.25];
    let k = 0;
    const scripted: NormalSource = { standardNormal: () => eps[k++] };
    const out = new Float64Array(2 * 3);
    diagGaussianSample([0, 1, 2, 3, 4, 5], [0, Math.log(2), Math.log(0.5)], 2, 3, scripted, out);
    expect(Array.from(out)).toEqual([0.5, 1 - 2, 2 + 1, 3, 4 + 2, 5 - 0.125]);
  });

  it('sample reproduces numpy mean + exp(log_std) · standard_normal() from the same seed', () => {
    const rng = new Generator(gauss.normal_seed);
    const out = new Float64Array(batch * dim);
    diagGaussianSample(mean, logStd, batch, dim, rng, out);
    expectClose(out, gauss.samples, 1e-12);
  });

  it('log-prob gradients wrt mean and log_std match central finite differences', () => {
    const rng = new Generator(9);
    const B = 4;
    const D = 3;
    const mu = vec(rng, B * D, 1);
    const ls = vec(rng, D, 0.8);
    const act = vec(rng, B * D, 2);
    const dLp = [0.3, -2, 1.1, 0.6];
    const gMean = new Float64Array(B * D);
    const gLs = new Float64Array(D);
    diagGaussianLogProbBackward(mu, ls, B, D, act, dLp, gMean, gLs);
    const lossOf = (m: Float64Array, s: Float64Array): number => {
      const lp = new Float64Array(B);
      diagGaussianLogProb(m, s, B, D, act, lp);
      return lp.reduce((acc, v, b) => acc + dLp[b] * v, 0);
    };
    expectClose(
      gMean,
      numericGrad((m) => lossOf(m, ls), mu),
      1e-6,
    );
    expectClose(
      gLs,
      numericGrad((s) => lossOf(mu, s), ls),
      1e-6,
    );
  });

  it('entropy gradient wrt log_std is the summed weight; accumulate adds', () => {
    const gLs = new Float64Array(3);
    diagGaussianEntropyBackward(4, 3, [1, 2, 3, -1], gLs);
    expect(Array.from(gLs)).toEqual([5, 5, 5]);
    diagGaussianEntropyBackward(4, 3, -0.25, gLs, true);
    expect(Array.from(gLs)).toEqual([4, 4, 4]);
    // Finite difference of H wrt log_std[1]: dH = 1 per unit of log_std, per row.
    const ls = Float64Array.from([0.1, 0.2, 0.3]);
    const num = numericGrad((s) => diagGaussianEntropy(s, 3), ls);
    expectClose(num, [1, 1, 1], 1e-8);
  });
});

/** Central finite differences of a scalar function of one vector, in float64. */
function numericGrad(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  const y = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    y[i] = x[i] + h;
    const up = f(y);
    y[i] = x[i] - h;
    const down = f(y);
    y[i] = x[i];
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

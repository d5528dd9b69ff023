import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import type { NormalSource } from '../../src/nn/distributions.js';
import {
  orthogonalFromGaussian,
  orthogonalInit,
  SB3_ORTHO_GAINS,
  torchLinearDefaultInit,
  xavierUniformInit,
} from '../../src/nn/init.js';
import { Generator } from '../../src/rng/index.js';

/**
 * Known answers from scripts/fixtures/nn_init.py: torch's orthogonal_ recipe written with
 * numpy (numpy.linalg.qr, i.e. LAPACK, on numpy's standard_normal draws) and the uniform
 * bounds of torch's default Linear init / xavier_uniform_ with numpy's uniform draws.
 */
interface OrthoCase {
  seed: number;
  rows: number;
  cols: number;
  gain: number;
  gaussian: number[];
  weight: number[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/nn/init.json', import.meta.url), 'utf8')) as {
  orthogonal: OrthoCase[];
  torch_default: { seed: number; out: number; in: number; weight: number[]; bias: number[] }[];
  xavier: { seed: number; out: number; in: number; gain: number; weight: number[] }[];
};

/** Gram matrix of the columns (WᵀW, cols × cols) or of the rows (WWᵀ, rows × rows). */
function gram(w: ArrayLike<number>, rows: number, cols: number, side: 'columns' | 'rows'): Float64Array {
  const n = side === 'columns' ? cols : rows;
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      if (side === 'columns') for (let r = 0; r < rows; r++) s += w[r * cols + i] * w[r * cols + j];
      else for (let c = 0; c < cols; c++) s += w[i * cols + c] * w[j * cols + c];
      g[i * n + j] = s;
    }
  }
  return g;
}

function maxDeviationFromScaledIdentity(g: Float64Array, n: number, scale: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(g[i * n + j] - (i === j ? scale : 0)));
  }
  return worst;
}

describe('orthogonal init', () => {
  it('the QR step reproduces numpy.linalg.qr with sign correction on the same Gaussian matrix', () => {
    for (const c of fx.orthogonal) {
      const out = new Float64Array(c.rows * c.cols);
      orthogonalFromGaussian(c.gaussian, c.rows, c.cols, c.gain, out);
      for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(c.weight[i], 12);
    }
  });

  it('from a seed, reproduces numpy standard_normal + QR (the full torch recipe on numpy draws)', () => {
    for (const c of fx.orthogonal) {
      const w = new Float32Array(c.rows * c.cols);
      orthogonalInit(w, c.rows, c.cols, c.gain, new Generator(c.seed));
      for (let i = 0; i < w.length; i++)
        expect(Math.abs(w[i] - c.weight[i])).toBeLessThan(1e-6 * c.gain + 1e-12);
    }
  });

  it('is orthogonal on the right side and scaled by the gain', () => {
    const normal = new Generator(99);
    const cases: [number, number, number][] = [
      [64, 4, SB3_ORTHO_GAINS.hidden],
      [64, 64, SB3_ORTHO_GAINS.hidden],
      [2, 64, SB3_ORTHO_GAINS.policyHead],
      [1, 64, SB3_ORTHO_GAINS.valueHead],
      [100, 130, 1],
    ];
    for (const [rows, cols, gain] of cases) {
      const w = new Float64Array(rows * cols);
      orthogonalInit(w, rows, cols, gain, normal);
      const side = rows >= cols ? 'columns' : 'rows';
      const n = Math.min(rows, cols);
      expect(maxDeviationFromScaledIdentity(gram(w, rows, cols, side), n, gain * gain)).toBeLessThan(1e-12);
    }
  });

  it('is deterministic for a fixed seed and differs between seeds', () => {
    const make = (seed: number): Float32Array => {
      const w = new Float32Array(16 * 8);
      orthogonalInit(w, 16, 8, 1, new Generator(seed));
      return w;
    };
    expect(Array.from(make(3))).toEqual(Array.from(make(3)));
    expect(Array.from(make(3))).not.toEqual(Array.from(make(4)));
  });

  it('rejects a wrongly sized buffer or a non-finite gain', () => {
    const normal: NormalSource = { standardNormal: () => 1 };
    expect(() => orthogonalInit(new Float32Array(5), 2, 3, 1, normal)).toThrow(ValidationError);
    expect(() => orthogonalInit(new Float32Array(6), 2, 3, Number.NaN, normal)).toThrow(/gain/);
    expect(() => orthogonalInit(new Float32Array(0), 0, 3, 1, normal)).toThrow(/positive integers/);
  });
});

describe('uniform inits', () => {
  it("torch's default Linear init: weight then bias from U(±1/√fan_in), matching numpy draws", () => {
    for (const c of fx.torch_default) {
      const w = new Float32Array(c.out * c.in);
      const b = new Float32Array(c.out);
      torchLinearDefaultInit(w, b, c.out, c.in, new Generator(c.seed));
      expect(Array.from(w)).toEqual(c.weight);
      expect(Array.from(b)).toEqual(c.bias);
      const bound = 1 / Math.sqrt(c.in);
      for (const v of [...w, ...b]) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    }
  });

  it('xavier uniform: bound gain·√(6/(fan_in+fan_out)), matching numpy draws', () => {
    for (const c of fx.xavier) {
      const w = new Float32Array(c.out * c.in);
      xavierUniformInit(w, c.out, c.in, c.gain, new Generator(c.seed));
      expect(Array.from(w)).toEqual(c.weight);
      const bound = c.gain * Math.sqrt(6 / (c.in + c.out));
      for (const v of w) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    }
  });

  it('fills the whole range: the sample variance approaches bound²/3', () => {
    // U(−a, a) has variance a²/3; with fan_in 400 the default-init bound is 0.05.
    const w = new Float64Array(300 * 400);
    torchLinearDefaultInit(w, null, 300, 400, new Generator(12));
    let s = 0;
    let s2 = 0;
    for (const v of w) {
      s += v;
      s2 += v * v;
    }
    const mean = s / w.length;
    const variance = s2 / w.length - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(variance / (0.05 ** 2 / 3)).toBeCloseTo(1, 1);
  });
});

import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { huberLoss, mseLoss, smoothL1Loss } from '../../src/nn/losses.js';

/** Central finite difference of a scalar loss wrt each prediction, in float64. */
function numericGrad(loss: (p: Float64Array) => number, pred: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(pred.length);
  for (let i = 0; i < pred.length; i++) {
    const p = Float64Array.from(pred);
    p[i] = pred[i] + h;
    const up = loss(p);
    p[i] = pred[i] - h;
    const down = loss(p);
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

describe('mseLoss', () => {
  it('matches a hand computation', () => {
    // differences 1, -2, 0.5 -> squares 1, 4, 0.25 -> mean 5.25 / 3 = 1.75
    const pred = new Float32Array([2, 0, 1.5]);
    const target = new Float32Array([1, 2, 1]);
    const grad = new Float32Array(3);
    expect(mseLoss(pred, target, grad)).toBeCloseTo(1.75, 12);
    // 2 d / N = [2/3, -4/3, 1/3]
    expect(Array.from(grad)).toEqual([2 / 3, -4 / 3, 1 / 3].map(Math.fround));
  });

  it('gradient agrees with finite differences and the value is unchanged without a buffer', () => {
    const pred = Float64Array.from([0.3, -1.7, 2.2, 0.01, 5]);
    const target = Float64Array.from([0.1, 0.4, 2.2, -0.5, -3]);
    const grad = new Float64Array(5);
    const v = mseLoss(pred, target, grad);
    expect(mseLoss(pred, target)).toBe(v);
    const num = numericGrad((p) => mseLoss(p, target), pred);
    for (let i = 0; i < 5; i++) expect(grad[i]).toBeCloseTo(num[i], 6);
  });

  it('rejects mismatched lengths, a wrong gradient buffer and an empty batch', () => {
    expect(() => mseLoss([1, 2], [1])).toThrow(ValidationError);
    expect(() => mseLoss([1, 2], [1, 2], new Float32Array(1))).toThrow(/gradient buffer/);
    expect(() => mseLoss([], [])).toThrow(/empty batch/);
  });
});

describe('smoothL1Loss / huberLoss', () => {
  it('matches torch.nn.functional.smooth_l1_loss(beta=1) computed by hand', () => {
    // d = [0.5, -3, 1, 0]: 0.5*0.25 = 0.125; |−3| − 0.5 = 2.5; z = 1 is not < beta so 1 − 0.5 = 0.5; 0.
    // mean = (0.125 + 2.5 + 0.5 + 0) / 4 = 0.78125.
    const pred = new Float64Array([1.5, -1, 3, 7]);
    const target = new Float64Array([1, 2, 2, 7]);
    const grad = new Float64Array(4);
    expect(smoothL1Loss(pred, target, grad)).toBeCloseTo(0.78125, 14);
    // d/N inside, sign(d)/N outside (z = beta takes the linear branch): [0.125, -0.25, 0.25, 0]
    expect(Array.from(grad)).toEqual([0.125, -0.25, 0.25, 0]);
    expect(huberLoss(pred, target)).toBe(smoothL1Loss(pred, target));
  });

  it('uses beta as torch does', () => {
    // beta = 2, d = 1: 0.5 * 1 / 2 = 0.25; d = 3: 3 − 1 = 2. Mean 1.125.
    expect(smoothL1Loss([1, 3], [0, 0], undefined, 2)).toBeCloseTo(1.125, 14);
    expect(() => smoothL1Loss([1], [0], undefined, 0)).toThrow(/beta/);
  });

  it('gradient agrees with finite differences away from the kink', () => {
    const pred = Float64Array.from([0.3, -1.7, 2.2, 0.01, 5, -0.99]);
    const target = Float64Array.from([0.1, 0.4, 2.25, -0.5, -3, 0.2]);
    const grad = new Float64Array(pred.length);
    smoothL1Loss(pred, target, grad);
    const num = numericGrad((p) => smoothL1Loss(p, target), pred);
    for (let i = 0; i < pred.length; i++) expect(grad[i]).toBeCloseTo(num[i], 6);
  });

  it('is continuous in value and slope at |d| = beta', () => {
    const eps = 1e-9;
    const inside = smoothL1Loss([1 - eps], [0]);
    const outside = smoothL1Loss([1 + eps], [0]);
    expect(Math.abs(inside - outside)).toBeLessThan(1e-8);
    const g1 = new Float64Array(1);
    const g2 = new Float64Array(1);
    smoothL1Loss([1 - eps], [0], g1);
    smoothL1Loss([1 + eps], [0], g2);
    expect(Math.abs(g1[0] - g2[0])).toBeLessThan(1e-8);
  });
});

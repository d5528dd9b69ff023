import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { Generator } from '../../src/rng/index.js';
import type { Alternative } from '../../src/stats/hypothesis-tests.js';
import { zTestPower, zTestSampleSize } from '../../src/stats/power.js';
import { normalIsf } from '../../src/stats/special.js';
import { expectClose, loadFixture } from './helpers.js';

// Known answers: the same power formulas evaluated with scipy.stats.norm, and sample sizes
// found by counting n up from 1 (scripts/fixtures/stats_fixtures.py).
interface PowerFixture {
  power: { effect: number; sd: number; n: number; alpha: number; alternative: Alternative; power: number }[];
  sampleSize: {
    effect: number;
    sd: number;
    alpha: number;
    power: number;
    alternative: Alternative;
    n: number;
  }[];
}
const fx = loadFixture<PowerFixture>('power.json');

describe('zTestPower', () => {
  it('matches scipy.stats.norm', () => {
    for (const c of fx.power) {
      expectClose(
        zTestPower(c.effect, c.sd, c.n, c.alpha, c.alternative),
        c.power,
        1e-13,
        1e-16,
        JSON.stringify(c),
      );
    }
  });

  it('equals alpha at zero effect and grows with n and the effect', () => {
    expectClose(zTestPower(0, 1, 10, 0.05), 0.05, 1e-14);
    expectClose(zTestPower(0, 1, 10, 0.05, 'two-sided'), 0.05, 1e-14);
    let last = 0;
    for (const n of [2, 5, 10, 20, 50, 100]) {
      const p = zTestPower(0.3, 1, n);
      expect(p).toBeGreaterThan(last);
      last = p;
    }
    expect(zTestPower(0.5, 1, 20)).toBeGreaterThan(zTestPower(0.3, 1, 20));
    expect(zTestPower(-0.5, 1, 20, 0.05, 'less')).toBe(zTestPower(0.5, 1, 20, 0.05, 'greater'));
  });

  it('agrees with a seeded simulation of the test', () => {
    // 4000 experiments of n = 20 draws from N(0.5, 1); reject when x̄√n > z₀.₉₅.
    const g = new Generator(123);
    const n = 20;
    const z = normalIsf(0.05);
    let rejections = 0;
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += 0.5 + g.standardNormal();
      if ((s / n) * Math.sqrt(n) > z) rejections++;
    }
    const power = zTestPower(0.5, 1, n);
    const se = Math.sqrt((power * (1 - power)) / trials);
    expect(Math.abs(rejections / trials - power)).toBeLessThan(4 * se);
  });

  it('validates arguments', () => {
    expect(() => zTestPower(0.1, 0, 10)).toThrow(/sd/);
    expect(() => zTestPower(0.1, 1, 0)).toThrow(/n/);
    expect(() => zTestPower(0.1, 1, 10, 1)).toThrow(/alpha/);
    expect(() => zTestPower(Number.NaN, 1, 10)).toThrow(ValidationError);
  });
});

describe('zTestSampleSize', () => {
  it('matches the direct search', () => {
    for (const c of fx.sampleSize) {
      expect(zTestSampleSize(c.effect, c.sd, c.alpha, c.power, c.alternative)).toBe(c.n);
    }
  });

  it('is the smallest n reaching the power', () => {
    for (const [effect, alt] of [
      [0.2, 'greater'],
      [-0.35, 'less'],
      [0.15, 'two-sided'],
    ] as const) {
      const n = zTestSampleSize(effect, 1.3, 0.05, 0.9, alt);
      expect(zTestPower(effect, 1.3, n, 0.05, alt)).toBeGreaterThanOrEqual(0.9);
      expect(zTestPower(effect, 1.3, n - 1, 0.05, alt)).toBeLessThan(0.9);
    }
  });

  it('rejects effects that can never be detected', () => {
    expect(() => zTestSampleSize(0, 1)).toThrow(/effect/);
    expect(() => zTestSampleSize(-0.5, 1, 0.05, 0.8, 'greater')).toThrow(/effect/);
  });
});

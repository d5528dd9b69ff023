import { describe, expect, it } from 'vitest';
import { AcrobotEnv, bound, wrap } from '../../../src/envs/classic-control/index.js';
import { ValidationError } from '../../../src/errors.js';

const PI = Math.PI;

describe('wrap and bound (Gymnasium acrobot.py helpers)', () => {
  it('wrap shifts by whole periods into [m, M]', () => {
    expect(wrap(1, -PI, PI)).toBe(1);
    expect(wrap(PI, -PI, PI)).toBe(PI); // the ends are inside
    expect(wrap(4, -PI, PI)).toBe(4 - 2 * PI);
    expect(wrap(-4, -PI, PI)).toBe(-4 + 2 * PI);
    expect(wrap(20, -PI, PI)).toBe(20 - 2 * PI - 2 * PI - 2 * PI);
    expect(wrap(360, -180, 180)).toBe(0);
  });

  it('bound clamps to [m, M]', () => {
    expect([bound(-5, -1, 1), bound(0.5, -1, 1), bound(5, -1, 1)]).toEqual([-1, 0.5, 1]);
    expect(Number.isNaN(bound(Number.NaN, -1, 1))).toBe(true);
  });
});

describe('AcrobotEnv', () => {
  it('starts with both links hanging: each variable in [-0.1, 0.1], stored as float32', () => {
    const env = new AcrobotEnv();
    for (let seed = 0; seed < 200; seed++) {
      const obs = env.reset({ seed }).obs;
      const s = env.state!;
      for (const v of s) {
        expect(Math.abs(v)).toBeLessThanOrEqual(Math.fround(0.1));
        expect(Math.fround(v)).toBe(v); // Gymnasium casts the initial state to float32
      }
      expect(Array.from(obs)).toEqual(
        [Math.cos(s[0]), Math.sin(s[0]), Math.cos(s[1]), Math.sin(s[1]), s[2], s[3]].map(Math.fround),
      );
    }
    const wide = new AcrobotEnv();
    wide.reset({ seed: 0, options: { low: 0.5, high: 0.6 } });
    for (const v of wide.state!) expect(v >= Math.fround(0.5) && v <= Math.fround(0.6)).toBe(true);
  });

  it('stays hanging at rest without torque, and costs -1 per step', () => {
    const env = new AcrobotEnv();
    env.reset({ seed: 0 });
    env.state = [0, 0, 0, 0];
    const r = env.step(1); // action 1 = zero torque
    // cos(-π/2) is 6e-17 in floating point, so the links move by at most that much.
    for (const v of env.state!) expect(Math.abs(v)).toBeLessThan(1e-14);
    expect(r.reward).toBe(-1);
    expect(r.terminated).toBe(false);
  });

  it('the torque of actions 0 and 2 is -1 and +1: mirror-image motions from rest', () => {
    const env = new AcrobotEnv();
    env.reset({ seed: 0 });
    env.state = [0, 0, 0, 0];
    env.step(2);
    const plus = Array.from(env.state!);
    env.state = [0, 0, 0, 0];
    env.step(0);
    const minus = Array.from(env.state!);
    for (let i = 0; i < 4; i++) expect(minus[i]).toBeCloseTo(-plus[i], 12);
    // A positive torque on the second joint accelerates θ2 positively and θ1 the other way.
    expect(plus[3]).toBeGreaterThan(0);
    expect(plus[2]).toBeLessThan(0);
  });

  it('terminates (reward 0) when the tip is more than one link above the pivot', () => {
    const env = new AcrobotEnv();
    env.reset({ seed: 0 });
    env.state = [PI, 0, 0, 0]; // both links straight up: height -cos π - cos π = 2
    const r = env.step(1);
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(0);
    env.state = [PI / 2, 0, 0, 0]; // horizontal: height 0
    expect(env.step(1).terminated).toBe(false);
  });

  it('wraps angles into [-π, π] and bounds speeds to ±4π, ±9π', () => {
    const env = new AcrobotEnv();
    env.reset({ seed: 0 });
    env.state = [PI - 1e-3, -PI + 1e-3, 100, -100];
    env.step(1);
    const [t1, t2, d1, d2] = env.state!;
    expect(Math.abs(t1)).toBeLessThanOrEqual(PI);
    expect(Math.abs(t2)).toBeLessThanOrEqual(PI);
    expect(Math.abs(d1)).toBeLessThanOrEqual(4 * PI);
    expect(Math.abs(d2)).toBeLessThanOrEqual(9 * PI);
  });

  it("book_or_nips: the NIPS paper's dynamics drop the m2 l1 lc2 θ̇1² sin θ2 term", () => {
    const state = [0.3, 0.8, 2.0, -1.0];
    const book = new AcrobotEnv();
    const nips = new AcrobotEnv({ book_or_nips: 'nips' });
    for (const env of [book, nips]) {
      env.reset({ seed: 0 });
      env.state = state;
      env.step(2);
    }
    expect(Array.from(nips.state!)).not.toEqual(Array.from(book.state!));
    expect(() => new AcrobotEnv({ book_or_nips: 'paper' as 'nips' })).toThrow(ValidationError);
  });

  it('torque_noise_max adds seeded uniform noise to the torque', () => {
    const quiet = new AcrobotEnv();
    const noisy = new AcrobotEnv({ torque_noise_max: 0.5 });
    const twin = new AcrobotEnv({ torque_noise_max: 0.5 });
    for (const env of [quiet, noisy, twin]) env.reset({ seed: 4 });
    for (let t = 0; t < 5; t++) for (const env of [quiet, noisy, twin]) env.step(1);
    expect(Array.from(noisy.state!)).not.toEqual(Array.from(quiet.state!));
    expect(Array.from(noisy.state!)).toEqual(Array.from(twin.state!));
    expect(() => new AcrobotEnv({ torque_noise_max: -1 })).toThrow(/torque_noise_max/);
  });

  it('success means reaching the goal height, even on the truncating step', () => {
    expect(AcrobotEnv.success(-80, true, false)).toBe(true);
    expect(AcrobotEnv.success(-499, true, true)).toBe(true);
    expect(AcrobotEnv.success(-500, false, true)).toBe(false);
    expect([AcrobotEnv.id, AcrobotEnv.maxEpisodeSteps, AcrobotEnv.rewardThreshold]).toEqual([
      'Acrobot-v1',
      500,
      -100,
    ]);
  });

  it('observation bounds are ±1 for the cos/sin and ±4π, ±9π for the speeds', () => {
    const env = new AcrobotEnv();
    expect(Array.from(env.observationSpace.high)).toEqual([1, 1, 1, 1, 4 * PI, 9 * PI].map(Math.fround));
    expect(env.actionSpace.n).toBe(3);
  });
});

import { describe, expect, it } from 'vitest';
import { ContinuousMountainCarEnv, MountainCarEnv } from '../../../src/envs/classic-control/index.js';

const f32 = Math.fround;

describe('MountainCarEnv', () => {
  it('starts at rest with the position uniform in [-0.6, -0.4]', () => {
    const env = new MountainCarEnv();
    for (let seed = 0; seed < 200; seed++) {
      const [p, v] = env.reset({ seed }).obs;
      expect(p >= f32(-0.6) && p <= f32(-0.4)).toBe(true);
      expect(v).toBe(0);
    }
    const [p] = env.reset({ seed: 0, options: { low: -0.1, high: 0 } }).obs;
    expect(p >= f32(-0.1) && p <= 0).toBe(true);
  });

  it('steps v += (a - 1) 0.001 - 0.0025 cos(3x), x += v: known answer', () => {
    const env = new MountainCarEnv();
    env.reset({ seed: 0 });
    env.state = [-0.5, 0];
    const r = env.step(2);
    const v = 0 + (1 * 0.001 + Math.cos(3 * -0.5) * -0.0025);
    expect(Array.from(env.state!)).toEqual([-0.5 + v, v]);
    expect(Array.from(r.obs)).toEqual([f32(-0.5 + v), f32(v)]);
    expect(r.reward).toBe(-1);
    expect(r.terminated).toBe(false);
  });

  it('clips the speed to ±0.07 and the position to [-1.2, 0.6]', () => {
    const env = new MountainCarEnv();
    env.reset({ seed: 0 });
    env.state = [-0.5, 0.07];
    env.step(2);
    expect(env.state![1]).toBe(0.07);
    env.state = [-0.5, -0.07];
    env.step(0);
    expect(env.state![1]).toBe(-0.07);
  });

  it('stops the car at the left wall (inelastic)', () => {
    const env = new MountainCarEnv();
    env.reset({ seed: 0 });
    env.state = [-1.19, -0.05];
    env.step(0);
    expect(Array.from(env.state!)).toEqual([-1.2, 0]);
    // Moving right from the wall keeps its speed.
    env.state = [-1.2, 0.01];
    env.step(2);
    expect(env.state![1]).toBeGreaterThan(0);
  });

  it('terminates at position >= 0.5 with velocity >= goal_velocity', () => {
    const env = new MountainCarEnv();
    env.reset({ seed: 0 });
    env.state = [0.49, 0.02];
    expect(env.step(2).terminated).toBe(true);
    env.state = [0.45, 0.02];
    expect(env.step(2).terminated).toBe(false);
    const picky = new MountainCarEnv({ goal_velocity: 0.05 });
    picky.reset({ seed: 0 });
    picky.state = [0.49, 0.02];
    expect(picky.step(2).terminated).toBe(false);
    expect(() => new MountainCarEnv({ goal_velocity: Number.NaN })).toThrow(/goal_velocity/);
  });

  it('success means reaching the goal', () => {
    expect(MountainCarEnv.success(-120, true, false)).toBe(true);
    expect(MountainCarEnv.success(-200, true, true)).toBe(true);
    expect(MountainCarEnv.success(-200, false, true)).toBe(false);
    expect([MountainCarEnv.id, MountainCarEnv.maxEpisodeSteps, MountainCarEnv.rewardThreshold]).toEqual([
      'MountainCar-v0',
      200,
      -110,
    ]);
  });
});

describe('ContinuousMountainCarEnv', () => {
  it('starts at rest with the position uniform in [-0.6, -0.4]', () => {
    const env = new ContinuousMountainCarEnv();
    for (let seed = 0; seed < 100; seed++) {
      const [p, v] = env.reset({ seed }).obs;
      expect(p >= f32(-0.6) && p <= f32(-0.4)).toBe(true);
      expect(v).toBe(0);
    }
  });

  it('charges 0.1 a² per step on the unclipped action, and pays 100 at the goal', () => {
    const env = new ContinuousMountainCarEnv();
    env.reset({ seed: 0 });
    expect(env.step([0.5]).reward).toBe(-0.025);
    expect(env.step([-5]).reward).toBe(-(25 * 0.1));
    env.state = [0.44, 0.02];
    const r = env.step([1]);
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(100 - 0.1);
  });

  it('clips the force to [-1, 1]: any action beyond 1 moves the car alike, and like 1 up to float32 rounding', () => {
    const [a, b, c] = [
      new ContinuousMountainCarEnv(),
      new ContinuousMountainCarEnv(),
      new ContinuousMountainCarEnv(),
    ];
    for (const env of [a, b, c]) env.reset({ seed: 3 });
    for (let t = 0; t < 20; t++) {
      const ra = a.step([7]);
      const rb = b.step([1.5]);
      const rc = c.step([1]);
      expect(Array.from(ra.obs)).toEqual(Array.from(rb.obs));
      // Gymnasium's clipped force is the Python float 1.0, so the force term is float64
      // arithmetic, while an in-range float32 action keeps it float32: the last bits may differ.
      for (let i = 0; i < 2; i++) expect(Math.abs(ra.obs[i] - rc.obs[i])).toBeLessThan(1e-6);
    }
  });

  it('keeps its state in float32 after a step, as Gymnasium stores it', () => {
    const env = new ContinuousMountainCarEnv();
    env.reset({ seed: 0 });
    env.step([0.3]);
    for (const v of env.state!) expect(f32(v)).toBe(v);
    const r = env.step([0.3]);
    expect(Array.from(r.obs)).toEqual(Array.from(env.state!));
  });

  it('takes the action as float32, the action space dtype', () => {
    const a = new ContinuousMountainCarEnv();
    const b = new ContinuousMountainCarEnv();
    for (const env of [a, b]) env.reset({ seed: 5 });
    expect(a.step([0.1]).reward).toBe(b.step(new Float32Array([0.1])).reward);
    expect(a.step([0.1]).reward).toBe(-(f32(0.1) * f32(0.1) * 0.1));
  });

  it('stops at the left wall and terminates at 0.45 (not 0.5)', () => {
    const env = new ContinuousMountainCarEnv();
    env.reset({ seed: 0 });
    env.state = [-1.19, -0.05];
    env.step([-1]);
    expect(Array.from(env.state!)).toEqual([f32(-1.2), 0]);
    env.state = [0.44, 0.011];
    expect(env.step([0]).terminated).toBe(true);
  });

  it('success means reaching the goal; metadata', () => {
    expect(ContinuousMountainCarEnv.success(93, true, false)).toBe(true);
    expect(ContinuousMountainCarEnv.success(-5, false, true)).toBe(false);
    expect([
      ContinuousMountainCarEnv.id,
      ContinuousMountainCarEnv.maxEpisodeSteps,
      ContinuousMountainCarEnv.rewardThreshold,
    ]).toEqual(['MountainCarContinuous-v0', 999, 90]);
    const env = new ContinuousMountainCarEnv();
    expect(env.actionSpace.toJSON()).toEqual({
      type: 'Box',
      dtype: 'float32',
      shape: [1],
      low: [-1],
      high: [1],
    });
  });
});

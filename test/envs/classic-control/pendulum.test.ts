import { describe, expect, it } from 'vitest';
import { angleNormalize, PendulumEnv } from '../../../src/envs/classic-control/index.js';

const f32 = Math.fround;
const PI = Math.PI;

describe('angleNormalize', () => {
  it('maps x to [-π, π) as ((x + π) mod 2π) - π', () => {
    expect(angleNormalize(0)).toBe(0);
    expect(angleNormalize(PI)).toBe(-PI); // (2π mod 2π) - π
    expect(angleNormalize(-PI)).toBe(-PI);
    expect(angleNormalize(1)).toBe(1 + PI - PI);
    expect(angleNormalize(-1)).toBe(-1 + PI - PI);
    expect(angleNormalize(3 * PI - 0.5)).toBeCloseTo(PI - 0.5, 12);
    expect(angleNormalize(-3 * PI + 0.5)).toBeCloseTo(-PI + 0.5, 12);
  });

  it('always lands in [-π, π) and differs from x by a whole number of turns', () => {
    for (let i = -2000; i <= 2000; i++) {
      const x = i * 0.0731;
      const y = angleNormalize(x);
      expect(y >= -PI && y < PI).toBe(true);
      const turns = (x - y) / (2 * PI);
      expect(Math.abs(turns - Math.round(turns))).toBeLessThan(1e-9);
    }
  });
});

describe('PendulumEnv', () => {
  it('starts with θ uniform in [-π, π] and θ̇ in [-1, 1]; x_init / y_init widen or narrow them', () => {
    const env = new PendulumEnv();
    for (let seed = 0; seed < 200; seed++) {
      env.reset({ seed });
      const [th, thdot] = env.state!;
      expect(Math.abs(th)).toBeLessThanOrEqual(PI);
      expect(Math.abs(thdot)).toBeLessThanOrEqual(1);
    }
    env.reset({ seed: 1, options: { x_init: 0.1, y_init: 0.01 } });
    const [th, thdot] = env.state!;
    expect(Math.abs(th)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(thdot)).toBeLessThanOrEqual(0.01);
    expect(() => env.reset({ options: { x_init: 'far' } })).toThrow(/x_init/);
  });

  it('observes [cos θ, sin θ, θ̇] in float32', () => {
    const env = new PendulumEnv();
    const obs = env.reset({ seed: 2 }).obs;
    const [th, thdot] = env.state!;
    expect(Array.from(obs)).toEqual([f32(Math.cos(th)), f32(Math.sin(th)), f32(thdot)]);
  });

  it('steps θ̇ += (3g/2l sin θ + 3/(ml²) u) dt, θ += θ̇ dt: known answer', () => {
    const env = new PendulumEnv();
    env.reset({ seed: 0 });
    env.state = [PI / 2, 0];
    const r = env.step([2]);
    // g = 10, m = l = 1, dt = 0.05: θ̇' = (15 sin(π/2) + 3·2) · 0.05 = 1.05; θ' = π/2 + 0.0525.
    const thdot = 0 + (15 * Math.sin(PI / 2) + 6) * 0.05;
    expect(Array.from(env.state!)).toEqual([PI / 2 + thdot * 0.05, thdot]);
    expect(thdot).toBeCloseTo(1.05, 15);
    // Cost θ² + 0.1 θ̇² + 0.001 u² of the state before the step.
    const an = angleNormalize(PI / 2);
    expect(an).toBeCloseTo(PI / 2, 15);
    expect(r.reward).toBe(-(an * an + 0.1 * 0 + f32(f32(0.001) * 4)));
    expect(r.terminated).toBe(false);
  });

  it('clips the torque to ±2 (in dynamics and cost) and the speed to ±8', () => {
    const a = new PendulumEnv();
    const b = new PendulumEnv();
    for (const env of [a, b]) {
      env.reset({ seed: 0 });
      env.state = [0.3, 0.2];
    }
    expect(a.step([9]).reward).toBe(b.step([2]).reward);
    expect(Array.from(a.state!)).toEqual(Array.from(b.state!));
    a.state = [0, 7.9];
    a.step([2]); // 7.9 + 6 · 0.05 = 8.2 → 8
    expect(a.state![1]).toBe(8);
    a.state = [0, -7.9];
    a.step([-2]);
    expect(a.state![1]).toBe(-8);
  });

  it('upright and still costs nothing; the angle is normalised in the cost', () => {
    const env = new PendulumEnv();
    env.reset({ seed: 0 });
    env.state = [0, 0];
    expect(env.step([0]).reward).toBe(-0);
    env.state = [2 * PI, 0]; // the same upright position, one turn on
    expect(env.step([0]).reward).toBeCloseTo(0, 20);
  });

  it('g sets gravity (a pendulum without gravity at rest stays put)', () => {
    const env = new PendulumEnv({ g: 0 });
    expect(env.g).toBe(0);
    env.reset({ seed: 0 });
    env.state = [1, 0];
    env.step([0]);
    expect(Array.from(env.state!)).toEqual([1, 0]);
    const moon = new PendulumEnv({ g: 1.62 });
    moon.reset({ seed: 0 });
    moon.state = [1, 0];
    moon.step([0]);
    expect(moon.state![1]).toBe(((3 * 1.62) / 2) * Math.sin(1) * 0.05);
    expect(() => new PendulumEnv({ g: Number.POSITIVE_INFINITY })).toThrow(/g must be/);
  });

  it('never terminates; success is a return of at least -200', () => {
    const env = new PendulumEnv();
    env.reset({ seed: 0 });
    for (let t = 0; t < 300; t++) expect(env.step([t % 2 === 0 ? 2 : -2]).terminated).toBe(false);
    expect(PendulumEnv.success(-150, false, true)).toBe(true);
    expect(PendulumEnv.success(-200, false, true)).toBe(true);
    expect(PendulumEnv.success(-201, false, true)).toBe(false);
    expect([PendulumEnv.id, PendulumEnv.maxEpisodeSteps, PendulumEnv.rewardThreshold]).toEqual([
      'Pendulum-v1',
      200,
      null,
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { CartPoleEnv } from '../../../src/envs/classic-control/index.js';
import { ValidationError } from '../../../src/errors.js';

const THETA_LIMIT = (12 * 2 * Math.PI) / 360;

describe('CartPoleEnv', () => {
  it('starts every state variable uniformly in [-0.05, 0.05]', () => {
    const env = new CartPoleEnv();
    let maxAbs = 0;
    for (let seed = 0; seed < 300; seed++) {
      for (const v of env.reset({ seed }).obs) {
        expect(Math.abs(v)).toBeLessThanOrEqual(Math.fround(0.05));
        maxAbs = Math.max(maxAbs, Math.abs(v));
      }
    }
    // 1200 uniform draws come close to the edge (the distribution is not narrower).
    expect(maxAbs).toBeGreaterThan(0.049);
  });

  it('takes the reset range from options.low / options.high (numbers or numeric strings)', () => {
    const env = new CartPoleEnv();
    const obs = env.reset({ seed: 1, options: { low: 0.2, high: 0.3 } }).obs;
    for (const v of obs) expect(v >= Math.fround(0.2) && v <= Math.fround(0.3)).toBe(true);
    const only = env.reset({ seed: 1, options: { high: '-0.04' } }).obs; // low stays -0.05
    for (const v of only) expect(v >= Math.fround(-0.05) && v <= Math.fround(-0.04)).toBe(true);
    expect(() => env.reset({ options: { low: 0.3, high: 0.2 } })).toThrow(
      'Lower bound (0.3) must be lower than higher bound (0.2).',
    );
    expect(() => env.reset({ options: { low: 'abc' } })).toThrow(ValidationError);
    expect(() => env.reset({ options: { low: Number.NaN } })).toThrow(/could not be converted/);
  });

  it('steps by Florian (2005) with explicit Euler: known answer from rest', () => {
    // From rest (all zero), action 1 (force +10 N): sin θ = 0, cos θ = 1, so
    // temp = 10 / 1.1, θ̈ = -temp / (0.5 (4/3 - 0.1/1.1)), ẍ = temp - 0.05 θ̈ / 1.1, and Euler
    // moves only the velocities: ẋ' = 0.02 ẍ, θ̇' = 0.02 θ̈ (positions use the old velocities, 0).
    const env = new CartPoleEnv();
    env.reset({ seed: 0 });
    env.state = [0, 0, 0, 0];
    const r = env.step(1);
    const temp = 10 / 1.1;
    const thetaacc = -temp / (0.5 * (4 / 3 - 0.1 / 1.1));
    const xacc = temp - (0.05 * thetaacc) / 1.1;
    expect(Array.from(r.obs)).toEqual([0, Math.fround(0.02 * xacc), 0, Math.fround(0.02 * thetaacc)]);
    expect(xacc).toBeCloseTo(9.7561, 4); // (F + m_p l θ̇² sinθ ...) at rest: F (4/3) / (M (4/3) - m_p) ≈ 9.756
    expect(thetaacc).toBeCloseTo(-14.634, 3);
    expect(r.reward).toBe(1);
    expect(r.terminated).toBe(false);
    // Action 0 pushes the other way, symmetrically.
    env.state = [0, 0, 0, 0];
    expect(Array.from(env.step(0).obs)).toEqual([
      0,
      -Math.fround(0.02 * xacc),
      0,
      -Math.fround(0.02 * thetaacc),
    ]);
  });

  it('terminates when the cart leaves ±2.4 or the pole leans beyond ±12°', () => {
    const env = new CartPoleEnv();
    env.reset({ seed: 0 });
    env.state = [2.39, 1, 0, 0]; // x' = 2.39 + 0.02 = 2.41
    expect(env.step(1).terminated).toBe(true);
    env.state = [-2.39, -1, 0, 0];
    expect(env.step(0).terminated).toBe(true);
    env.state = [2.39, 0.4, 0, 0]; // x' = 2.398: still inside
    expect(env.step(1).terminated).toBe(false);
    env.state = [0, 0, THETA_LIMIT - 0.001, 1]; // θ' = θ + 0.02
    expect(env.step(1).terminated).toBe(true);
    env.state = [0, 0, -THETA_LIMIT + 0.001, -1];
    expect(env.step(0).terminated).toBe(true);
  });

  it('gives +1 on every step including the failing one, then 0 if stepped past termination', () => {
    const env = new CartPoleEnv();
    env.reset({ seed: 0 });
    env.state = [2.39, 1, 0, 0];
    const rewards = [env.step(1), env.step(1), env.step(1)].map((r) => [r.reward, r.terminated]);
    expect(rewards).toEqual([
      [1, true],
      [0, true],
      [0, true],
    ]);
    // A reset clears the "beyond terminated" count.
    env.reset({ seed: 0 });
    env.state = [2.39, 1, 0, 0];
    expect(env.step(1).reward).toBe(1);
  });

  it('sutton_barto_reward: 0 per surviving step, -1 on failure and after', () => {
    const env = new CartPoleEnv({ sutton_barto_reward: true });
    env.reset({ seed: 0 });
    expect(env.step(1).reward).toBe(0);
    env.state = [2.39, 1, 0, 0];
    expect([env.step(1).reward, env.step(1).reward]).toEqual([-1, -1]);
  });

  it('counts an episode as a success at a return of 195 by default, or the given threshold', () => {
    expect(CartPoleEnv.success(195, true, false)).toBe(true);
    expect(CartPoleEnv.success(194, true, false)).toBe(false);
    expect(CartPoleEnv.success(500, false, true)).toBe(true);
    expect(CartPoleEnv.success(480, false, true, 475)).toBe(true);
    expect(CartPoleEnv.success(470, false, true, 475)).toBe(false);
    expect([CartPoleEnv.id, CartPoleEnv.maxEpisodeSteps, CartPoleEnv.rewardThreshold]).toEqual([
      'CartPole-v1',
      500,
      475,
    ]);
  });

  it('observation bounds: ±4.8 for x, ±24° for θ, unbounded velocities', () => {
    const env = new CartPoleEnv();
    expect(Array.from(env.observationSpace.high)).toEqual([
      Math.fround(4.8),
      Number.POSITIVE_INFINITY,
      Math.fround(2 * THETA_LIMIT),
      Number.POSITIVE_INFINITY,
    ]);
    expect(env.actionSpace.n).toBe(2);
  });

  it('exposes the float64 state', () => {
    const env = new CartPoleEnv();
    env.reset({ seed: 3 });
    const s = env.state!;
    expect(s).toBeInstanceOf(Float64Array);
    expect(Array.from(env.reset({ seed: 3 }).obs)).toEqual(Array.from(s, Math.fround));
  });
});

import { describe, expect, it } from 'vitest';
import {
  DELAY_SPAWN_KEY,
  type Env,
  make,
  PendulumEnv,
  RewardDelay,
  TimeLimit,
} from '../../../src/envs/index.js';
import { ValidationError } from '../../../src/errors.js';
import { Generator, npRandom, SeedSequence } from '../../../src/rng/index.js';

/** Runs `episodes` episodes with random actions, returning each episode's [inner return, delayed return]. */
function returns(id: string, episodes: number, seed: number): Array<[number, number]> {
  const delayed = new RewardDelay(make(id));
  const bare = make(id);
  const rng = npRandom(seed).rng;
  const out: Array<[number, number]> = [];
  for (let ep = 0; ep < episodes; ep++) {
    delayed.reset({ seed: seed + ep });
    bare.reset({ seed: seed + ep });
    let a = 0;
    let b = 0;
    for (;;) {
      const action = bare.actionSpace.sample(rng);
      const rd = delayed.step(action);
      const rb = bare.step(action);
      a += rb.reward;
      b += rd.reward;
      expect(rd.terminated).toBe(rb.terminated);
      expect(rd.truncated).toBe(rb.truncated);
      if (rb.terminated || rb.truncated) break;
    }
    out.push([a, b]);
  }
  return out;
}

describe('RewardDelay', () => {
  it('preserves every episode return exactly for integer rewards', () => {
    for (const [id, episodes] of [
      ['CartPole-v1', 300],
      ['MountainCar-v0', 20],
      ['Acrobot-v1', 10],
    ] as const) {
      for (const [inner, delayed] of returns(id, episodes, 100)) expect(delayed).toBe(inner);
    }
  });

  it('preserves non-integer returns up to summation rounding', () => {
    for (const [inner, delayed] of returns('Pendulum-v1', 30, 7)) {
      expect(Math.abs(delayed - inner)).toBeLessThanOrEqual(1e-12 * Math.abs(inner));
    }
  });

  it('releases each reward 1–3 steps later, the delays drawn from SeedSequence(seed, spawn_key=(0x52444c59,))', () => {
    // numpy 2.4: g = np.random.default_rng(SeedSequence(42, spawn_key=(0x52444c59,)));
    // [int(g.integers(1, 4)) for _ in range(12)]
    const delays = [1, 3, 2, 3, 1, 1, 3, 1, 1, 1, 3, 1];
    const g = new Generator(new SeedSequence(42, [DELAY_SPAWN_KEY]));
    expect(delays.map(() => g.integers(1, 4))).toEqual(delays);

    // Pendulum rewards are distinct reals, so the released sequence shows where each went.
    const horizon = 40;
    const env = new RewardDelay(new TimeLimit(new PendulumEnv(), horizon));
    const bare = new PendulumEnv();
    env.reset({ seed: 42 });
    bare.reset({ seed: 42 });
    const inner: number[] = [];
    const released: number[] = [];
    for (let t = 0; t < horizon; t++) {
      const action = [Math.cos(t)];
      inner.push(bare.step(action).reward);
      released.push(env.step(action).reward);
    }
    // Re-derive the release schedule by absolute step: reward t is due at t + d_t, and the
    // last step also releases everything still pending.
    const draw = new Generator(new SeedSequence(42, [DELAY_SPAWN_KEY]));
    const due = new Array<number>(horizon + 4).fill(0);
    for (let t = 0; t < horizon; t++) {
      const d = draw.integers(1, 4);
      if (t < delays.length) expect(d).toBe(delays[t]);
      due[t + d] += inner[t];
    }
    for (let t = 0; t < horizon - 1; t++) expect(released[t]).toBeCloseTo(due[t], 12);
    const tail = due.slice(horizon - 1).reduce((s, x) => s + x, 0);
    expect(released[horizon - 1]).toBeCloseTo(tail, 12);
    expect(released[0]).toBe(0);
  });

  it('with a fixed delay of 2 shifts the rewards by two steps and flushes at the end', () => {
    const env = new RewardDelay(new TimeLimit(new PendulumEnv(), 10), { minDelay: 2, maxDelay: 2 });
    const bare = new PendulumEnv();
    env.reset({ seed: 1 });
    bare.reset({ seed: 1 });
    const inner: number[] = [];
    const released: number[] = [];
    for (let t = 0; t < 10; t++) {
      inner.push(bare.step([0.1]).reward);
      released.push(env.step([0.1]).reward);
      if (t < 9) expect(env.pendingReward).toBeCloseTo(inner[t] + (t > 0 ? inner[t - 1] : 0), 12);
    }
    expect(released.slice(0, 2)).toEqual([0, 0]);
    for (let t = 2; t < 9; t++) expect(released[t]).toBe(inner[t - 2]);
    expect(released[9]).toBe(inner[7] + inner[8] + inner[9]);
    expect(env.pendingReward).toBe(0);
  });

  it('is reproducible under a seed and clears pending reward on reset', () => {
    const trace = (env: Env, seed: number) => {
      env.reset({ seed });
      const out: number[] = [];
      for (let t = 0; t < 30; t++) out.push(env.step([0.2]).reward);
      return out;
    };
    const a = new RewardDelay(make('Pendulum-v1'));
    const b = new RewardDelay(make('Pendulum-v1'));
    expect(trace(a, 5)).toEqual(trace(b, 5));
    expect(a.pendingReward).not.toBe(0);
    a.reset();
    expect(a.pendingReward).toBe(0);
  });

  it('rejects invalid delay ranges', () => {
    const env = make('CartPole-v1');
    expect(() => new RewardDelay(env, { minDelay: -1 })).toThrow(ValidationError);
    expect(() => new RewardDelay(env, { maxDelay: 1.5 })).toThrow(ValidationError);
    expect(() => new RewardDelay(env, { minDelay: 4, maxDelay: 3 })).toThrow(ValidationError);
  });
});

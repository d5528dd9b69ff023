import { describe, expect, it } from 'vitest';
import { CartPoleEnv, type Env, make, type StepResult, TimeLimit } from '../../../src/envs/index.js';
import { ValidationError } from '../../../src/errors.js';

/** Steps `env` with `policy` until it reports an end, returning the step count and the last result. */
function runEpisode(env: Env, policy: (obs: Float32Array) => number | number[], cap = 5000) {
  let { obs } = env.reset({ seed: 1 });
  const truncatedFlags: boolean[] = [];
  for (let n = 1; n <= cap; n++) {
    const r: StepResult = env.step(policy(obs));
    truncatedFlags.push(r.truncated);
    obs = r.obs;
    if (r.terminated || r.truncated) return { steps: n, last: r, truncatedFlags };
  }
  throw new Error('episode did not end');
}

// Policies chosen so that the MDP does not terminate within its limit: CartPole balanced by
// pushing toward the side the pole falls to (theta + theta_dot > 0 → right; lasts 500 steps
// from seed 1), Acrobot with zero torque (it hangs), MountainCar coasting (never reaches the
// goal from rest in the valley), Pendulum (never terminates), LunarLander with a short
// override (it falls for about 50 steps before touching down).
const cases: Array<[string, (obs: Float32Array) => number | number[], number | undefined, number]> = [
  ['CartPole-v1', (o) => (o[2] + o[3] > 0 ? 1 : 0), undefined, 500],
  ['Acrobot-v1', () => 1, undefined, 500],
  ['MountainCar-v0', () => 1, undefined, 200],
  ['MountainCarContinuous-v0', () => [0], undefined, 999],
  ['Pendulum-v1', () => [0], undefined, 200],
  ['LunarLander-v3', () => 0, 20, 20],
  ['LunarLanderContinuous-v3', () => [0, 0], 20, 20],
];

describe('TimeLimit', () => {
  it.each(cases)('%s truncates at exactly its limit', (id, policy, override, limit) => {
    const env = make(id, override === undefined ? {} : { maxEpisodeSteps: override });
    const { steps, last, truncatedFlags } = runEpisode(env, policy);
    expect(steps).toBe(limit);
    expect(last.truncated).toBe(true);
    expect(last.terminated).toBe(false);
    expect(truncatedFlags.slice(0, -1).every((t) => !t)).toBe(true);
    expect((env as TimeLimit).elapsedSteps).toBe(limit);
  });

  it('keeps terminated and also truncates when the MDP ends on the last allowed step (as Gymnasium)', () => {
    // Seed 1 with a constant push left ends CartPole after some k steps; a limit of k must
    // give terminated = truncated = true on step k, and a limit of k + 1 only terminated.
    const probe = new CartPoleEnv();
    probe.reset({ seed: 1 });
    let k = 0;
    for (;;) {
      k++;
      if (probe.step(0).terminated) break;
    }
    const exact = runEpisode(new TimeLimit(new CartPoleEnv(), k), () => 0);
    expect(exact.steps).toBe(k);
    expect(exact.last.terminated).toBe(true);
    expect(exact.last.truncated).toBe(true);
    const later = runEpisode(new TimeLimit(new CartPoleEnv(), k + 1), () => 0);
    expect(later.steps).toBe(k);
    expect(later.last.terminated).toBe(true);
    expect(later.last.truncated).toBe(false);
  });

  it('restarts the count on reset and stays truncated if stepped past the limit', () => {
    const env = new TimeLimit(new CartPoleEnv(), 3);
    expect(env.elapsedSteps).toBe(-1);
    env.reset({ seed: 0 });
    env.step(0);
    env.step(1);
    expect(env.elapsedSteps).toBe(2);
    env.reset();
    expect(env.elapsedSteps).toBe(0);
    expect(env.step(0).truncated).toBe(false);
    expect(env.step(1).truncated).toBe(false);
    expect(env.step(0).truncated).toBe(true);
    expect(env.step(1).truncated).toBe(true);
  });

  it('reports the inner spec with its own limit, and rejects a bad limit', () => {
    const inner = new CartPoleEnv();
    expect(new TimeLimit(inner, 10).spec).toBeNull();
    inner.spec = CartPoleEnv.spec;
    const wrapped = new TimeLimit(inner, 10);
    expect(wrapped.spec).toEqual({ id: 'CartPole-v1', maxEpisodeSteps: 10, rewardThreshold: 475 });
    expect(wrapped.spec).toBe(wrapped.spec);
    expect(() => new TimeLimit(inner, 0)).toThrow(ValidationError);
    expect(() => new TimeLimit(inner, Number.NaN)).toThrow(ValidationError);
  });

  it('step before reset still fails in the environment', () => {
    expect(() => make('CartPole-v1').step(0)).toThrow(/reset/);
  });
});

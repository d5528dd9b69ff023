import { describe, expect, it } from 'vitest';
import {
  Box,
  CartPoleEnv,
  Discrete,
  ENV_IDS,
  type Env,
  EpisodeStatistics,
  type LunarLanderEnv,
  listEnvs,
  type MakeOptions,
  make,
  ObservationNoise,
  PendulumEnv,
  RewardDelay,
  TimeLimit,
  UnknownEnvironmentError,
  Wrapper,
} from '../../src/envs/index.js';
import { ValidationError } from '../../src/errors.js';
import { npRandom } from '../../src/rng/index.js';

/** Options as they may arrive from untyped input (JSON), bypassing the compile-time checks. */
const untyped = (o: object): MakeOptions => o as MakeOptions;

/** Samples an action from the env's action space with a generator of the test's own. */
function sampler(env: Env, seed: number): () => number | Float32Array {
  const rng = npRandom(seed).rng;
  return () => env.actionSpace.sample(rng);
}

describe('registry', () => {
  it('registers the Gymnasium ids with their registered limits and thresholds', () => {
    // From gymnasium/envs/__init__.py (Gymnasium 1.x): max_episode_steps and reward_threshold
    // of each register() call; Pendulum-v1 registers no reward_threshold.
    const expected: Record<string, [number, number | null, boolean]> = {
      'CartPole-v1': [500, 475, false],
      'Acrobot-v1': [500, -100, false],
      'MountainCar-v0': [200, -110, false],
      'MountainCarContinuous-v0': [999, 90, true],
      'Pendulum-v1': [200, null, true],
      'LunarLander-v3': [1000, 200, false],
      'LunarLanderContinuous-v3': [1000, 200, true],
    };
    expect([...ENV_IDS].sort()).toEqual(Object.keys(expected).sort());
    for (const d of listEnvs()) {
      const [steps, threshold, continuous] = expected[d.id];
      expect(d.maxEpisodeSteps, d.id).toBe(steps);
      expect(d.rewardThreshold, d.id).toBe(threshold);
      expect(d.continuous, d.id).toBe(continuous);
      expect(d.actionSpace instanceof Box, d.id).toBe(continuous);
      expect(d.observationSpace).toBeInstanceOf(Box);
      expect(d.successCriterion.length).toBeGreaterThan(0);
      expect(typeof d.success).toBe('function');
    }
    // The descriptions serialise (spaces via their toJSON).
    const json = JSON.parse(JSON.stringify(listEnvs()));
    expect(json[0].actionSpace).toEqual({ type: 'Discrete', n: 2, start: 0 });
  });

  it('success criteria follow DESIGN section 3', () => {
    const byId = new Map(listEnvs().map((d) => [d.id, d.success]));
    expect(byId.get('CartPole-v1')!(195, false, true)).toBe(true);
    expect(byId.get('CartPole-v1')!(194, true, false)).toBe(false);
    expect(byId.get('MountainCar-v0')!(-150, true, false)).toBe(true);
    expect(byId.get('MountainCar-v0')!(-200, false, true)).toBe(false);
    expect(byId.get('Acrobot-v1')!(-500, false, true)).toBe(false);
    expect(byId.get('Pendulum-v1')!(-199, false, true)).toBe(true);
    expect(byId.get('LunarLander-v3')!(199.9, true, false)).toBe(false);
  });

  it.each(ENV_IDS.map((id) => [id]))('%s: make() gives an env that resets and steps', (id) => {
    const env = make(id);
    expect(env).toBeInstanceOf(TimeLimit);
    expect(env.spec?.id).toBe(id);
    const { obs } = env.reset({ seed: 3 });
    expect(obs).toBeInstanceOf(Float32Array);
    expect(obs.length).toBe(env.observationSpace.size);
    const act = sampler(env, 4);
    for (let i = 0; i < 20; i++) {
      const r = env.step(act());
      expect(r.obs).toBeInstanceOf(Float32Array);
      expect(r.obs.length).toBe(env.observationSpace.size);
      expect(Number.isFinite(r.reward)).toBe(true);
      if (r.terminated || r.truncated) env.reset();
    }
    env.close();
  });

  it('make() follows the bare environment step for step (TimeLimit changes nothing before the limit)', () => {
    const wrapped = make('Pendulum-v1');
    const bare = new PendulumEnv();
    expect(Array.from(wrapped.reset({ seed: 11 }).obs)).toEqual(Array.from(bare.reset({ seed: 11 }).obs));
    const act = sampler(bare, 12);
    for (let i = 0; i < 199; i++) {
      const a = act();
      const w = wrapped.step(a);
      const b = bare.step(a);
      expect(Array.from(w.obs)).toEqual(Array.from(b.obs));
      expect(w.reward).toBe(b.reward);
      expect(w.truncated).toBe(false);
    }
  });

  it('LunarLanderContinuous-v3 is LunarLander-v3 with continuous: true', () => {
    const a = make('LunarLanderContinuous-v3');
    const b = make('LunarLander-v3', { continuous: true });
    expect(a.actionSpace).toBeInstanceOf(Box);
    expect(b.actionSpace).toBeInstanceOf(Box);
    expect(make('LunarLander-v3').actionSpace).toBeInstanceOf(Discrete);
    expect(Array.from(a.reset({ seed: 5 }).obs)).toEqual(Array.from(b.reset({ seed: 5 }).obs));
    const act = Float32Array.of(0.5, -0.3);
    for (let i = 0; i < 30; i++) {
      const ra = a.step(act);
      const rb = b.step(act);
      expect(Array.from(ra.obs)).toEqual(Array.from(rb.obs));
      expect(ra.reward).toBe(rb.reward);
    }
    expect(b.spec?.id).toBe('LunarLander-v3');
  });

  it('passes environment options through', () => {
    const env = make('LunarLander-v3', { gravity: -5, enable_wind: true }) as TimeLimit;
    const inner = env.unwrapped as LunarLanderEnv;
    expect(inner.gravity).toBe(-5);
    expect(inner.enableWind).toBe(true);
    // CartPole's sutton_barto_reward gives 0 per surviving step.
    const cp = make('CartPole-v1', { sutton_barto_reward: true });
    cp.reset({ seed: 0 });
    expect(cp.step(0).reward).toBe(0);
  });

  it('rejects unknown ids, listing the valid ones and suggesting the closest', () => {
    const attempt = (id: string): UnknownEnvironmentError => {
      try {
        make(id);
      } catch (e) {
        expect(e).toBeInstanceOf(UnknownEnvironmentError);
        return e as UnknownEnvironmentError;
      }
      throw new Error(`make('${id}') did not throw`);
    };
    const typo = attempt('cartpole-v1');
    for (const id of ENV_IDS) expect(typo.message).toContain(id);
    expect(typo.message).toContain('did you mean CartPole-v1?');
    expect(typo.kind).toBe('not_found');
    expect(typo.details?.suggestion).toBe('CartPole-v1');
    expect(attempt('Pendulum-v0').message).toContain('did you mean Pendulum-v1?');
    expect(attempt('LunarLander-v2').message).toContain('did you mean LunarLander-v3?');
    const far = attempt('Humanoid-v5');
    expect(far.message).not.toContain('did you mean');
    expect(far.validIds).toEqual(ENV_IDS);
  });

  it('rejects unknown and invalid options, naming them', () => {
    const fieldOf = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return (e as ValidationError).details?.field;
      }
      throw new Error('did not throw');
    };
    expect(() => make('CartPole-v1', { maxEpisodeStep: 10 })).toThrow(
      /unknown option 'maxEpisodeStep'.*maxEpisodeSteps/,
    );
    expect(() => make('CartPole-v1', { foo: 1 })).toThrow(/sutton_barto_reward/);
    expect(fieldOf(() => make('CartPole-v1', { foo: 1 }))).toBe('foo');
    expect(fieldOf(() => make('CartPole-v1', { maxEpisodeSteps: 0 }))).toBe('maxEpisodeSteps');
    expect(fieldOf(() => make('CartPole-v1', { maxEpisodeSteps: 2.5 }))).toBe('maxEpisodeSteps');
    expect(fieldOf(() => make('CartPole-v1', { observationNoise: -0.1 }))).toBe('observationNoise');
    expect(fieldOf(() => make('CartPole-v1', untyped({ observationNoise: { sigma: 0.1, mu: 1 } })))).toBe(
      'observationNoise.mu',
    );
    expect(fieldOf(() => make('CartPole-v1', untyped({ rewardDelay: 'yes' })))).toBe('rewardDelay');
    expect(fieldOf(() => make('CartPole-v1', untyped({ rewardDelay: { delay: 2 } })))).toBe(
      'rewardDelay.delay',
    );
    expect(fieldOf(() => make('CartPole-v1', { rewardDelay: { minDelay: 3, maxDelay: 1 } }))).toBe(
      'rewardDelay.minDelay',
    );
    expect(fieldOf(() => make('CartPole-v1', { episodeStatistics: { bufferLength: 0 } }))).toBe(
      'episodeStatistics.bufferLength',
    );
    expect(fieldOf(() => make('LunarLander-v3', { gravity: 5 }))).toBe('gravity');
    expect(fieldOf(() => make('Pendulum-v1', { g: 'ten' }))).toBe('g');
  });

  it('overrides the time limit and reports it in the spec', () => {
    const env = make('Pendulum-v1', { maxEpisodeSteps: 7 });
    expect(env.spec).toEqual({ id: 'Pendulum-v1', maxEpisodeSteps: 7, rewardThreshold: null });
    env.reset({ seed: 0 });
    const flags: boolean[] = [];
    for (let i = 0; i < 7; i++) flags.push(env.step([0]).truncated);
    expect(flags).toEqual([false, false, false, false, false, false, true]);
  });

  it('stacks the optional wrappers TimeLimit → ObservationNoise → RewardDelay → EpisodeStatistics', () => {
    const env = make('CartPole-v1', {
      observationNoise: 0.1,
      rewardDelay: true,
      episodeStatistics: { bufferLength: 10 },
    }) as Wrapper;
    const chain: string[] = [];
    let e: Env = env;
    while (e instanceof Wrapper) {
      chain.push(e.constructor.name);
      e = e.env;
    }
    chain.push(e.constructor.name);
    expect(chain).toEqual([
      'EpisodeStatistics',
      'RewardDelay',
      'ObservationNoise',
      'TimeLimit',
      'CartPoleEnv',
    ]);
    expect(env.find(EpisodeStatistics)?.bufferLength).toBe(10);
    expect(env.find(ObservationNoise)?.sigma).toBe(0.1);
    expect(env.find(RewardDelay)?.maxDelay).toBe(3);
    expect(env.unwrapped).toBeInstanceOf(CartPoleEnv);
    // Spaces, spec and generator are forwarded from the inner environment.
    expect(env.actionSpace).toBe(env.unwrapped.actionSpace);
    expect(env.spec?.maxEpisodeSteps).toBe(500);
    env.reset({ seed: 1 });
    expect(env.npRandom).toBe(env.unwrapped.npRandom);
    // Disabled switches add no wrapper.
    const plain = make('CartPole-v1', { observationNoise: 0, rewardDelay: false, episodeStatistics: false });
    expect(plain).toBeInstanceOf(TimeLimit);
  });
});

import { describe, expect, it } from 'vitest';
import type { ActOptions, Agent, AgentSpaces } from '../../src/agents/types.js';
import { type Box, make } from '../../src/envs/index.js';
import { EnvCache } from '../../src/evaluation/env-cache.js';
import { ACTION_STREAM_KEY, runEpisodes } from '../../src/evaluation/runner.js';
import type { StateDict } from '../../src/nn/state-dict.js';
import { Generator, SeedSequence } from '../../src/rng/index.js';

/**
 * A real (hand-written) CartPole controller behind the Agent interface: push toward the
 * side the pole leans to, with a small bias from the cart velocity. Stochastic mode flips
 * the action with probability 0.2 using the row's generator, so episode outcomes depend
 * on the per-episode action streams the runner hands out.
 */
class LeanController implements Agent<'ppo'> {
  readonly agentType = 'ppo' as const;
  readonly hyperparameters = {} as Agent<'ppo'>['hyperparameters'];
  readonly spaces: AgentSpaces;
  constructor() {
    const env = make('CartPole-v1');
    this.spaces = { observationSpace: env.observationSpace, actionSpace: env.actionSpace };
  }
  private greedy(obs: Float32Array, o: number): number {
    return obs[o + 2] + 0.1 * obs[o + 3] + 0.01 * obs[o + 1] > 0 ? 1 : 0;
  }
  act(obs: Float32Array, options?: ActOptions): number {
    const a = this.greedy(obs, 0);
    if (options?.deterministic === false) return options.rng!.random() < 0.2 ? 1 - a : a;
    return a;
  }
  actBatch(obs: Float32Array, batch: number, out: Float32Array, options?: ActOptions): void {
    for (let r = 0; r < batch; r++) {
      const a = this.greedy(obs, r * 4);
      out[r] = options?.deterministic === false && options.rngs![r].random() < 0.2 ? 1 - a : a;
    }
  }
  stateDict(): StateDict {
    return new Map();
  }
  loadStateDict(): void {}
}

/** A Pendulum controller (energy-shaping swing-up, bang-bang) for Box actions. */
class SwingController extends LeanController {
  override actBatch(obs: Float32Array, batch: number, out: Float32Array): void {
    for (let r = 0; r < batch; r++) {
      const [c, s, w] = [obs[r * 3], obs[r * 3 + 1], obs[r * 3 + 2]];
      out[r] = c > 0.9 ? Math.max(-2, Math.min(2, -8 * s - 1.5 * w)) : w >= 0 ? 2 : -2;
    }
  }
}

function playManually(seed: number, actionSeed: number | null): { ret: number; len: number } {
  const env = make('CartPole-v1');
  const agent = new LeanController();
  const rng = actionSeed === null ? null : new Generator(new SeedSequence(actionSeed, [ACTION_STREAM_KEY]));
  let { obs } = env.reset({ seed });
  let ret = 0;
  let len = 0;
  for (;;) {
    const a = rng === null ? agent.act(obs) : agent.act(obs, { deterministic: false, rng });
    const r = env.step(a);
    ret += r.reward;
    len++;
    obs = r.obs;
    if (r.terminated || r.truncated) return { ret, len };
  }
}

describe('runEpisodes', () => {
  const agent = new LeanController();

  it('gives each episode its scheduled seed: episode i equals a single env reset with seed base + i', () => {
    const run = runEpisodes(agent, { envId: 'CartPole-v1', episodes: 6, baseSeed: 40, numEnvs: 4 });
    expect(run.episodes.map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const e of run.episodes) {
      expect(e.seed).toBe(40 + e.index);
      const m = playManually(e.seed, null);
      expect(e.return).toBe(m.ret);
      expect(e.length).toBe(m.len);
    }
    expect(run.steps).toBe(run.episodes.reduce((a, e) => a + e.length, 0));
  });

  it('returns the same episodes whatever the number of copies or the chunking', () => {
    const ref = runEpisodes(agent, { envId: 'CartPole-v1', episodes: 12, numEnvs: 1, deterministic: false });
    for (const numEnvs of [2, 5, 12]) {
      const run = runEpisodes(agent, { envId: 'CartPole-v1', episodes: 12, numEnvs, deterministic: false });
      expect(run.episodes).toEqual(ref.episodes);
    }
    const a = runEpisodes(agent, { envId: 'CartPole-v1', episodes: [0, 1, 2, 3, 4], deterministic: false });
    const b = runEpisodes(agent, {
      envId: 'CartPole-v1',
      episodes: [5, 6, 7, 8, 9, 10, 11],
      deterministic: false,
    });
    expect([...a.episodes, ...b.episodes]).toEqual(ref.episodes);
    // stochastic episodes follow their own action stream seeded from the episode seed
    for (const e of ref.episodes.slice(0, 4)) expect(e.return).toBe(playManually(e.seed, e.seed).ret);
  });

  it('plays every requested episode exactly once, so short episodes are not over-counted', () => {
    const run = runEpisodes(agent, { envId: 'CartPole-v1', episodes: 9, numEnvs: 4, deterministic: false });
    expect(run.episodes).toHaveLength(9);
    expect(new Set(run.episodes.map((e) => e.seed)).size).toBe(9);
    const lengths = run.episodes.map((e) => e.length);
    expect(Math.max(...lengths)).toBeGreaterThan(Math.min(...lengths));
  });

  it('honours explicit seeds and reports success by the environment criterion', () => {
    const run = runEpisodes(agent, { envId: 'CartPole-v1', episodes: 3, seeds: [7, 7, 8] });
    expect(run.episodes[0]).toEqual({ ...run.episodes[1], index: 0 });
    for (const e of run.episodes) expect(e.success).toBe(e.return >= 195);
    expect(() => runEpisodes(agent, { envId: 'CartPole-v1', episodes: 4, seeds: [1, 2] })).toThrow(
      /no seed for episode 2/,
    );
  });

  it('tallies discrete and binned Box actions', () => {
    const d = runEpisodes(agent, { envId: 'CartPole-v1', episodes: 2 });
    expect(d.actions.kind).toBe('discrete');
    expect(d.actions.counts.reduce((a, b) => a + b, 0)).toBe(d.steps);
    const swing = new SwingController();
    const b = runEpisodes(swing, { envId: 'Pendulum-v1', episodes: 3 });
    expect(b.actions.kind).toBe('box');
    expect(b.actions.counts).toHaveLength(10);
    expect(b.actions.counts.reduce((a, c) => a + c, 0)).toBe(b.steps);
    // bang-bang torques land in the edge bins
    expect(b.actions.counts[0] + b.actions.counts[9]).toBeGreaterThan(0);
    expect((make('Pendulum-v1').actionSpace as Box).high[0]).toBe(2);
  });

  it('applies observation noise reproducibly', () => {
    const clean = runEpisodes(agent, { envId: 'CartPole-v1', episodes: 8 });
    const noisy1 = runEpisodes(agent, { envId: 'CartPole-v1', episodes: 8, observationNoise: 0.5 });
    const noisy2 = runEpisodes(agent, { envId: 'CartPole-v1', episodes: 8, observationNoise: 0.5 });
    expect(noisy1.episodes).toEqual(noisy2.episodes);
    expect(noisy1.episodes.map((e) => e.return)).not.toEqual(clean.episodes.map((e) => e.return));
  });

  it('reuses cached environments across runs', () => {
    const cache = new EnvCache(8);
    runEpisodes(agent, { envId: 'CartPole-v1', episodes: 4, numEnvs: 4, envCache: cache });
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 4, size: 4 });
    const again = runEpisodes(agent, { envId: 'CartPole-v1', episodes: 4, numEnvs: 4, envCache: cache });
    expect(cache.stats()).toMatchObject({ hits: 4, misses: 4, size: 4 });
    expect(again.episodes).toEqual(runEpisodes(agent, { envId: 'CartPole-v1', episodes: 4 }).episodes);
    const small = new EnvCache(2);
    runEpisodes(agent, { envId: 'CartPole-v1', episodes: 5, numEnvs: 5, envCache: small });
    expect(small.stats()).toMatchObject({ size: 2, evictions: 3 });
  });
});

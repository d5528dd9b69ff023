import { afterAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agents/index.js';
import { EpisodePool } from '../../src/evaluation/parallel.js';
import { runEpisodes } from '../../src/evaluation/runner.js';

describe('EpisodePool', () => {
  const pool = new EpisodePool({ threads: 2, chunkSize: 5, minStepsForThreads: 0 });
  afterAll(() => pool.close());

  it('gives the same episodes on worker threads as on the calling thread', async () => {
    // A seeded, untrained PPO policy (orthogonal init): deterministic and stochastic runs.
    const agent = createAgent(
      'ppo',
      { learning_rate: 'lin_1e-3', net_arch: [32, 32] },
      undefined,
      {
        envId: 'CartPole-v1',
      },
      { seed: 3 },
    );
    for (const deterministic of [true, false]) {
      const options = { envId: 'CartPole-v1', episodes: 13, baseSeed: 100, deterministic };
      const local = runEpisodes(agent, options);
      const progress: number[] = [];
      const threaded = await pool.run(agent, { ...options, onEpisode: (done) => progress.push(done) }, 1e9);
      expect(threaded.episodes).toEqual(local.episodes);
      expect(threaded.actions).toEqual(local.actions);
      expect(threaded.steps).toBe(local.steps);
      expect(progress.at(-1)).toBe(13);
      expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    }
  });

  it('runs small jobs on the calling thread', async () => {
    const agent = createAgent('dqn', {}, undefined, { envId: 'CartPole-v1' }, { seed: 1 });
    const small = new EpisodePool({ threads: 2, minStepsForThreads: 1e6 });
    const r = await small.run(agent, { envId: 'CartPole-v1', episodes: 3 }, 1500);
    expect(r.episodes).toHaveLength(3);
    await small.close();
  });
});

describe('stochastic DQN actions per episode', () => {
  it('do not depend on how many copies share a batch', () => {
    const agent = createAgent('dqn', { epsilon: 0.3 }, undefined, { envId: 'CartPole-v1' }, { seed: 4 });
    const one = runEpisodes(agent, { envId: 'CartPole-v1', episodes: 6, numEnvs: 1, deterministic: false });
    const six = runEpisodes(agent, { envId: 'CartPole-v1', episodes: 6, numEnvs: 6, deterministic: false });
    expect(six.episodes).toEqual(one.episodes);
    const greedy = runEpisodes(agent, { envId: 'CartPole-v1', episodes: 6, deterministic: true });
    expect(greedy.episodes.map((e) => e.return)).not.toEqual(one.episodes.map((e) => e.return));
  });
});

import { describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agents/index.js';
import { ValidationError } from '../../src/errors.js';
import { evaluate } from '../../src/evaluation/evaluate.js';
import { EpisodePool } from '../../src/evaluation/parallel.js';
import { writeSafetensors } from '../../src/nn/safetensors.js';
import { stateDictToJson } from '../../src/nn/state-dict.js';

async function rejection(p: Promise<unknown>): Promise<ValidationError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('evaluate()', () => {
  const agent = createAgent('ppo', { net_arch: [16, 16] }, undefined, { envId: 'CartPole-v1' }, { seed: 5 });
  const weights = Buffer.from(writeSafetensors(agent.stateDict())).toString('base64');

  it('evaluates loaded weights with metrics, a regression verdict against a baseline and Nash scores', async () => {
    const progress: number[] = [];
    const request = {
      agent_type: 'PPO',
      hyperparameters: { net_arch: [16, 16] },
      agent_state: { format: 'safetensors', data_base64: weights },
      environments: ['CartPole-v1'],
      num_episodes: 30,
    };
    const result = await evaluate(request, {
      resamples: 500,
      onProgress: (f) => progress.push(f),
      baselineFor: () => ({
        source: 'test',
        metrics: { num_episodes: 100, mean_reward: 480, std_reward: 20, success_rate: 1 },
      }),
    });
    const r = result.results['CartPole-v1'];
    expect(result.agent_type).toBe('ppo');
    expect(r.metrics.num_episodes).toBe(30);
    expect(r.metrics.episode_returns).toHaveLength(30);
    // an untrained policy against a 480-return baseline: a clear regression
    expect(r.regression?.verdict).toBe('regression');
    expect(r.regression?.should_rollback).toBe(true);
    expect(result.overall.regression_detected).toBe(true);
    expect(r.nash_scores?.recommendation).toBeDefined();
    expect(r.baseline).toEqual({ source: 'test', mean_reward: 480, num_episodes: 100 });
    expect(progress.at(-1)).toBe(1);
    // the same request twice gives the same returns; JSON tensors load the same weights
    const again = await evaluate(
      { ...request, agent_state: stateDictToJson(agent.stateDict()) },
      { resamples: 500 },
    );
    expect(again.results['CartPole-v1'].metrics.episode_returns).toEqual(r.metrics.episode_returns);
    expect(again.results['CartPole-v1'].regression).toBeNull();
  });

  it('trains when asked and reports the training run, losses and learning curve', async () => {
    const result = await evaluate(
      {
        agent_type: 'a2c',
        training: { total_timesteps: 3000, seed: 1 },
        environments: ['CartPole-v1'],
        num_episodes: 5,
        quick_mode: true,
      },
      { resamples: 200 },
    );
    const r = result.results['CartPole-v1'];
    expect(r.training?.total_timesteps).toBe(3000);
    expect(r.training?.learning_curve.length).toBeGreaterThan(10);
    expect(r.metrics.mean_loss).not.toBeNull();
    expect(result.timings.training_seconds).toBeGreaterThan(0);
  });

  it('gives the same results with environments and episode chunks on worker threads', async () => {
    const request = {
      agent_type: 'a2c',
      training: { total_timesteps: 1500, seed: 2 },
      environments: ['CartPole-v1', 'Acrobot-v1'],
      num_episodes: 12,
      deterministic: false,
    };
    const pool = new EpisodePool({ threads: 2, chunkSize: 5, minStepsForThreads: 0 });
    const progress: number[] = [];
    try {
      const threaded = await evaluate(request, { resamples: 200, pool, onProgress: (f) => progress.push(f) });
      const local = await evaluate(request, { resamples: 200 });
      for (const env of request.environments) {
        expect(threaded.results[env].metrics).toEqual(local.results[env].metrics);
      }
      expect(progress.at(-1)).toBe(1);
      expect(Math.max(...progress.slice(0, -1))).toBeLessThan(1);
    } finally {
      await pool.close();
    }
  });

  it('stops adaptively once the verdict is conclusive', async () => {
    const result = await evaluate(
      {
        agent_type: 'ppo',
        hyperparameters: { net_arch: [16, 16] },
        agent_state: { format: 'safetensors', data_base64: weights },
        environments: ['CartPole-v1'],
        adaptive: { max_episodes: 400 },
      },
      {
        resamples: 200,
        baselineFor: () => ({
          source: 'test',
          metrics: {
            num_episodes: 60,
            mean_reward: 490,
            std_reward: Math.sqrt(125),
            episode_returns: Array.from({ length: 60 }, (_, i) => 475 + (i % 4) * 10),
          },
        }),
      },
    );
    const r = result.results['CartPole-v1'];
    expect(r.adaptive?.decision).toBe('regression');
    expect(r.adaptive?.episodes_used).toBeLessThan(400);
    expect(r.metrics.num_episodes).toBe(r.adaptive?.episodes_used);
    expect(r.regression?.is_regression).toBe(true);
  });

  it('rejects bad requests naming the field', async () => {
    const base = { agent_type: 'ppo', training: { total_timesteps: 10 }, environments: ['CartPole-v1'] };
    expect((await rejection(evaluate({ ...base, environments: ['Nope-v0'] }))).details?.field).toBe(
      'environments[0]',
    );
    expect((await rejection(evaluate({ ...base, agent_type: 'sac' }))).message).toMatch(/agent_type/);
    expect((await rejection(evaluate({ ...base, num_episodes: 0 }))).details?.field).toBe('num_episodes');
    expect((await rejection(evaluate({ ...base, extra: 1 }))).details?.field).toBe('extra');
    expect((await rejection(evaluate({ ...base, hyperparameters: { gamma: 2 } }))).details?.field).toBe(
      'hyperparameters.gamma',
    );
    expect((await rejection(evaluate({ agent_type: 'ppo', environments: ['CartPole-v1'] }))).message).toMatch(
      /agent_state/,
    );
    expect(
      (await rejection(evaluate({ ...base, agent_state: { format: 'safetensors', data_base64: 'AAAA' } })))
        .message,
    ).toMatch(/agent_state/);
    expect((await rejection(evaluate({ ...base, num_episodes: 3, seeds: [1, 2] }))).details?.field).toBe(
      'seeds',
    );
  });

  it('rejects weights that do not fit the environment, naming the tensor', async () => {
    const e = await rejection(
      evaluate({
        agent_type: 'ppo',
        hyperparameters: { net_arch: [16, 16] },
        agent_state: { format: 'safetensors', data_base64: weights },
        environments: ['Acrobot-v1'],
        num_episodes: 2,
      }),
    );
    expect(e.message).toMatch(/mlp_extractor\.policy_net\.0\.weight|action_net/);
  });
});

describe('evaluate() cancellation', () => {
  it('throws CancelledError when asked to stop during training', async () => {
    const { CancelledError } = await import('../../src/errors.js');
    let calls = 0;
    await expect(
      evaluate(
        {
          agent_type: 'ppo',
          training: { total_timesteps: 50_000 },
          environments: ['CartPole-v1'],
          num_episodes: 5,
        },
        { shouldStop: () => ++calls > 3 },
      ),
    ).rejects.toBeInstanceOf(CancelledError);
  });
});

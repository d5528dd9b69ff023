/**
 * Evaluation speed: a 100-episode deterministic CartPole-v1 evaluation of a trained 64×64
 * PPO policy (about 50,000 steps when the policy balances to the 500-step limit), timed
 * through the whole `evaluate()` pipeline (episodes, metrics with 10,000-resample bootstrap
 * CIs, Nash scoring) and through the episode runner alone. Stable-Baselines3's
 * `evaluate_policy` takes 7.6 s for the same work on this machine class (REFERENCE.md).
 */
import { trainAgent } from '../src/agents/index.js';
import { evaluate } from '../src/evaluation/evaluate.js';
import { runEpisodes } from '../src/evaluation/runner.js';
import { writeSafetensors } from '../src/nn/safetensors.js';
import { LEARNING_CASES } from './learning.js';
import { median, printTable } from './lib/index.js';
import type { BenchRunOptions } from './run.js';

const SB3_SECONDS = 7.6;

export async function run(options: BenchRunOptions): Promise<void> {
  const runs = options.runs ?? 7;
  const ppo = LEARNING_CASES.ppo;
  process.stdout.write('training the policy (PPO, RL Zoo hyperparameters, 100k steps, seed 0)…\n');
  const trained = trainAgent('ppo', ppo.hyperparameters, {
    envId: 'CartPole-v1',
    totalTimesteps: ppo.timesteps,
    seed: 0,
  });
  const request = {
    agent_type: 'ppo',
    hyperparameters: ppo.hyperparameters,
    agent_state: {
      format: 'safetensors' as const,
      data_base64: Buffer.from(writeSafetensors(trained.agent.stateDict())).toString('base64'),
    },
    environments: ['CartPole-v1'],
    num_episodes: 100,
    deterministic: true,
  };
  await evaluate(request); // warm-up (JIT, module initialisation)
  const pipeline: number[] = [];
  const episodesOnly: number[] = [];
  let steps = 0;
  let mean = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const result = await evaluate(request);
    pipeline.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const m = result.results['CartPole-v1'].metrics;
    steps = m.total_steps;
    mean = m.mean_reward;
    const r = runEpisodes(trained.agent, { envId: 'CartPole-v1', episodes: 100 });
    episodesOnly.push(r.seconds);
  }
  const p = median(pipeline);
  const e = median(episodesOnly);
  process.stdout.write(`policy: mean return ${mean.toFixed(1)} over 100 episodes, ${steps} steps\n`);
  printTable(
    ['measured', 'median s', 'steps/s', 'vs SB3 7.6 s', 'target < 0.4 s'],
    [
      [
        'evaluate() pipeline',
        p.toFixed(3),
        steps / p,
        `${(SB3_SECONDS / p).toFixed(1)}×`,
        p < 0.4 ? 'met' : 'not met',
      ],
      [
        'episodes only (runner)',
        e.toFixed(3),
        steps / e,
        `${(SB3_SECONDS / e).toFixed(1)}×`,
        e < 0.4 ? 'met' : 'not met',
      ],
    ],
  );
}

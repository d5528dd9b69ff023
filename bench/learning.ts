/**
 * Learning benchmarks (issue: "Learning, measured"): each algorithm trained with RL Zoo's
 * hyperparameters over several seeds, then evaluated deterministically over 100 episodes
 * (episode seeds 1,000,000 + i, distinct from training). Prints per-seed mean ± std of the
 * evaluation returns, training seconds (wall and CPU), steps/s, whether the score target is
 * met, and the ratio of Stable-Baselines3's time (2.3.2, torch 1.13, one thread, measured on
 * the reference machine) to ours; with `--sb3-seconds`, also the ratio to SB3's median
 * measured on this machine by bench/sb3_learning.py. Never fails on a number.
 */
import { trainAgent } from '../src/agents/index.js';
import { computeMetrics } from '../src/evaluation/metrics.js';
import { runEpisodes } from '../src/evaluation/runner.js';
import { formatNumber, median, printTable } from './lib/index.js';
import type { BenchRunOptions } from './run.js';

interface LearningCase {
  agent: 'ppo' | 'a2c' | 'dqn' | 'ddpg';
  envId: string;
  timesteps: number;
  hyperparameters: Record<string, unknown>;
  /** Evaluation mean return that counts as reaching the target. */
  target: number;
  /** Seeds (of 5) that must reach it. */
  required: number;
  /** Stable-Baselines3 seconds for the same run, or null where none was measured. */
  sb3Seconds: number | null;
  /** Speed-up over SB3 the issue asks for (1 = on par). */
  speedTarget: number | null;
}

export const LEARNING_CASES: Readonly<Record<string, LearningCase>> = {
  ppo: {
    agent: 'ppo',
    envId: 'CartPole-v1',
    timesteps: 100_000,
    hyperparameters: {
      n_envs: 8,
      n_steps: 32,
      batch_size: 256,
      gae_lambda: 0.8,
      gamma: 0.98,
      n_epochs: 20,
      ent_coef: 0,
      learning_rate: 'lin_1e-3',
      clip_range: 'lin_0.2',
    },
    target: 475,
    required: 4,
    sb3Seconds: 17.2,
    speedTarget: 4,
  },
  dqn: {
    agent: 'dqn',
    envId: 'CartPole-v1',
    timesteps: 50_000,
    hyperparameters: {
      learning_rate: 2.3e-3,
      batch_size: 64,
      buffer_size: 100_000,
      learning_starts: 1000,
      gamma: 0.99,
      target_update_interval: 10,
      train_freq: 256,
      gradient_steps: 128,
      exploration_fraction: 0.16,
      exploration_final_eps: 0.04,
      net_arch: [256, 256],
    },
    target: 475,
    required: 3,
    sb3Seconds: 51.7,
    speedTarget: 2,
  },
  a2c: {
    agent: 'a2c',
    envId: 'CartPole-v1',
    timesteps: 500_000,
    hyperparameters: { n_envs: 8, ent_coef: 0 },
    target: 475,
    required: 3,
    sb3Seconds: null,
    speedTarget: 4,
  },
  ddpg: {
    agent: 'ddpg',
    envId: 'Pendulum-v1',
    timesteps: 20_000,
    hyperparameters: {
      gamma: 0.98,
      buffer_size: 200_000,
      learning_starts: 10_000,
      action_noise: { type: 'normal', sigma: 0.1 },
      learning_rate: 1e-3,
      net_arch: [400, 300],
    },
    target: -200,
    required: 4,
    sb3Seconds: 103.5,
    speedTarget: 1,
  },
};

export interface LearningRun {
  seed: number;
  wallSeconds: number;
  cpuSeconds: number;
  timesteps: number;
  meanReturn: number;
  stdReturn: number;
}

export function runLearningCase(c: LearningCase, seed: number): LearningRun {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = trainAgent(c.agent, c.hyperparameters, {
    envId: c.envId,
    totalTimesteps: c.timesteps,
    seed,
  });
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const evaluation = runEpisodes(result.agent, { envId: c.envId, episodes: 100, baseSeed: 1_000_000 });
  const m = computeMetrics(evaluation.episodes, { envId: c.envId, resamples: 1000 });
  return {
    seed,
    wallSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    timesteps: result.timesteps,
    meanReturn: m.mean_reward,
    stdReturn: m.std_reward,
  };
}

export async function runLearning(name: string, options: BenchRunOptions): Promise<void> {
  const c = LEARNING_CASES[name];
  const seeds = Array.from({ length: options.seeds ?? 5 }, (_, i) => i);
  process.stdout.write(
    `${c.agent} on ${c.envId}, ${c.timesteps} steps, RL Zoo hyperparameters ${JSON.stringify(c.hyperparameters)}\n`,
  );
  const runs: LearningRun[] = [];
  for (const seed of seeds) {
    const r = runLearningCase(c, seed);
    runs.push(r);
    process.stdout.write(
      `  seed ${seed}: ${formatNumber(r.meanReturn)} ± ${formatNumber(r.stdReturn)} in ${r.wallSeconds.toFixed(1)} s\n`,
    );
  }
  printTable(
    ['seed', 'mean return', 'std', `≥ ${c.target}`, 'wall s', 'cpu s', 'steps/s'],
    runs.map((r) => [
      String(r.seed),
      r.meanReturn,
      r.stdReturn,
      r.meanReturn >= c.target ? 'yes' : 'no',
      r.wallSeconds.toFixed(2),
      r.cpuSeconds.toFixed(2),
      r.timesteps / r.wallSeconds,
    ]),
  );
  const reached = runs.filter((r) => r.meanReturn >= c.target).length;
  const med = median(runs.map((r) => r.wallSeconds));
  const target = c.speedTarget ?? 1;
  // "vs Stable-Baselines3 S s <where>: R× (target T×: met)" for SB3 seconds measured somewhere.
  const versus = (sb3: number, where: string): string => {
    const ratio = sb3 / med;
    return `vs Stable-Baselines3 ${sb3} s ${where}: ${ratio.toFixed(2)}× (target ${target}×: ${
      ratio >= target ? 'met' : 'not met'
    })`;
  };
  process.stdout.write(
    `score: ${reached}/${runs.length} seeds reach ${c.target} (target ${c.required}/5: ${
      reached >= (c.required * runs.length) / 5 ? 'met' : 'not met'
    })\n` +
      `time: median ${med.toFixed(2)} s ${
        c.sb3Seconds === null
          ? '(no Stable-Baselines3 figure for this run)'
          : versus(c.sb3Seconds, 'on the reference machine')
      }\n`,
  );
  if (options.sb3Seconds !== undefined) {
    process.stdout.write(`time: ${versus(options.sb3Seconds, 'measured on this machine')}\n`);
  }
}

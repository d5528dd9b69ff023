import { writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { AGENT_TYPES, parseAgentType, trainAgent } from '../../agents/index.js';
import type { TrainProgress } from '../../agents/types.js';
import { ValidationError } from '../../errors.js';
import { computeMetrics } from '../../evaluation/metrics.js';
import { runEpisodes } from '../../evaluation/runner.js';
import { writeSafetensors } from '../../nn/safetensors.js';
import { formatNumber } from '../format.js';

interface TrainCliOptions {
  agent: string;
  env: string;
  timesteps: number;
  seed: number;
  hyperparameters: string;
  out: string;
  evalEpisodes: number;
  progress: boolean;
}

export function parseJsonOption(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`${name} must be JSON: ${(err as Error).message}`, { field: name });
  }
}

export function nonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new ValidationError(`${name} must be a non-negative integer, got ${value}`, { field: name });
    }
    return n;
  };
}

/** `model.safetensors` → `model.json` (the sidecar beside the weights). */
export function sidecarPath(out: string): string {
  return out.endsWith('.safetensors') ? `${out.slice(0, -'.safetensors'.length)}.json` : `${out}.json`;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'train an agent for a timestep budget and write its state dict (safetensors) and a JSON sidecar',
    )
    .requiredOption('--agent <type>', `agent type (${AGENT_TYPES.join(', ')})`)
    .requiredOption('--env <id>', 'environment id (see `tars-eval envs`)')
    .requiredOption('--timesteps <n>', 'environment steps to train for', nonNegativeInt('--timesteps'))
    .option('--seed <n>', 'seed of weights, exploration and environments', nonNegativeInt('--seed'), 0)
    .option('--hyperparameters <json>', 'hyperparameters as JSON (SB3 names; see the docs)', '{}')
    .option('--out <file>', 'where to write the weights', 'model.safetensors')
    .option(
      '--eval-episodes <n>',
      'deterministic evaluation episodes for the final metrics',
      nonNegativeInt('--eval-episodes'),
      100,
    )
    .option('--no-progress', 'no progress bar')
    .action((opts: TrainCliOptions) => {
      const agentType = parseAgentType(opts.agent, '--agent');
      const hyperparameters = parseJsonOption('--hyperparameters', opts.hyperparameters);
      const bar =
        opts.progress && process.stderr.isTTY
          ? new SingleBar({
              format:
                'train |{bar}| {value}/{total} steps | {episodes} episodes | mean return {ret} | {sps} steps/s',
              hideCursor: true,
            })
          : null;
      bar?.start(opts.timesteps, 0, { episodes: 0, ret: '-', sps: 0 });
      let last: TrainProgress | null = null;
      const result = trainAgent(agentType, hyperparameters, {
        envId: opts.env,
        totalTimesteps: opts.timesteps,
        seed: opts.seed,
        onProgress: (p) => {
          last = p;
          bar?.update(p.timesteps, {
            episodes: p.episodes,
            ret: p.recentMeanReturn === null ? '-' : formatNumber(p.recentMeanReturn, 1),
            sps: Math.round(p.stepsPerSecond),
          });
        },
      });
      bar?.stop();
      writeFileSync(opts.out, writeSafetensors(result.agent.stateDict()));
      const evaluation =
        opts.evalEpisodes > 0
          ? runEpisodes(result.agent, { envId: opts.env, episodes: opts.evalEpisodes, baseSeed: 1_000_000 })
          : null;
      const metrics =
        evaluation === null
          ? null
          : computeMetrics(evaluation.episodes, {
              envId: opts.env,
              actions: evaluation.actions,
              losses: result.losses,
            });
      const sidecar = {
        agent_type: agentType,
        environment: opts.env,
        hyperparameters,
        seed: opts.seed,
        total_timesteps: result.timesteps,
        episodes: result.episodes,
        training_seconds: result.seconds,
        final_training_mean_return: (last as TrainProgress | null)?.recentMeanReturn ?? null,
        evaluation:
          metrics === null
            ? null
            : {
                episodes: metrics.num_episodes,
                first_seed: 1_000_000,
                deterministic: true,
                mean_reward: metrics.mean_reward,
                std_reward: metrics.std_reward,
                iqm_reward: metrics.iqm_reward,
                success_rate: metrics.success_rate,
                mean_ci: metrics.mean_ci,
              },
        weights: opts.out,
      };
      writeFileSync(sidecarPath(opts.out), `${JSON.stringify(sidecar, null, 2)}\n`);
      process.stdout.write(
        `trained ${agentType} on ${opts.env}: ${result.timesteps} steps, ${result.episodes} episodes in ${formatNumber(
          result.seconds,
          1,
        )} s` +
          (metrics === null
            ? ''
            : `; evaluation over ${metrics.num_episodes} episodes: ${formatNumber(metrics.mean_reward)} ± ${formatNumber(
                metrics.std_reward,
              )} (success ${formatNumber(100 * metrics.success_rate, 0)}%)`) +
          `\nwrote ${opts.out} and ${sidecarPath(opts.out)}\n`,
      );
    });
}

import type { Command } from 'commander';
import { listEnvs } from '../../envs/index.js';
import { formatNumber, formatTable } from '../format.js';

export function registerEnvs(program: Command): void {
  program
    .command('envs')
    .description('list the environments: ids, spaces, step limits, reward thresholds and success criteria')
    .option('--json', 'print JSON instead of a table')
    .action((opts: { json?: boolean }) => {
      const envs = listEnvs();
      if (opts.json) {
        const doc = envs.map((e) => ({
          id: e.id,
          observation_space: e.observationSpace.toJSON(),
          action_space: e.actionSpace.toJSON(),
          max_episode_steps: e.maxEpisodeSteps,
          reward_threshold: e.rewardThreshold,
          continuous: e.continuous,
          success_criterion: e.successCriterion,
        }));
        process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
        return;
      }
      const rows = envs.map((e) => [
        e.id,
        e.observationSpace.toString(),
        e.actionSpace.toString(),
        String(e.maxEpisodeSteps),
        e.rewardThreshold === null ? '-' : formatNumber(e.rewardThreshold, 0),
        e.successCriterion,
      ]);
      process.stdout.write(
        `${formatTable(['id', 'observation space', 'action space', 'max steps', 'threshold', 'success'], rows)}\n`,
      );
    });
}

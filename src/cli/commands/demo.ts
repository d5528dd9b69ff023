import type { Command } from 'commander';
import { type Action, describeEnv, listEnvs, lunarLanderHeuristic, make } from '../../envs/index.js';
import { ValidationError } from '../../errors.js';
import { Generator } from '../../rng/index.js';
import { formatNumber, formatTable } from '../format.js';

interface DemoRow {
  env: string;
  policy: string;
  episodes: number;
  meanReturn: number;
  stdReturn: number;
  meanLength: number;
  successRate: number;
  stepsPerSecond: number;
}

/**
 * Seeded rollouts in one environment: episode i resets with seed `seed + i`; actions come
 * from a random policy drawing from its own generator seeded with `seed`, or from
 * Gymnasium's heuristic controller for LunarLander.
 */
export function demoRollouts(envId: string, episodes: number, seed: number): DemoRow {
  const env = make(envId);
  const desc = describeEnv(envId);
  const actionRng = new Generator(seed);
  const heuristic = envId.startsWith('LunarLander');
  const continuous = desc.continuous;
  const returns: number[] = [];
  let steps = 0;
  let successes = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < episodes; i++) {
    let { obs } = env.reset({ seed: seed + i });
    let ret = 0;
    for (;;) {
      const action: Action = heuristic
        ? lunarLanderHeuristic(obs, continuous)
        : env.actionSpace.sample(actionRng);
      const r = env.step(action);
      ret += r.reward;
      steps++;
      obs = r.obs;
      if (r.terminated || r.truncated) {
        if (desc.success(ret, r.terminated, r.truncated)) successes++;
        break;
      }
    }
    returns.push(ret);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  env.close();
  const mean = returns.reduce((a, b) => a + b, 0) / episodes;
  const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / episodes);
  return {
    env: envId,
    policy: heuristic ? 'heuristic' : 'random',
    episodes,
    meanReturn: mean,
    stdReturn: std,
    meanLength: steps / episodes,
    successRate: successes / episodes,
    stepsPerSecond: steps / seconds,
  };
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new ValidationError(`${name} must be a non-negative integer, got ${value}`);
    return n;
  };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'seeded demo rollouts in every environment (random policy; the heuristic lander for LunarLander)',
    )
    .option('--episodes <n>', 'episodes per environment', positiveInt('--episodes'), 10)
    .option('--seed <n>', 'first episode seed (episode i uses seed + i)', positiveInt('--seed'), 0)
    .option('--env <id...>', 'only these environments')
    .option('--json', 'print JSON instead of a table')
    .action((opts: { episodes: number; seed: number; env?: string[]; json?: boolean }) => {
      const ids = opts.env ?? listEnvs().map((e) => e.id);
      const rows = ids.map((id) => demoRollouts(id, Math.max(1, opts.episodes), opts.seed));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `${formatTable(
          ['environment', 'policy', 'episodes', 'return (mean ± std)', 'mean length', 'success', 'steps/s'],
          rows.map((r) => [
            r.env,
            r.policy,
            String(r.episodes),
            `${formatNumber(r.meanReturn)} ± ${formatNumber(r.stdReturn)}`,
            formatNumber(r.meanLength, 1),
            `${formatNumber(100 * r.successRate, 0)}%`,
            formatNumber(r.stepsPerSecond, 0),
          ]),
        )}\n`,
      );
    });
}

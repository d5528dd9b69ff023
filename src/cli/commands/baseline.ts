/**
 * `tars-eval baseline list|set|rollback`: the ranked, versioned baselines in the configured
 * database (PGlite under TARS_DATA_DIR, or DATABASE_URL). `set` takes metrics from a file:
 * `{ "<env>": BaselineMetrics }` or a `tars-eval evaluate --json` result.
 */
import type { Command } from 'commander';
import { parseAgentType } from '../../agents/index.js';
import { openConfiguredDatabase } from '../../api/database.js';
import { loadConfig } from '../../config.js';
import { describeEnv } from '../../envs/registry.js';
import { ValidationError } from '../../errors.js';
import { insertBaseline, listBaselines, migrateUp, rollbackBaseline } from '../../store/index.js';
import { formatNumber, formatTable } from '../format.js';
import { loadBaselines } from './evaluate.js';

async function withDatabase<T>(
  fn: (db: Awaited<ReturnType<typeof openConfiguredDatabase>>['db']) => Promise<T>,
): Promise<T> {
  const database = await openConfiguredDatabase(loadConfig());
  try {
    await migrateUp(database.db);
    return await fn(database.db);
  } finally {
    await database.close();
  }
}

function checkEnv(env: string): string {
  try {
    describeEnv(env);
  } catch (err) {
    throw new ValidationError(`--env: ${(err as Error).message}`, { field: '--env' });
  }
  return env;
}

export function registerBaseline(program: Command): void {
  const baseline = program.command('baseline').description('list, set and roll back ranked baselines');
  baseline
    .command('list')
    .description('baselines by agent type and environment, newest version first')
    .option('--agent <type>', 'only this agent type')
    .option('--env <id>', 'only this environment')
    .option('--all', 'include retired (rolled-back) records')
    .option('--json', 'print JSON')
    .action(async (opts: { agent?: string; env?: string; all?: boolean; json?: boolean }) => {
      const rows = await withDatabase((db) =>
        listBaselines(db, {
          agent_type: opts.agent === undefined ? undefined : parseAgentType(opts.agent, '--agent'),
          environment: opts.env,
          include_retired: opts.all ?? false,
        }),
      );
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `${formatTable(
          ['agent', 'environment', 'version', 'rank', 'mean reward', 'episodes', 'created', 'retired'],
          rows.map((b) => [
            b.agent_type,
            b.environment,
            String(b.version),
            b.rank === null ? '-' : String(b.rank),
            formatNumber(b.mean_reward),
            String(b.metrics.num_episodes),
            new Date(b.created_at).toISOString(),
            b.retired_at === null ? '-' : new Date(b.retired_at).toISOString(),
          ]),
        )}\n`,
      );
    });
  baseline
    .command('set')
    .description(
      'add a baseline version from a metrics file; it is re-ranked (rank 1 when it beats the best)',
    )
    .requiredOption('--agent <type>', 'agent type')
    .requiredOption('--from <file>', '{ "<env>": metrics } or a `tars-eval evaluate --json` result')
    .option('--env <id>', 'only this environment of the file')
    .action(async (opts: { agent: string; from: string; env?: string }) => {
      const agentType = parseAgentType(opts.agent, '--agent');
      const all = loadBaselines(opts.from);
      const envs = opts.env === undefined ? Object.keys(all) : [checkEnv(opts.env)];
      for (const env of envs) {
        if (all[env] === undefined)
          throw new ValidationError(`--from has no metrics for ${env}`, { field: '--from' });
        checkEnv(env);
      }
      await withDatabase(async (db) => {
        for (const env of envs) {
          const r = await insertBaseline(db, {
            agent_type: agentType,
            environment: env,
            metrics: all[env],
            created_by: null,
          });
          process.stdout.write(
            `${agentType} ${env}: version ${r.version}, rank ${r.rank}${r.is_new_best ? ' (new best)' : ''}\n`,
          );
        }
      });
    });
  baseline
    .command('rollback')
    .description(
      'restore the previous rank-1 baseline of (agent type, environment); the current one is retired',
    )
    .requiredOption('--agent <type>', 'agent type')
    .requiredOption('--env <id>', 'environment id')
    .option('--reason <text>', 'recorded in the audit log')
    .action(async (opts: { agent: string; env: string; reason?: string }) => {
      const agentType = parseAgentType(opts.agent, '--agent');
      const env = checkEnv(opts.env);
      const { restored, retired } = await withDatabase((db) =>
        rollbackBaseline(db, agentType, env, 'cli', opts.reason),
      );
      process.stdout.write(
        `${agentType} ${env}: version ${restored.version} is rank 1 again (mean ${formatNumber(
          restored.mean_reward,
        )}); version ${retired.version} retired\n`,
      );
    });
}

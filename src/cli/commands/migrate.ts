/** `tars-eval migrate up|down [--steps N]` on the configured database (PGlite or DATABASE_URL). */
import type { Command } from 'commander';
import { openConfiguredDatabase } from '../../api/database.js';
import { loadConfig } from '../../config.js';
import { ValidationError } from '../../errors.js';
import { migrateDown, migrateUp } from '../../store/index.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate <direction>')
    .description('apply pending migrations (up) or revert the last ones (down)')
    .option('--steps <n>', 'with down: how many to revert (default 1; "all" for every one)', '1')
    .action(async (direction: string, opts: { steps: string }) => {
      if (direction !== 'up' && direction !== 'down') {
        throw new ValidationError(`direction must be up or down, got '${direction}'`, { field: 'direction' });
      }
      const steps = opts.steps === 'all' ? Number.POSITIVE_INFINITY : Number(opts.steps);
      if (!(steps === Number.POSITIVE_INFINITY || (Number.isInteger(steps) && steps >= 1))) {
        throw new ValidationError(`--steps must be a positive integer or "all", got '${opts.steps}'`, {
          field: '--steps',
        });
      }
      const database = await openConfiguredDatabase(loadConfig());
      try {
        const ids =
          direction === 'up' ? await migrateUp(database.db) : await migrateDown(database.db, { steps });
        const verb = direction === 'up' ? 'applied' : 'reverted';
        process.stdout.write(
          ids.length === 0
            ? `nothing to ${direction === 'up' ? 'apply' : 'revert'}\n`
            : `${ids.map((id) => `${verb} ${id}`).join('\n')}\n`,
        );
      } finally {
        await database.close();
      }
    });
}

/** The service commands on a program of their own, as src/cli/main.ts wires them, for child-process tests. */
import { Command } from 'commander';
import { registerMigrate } from '../../src/cli/commands/migrate.js';
import { registerOpenapi } from '../../src/cli/commands/openapi.js';
import { registerServe } from '../../src/cli/commands/serve.js';
import { registerUsers } from '../../src/cli/commands/users.js';
import { TarsError } from '../../src/errors.js';

const program = new Command().name('tars-eval').exitOverride();
registerMigrate(program);
registerOpenapi(program);
registerServe(program);
registerUsers(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`tars-eval: ${(err as Error).message}\n`);
  process.exitCode = err instanceof TarsError && err.kind === 'validation' ? 2 : 1;
});

#!/usr/bin/env node
/**
 * The `tars-eval` command. Each subcommand lives in ./commands and registers itself on the
 * program; errors of the TarsError hierarchy print their message and exit 2 (bad input)
 * or 1 (anything else), never a stack trace for a user mistake.
 */
import { Command, CommanderError } from 'commander';
import { TarsError } from '../errors.js';
import { packageVersion } from '../version.js';
import { registerBaseline } from './commands/baseline.js';
import { registerDemo } from './commands/demo.js';
import { registerEnvs } from './commands/envs.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerMigrate } from './commands/migrate.js';
import { registerOpenapi } from './commands/openapi.js';
import { registerServe } from './commands/serve.js';
import { registerTrain } from './commands/train.js';
import { registerUsers } from './commands/users.js';
import { registerWorker } from './commands/worker.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('tars-eval')
    .description(
      'T.A.R.S. Evaluation Engine: evaluate reinforcement-learning agents in Gymnasium-faithful environments',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError()
    .exitOverride();
  registerEnvs(program);
  registerDemo(program);
  registerTrain(program);
  registerEvaluate(program);
  registerWorker(program);
  registerServe(program);
  registerUsers(program);
  registerMigrate(program);
  registerOpenapi(program);
  registerBaseline(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof TarsError) {
      process.stderr.write(`tars-eval: ${err.message}\n`);
      return err.kind === 'validation' || err.kind === 'not_found' ? 2 : 1;
    }
    throw err;
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '');
if (invokedDirectly) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`tars-eval: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

/** `tars-eval users add NAME --role ROLE [--password P]` and `tars-eval users list`. */
import type { Command } from 'commander';
import { openConfiguredDatabase } from '../../api/database.js';
import { loadConfig } from '../../config.js';
import { ValidationError } from '../../errors.js';
import { createUser, listUsers, migrateUp, ROLES, type Role } from '../../store/index.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function registerUsers(program: Command): void {
  const users = program.command('users').description('manage API accounts');
  users
    .command('add <name>')
    .description('create an account (the password is read from stdin unless --password is given)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--password <password>', 'the password (prefer stdin: command lines are visible to others)')
    .action(async (name: string, opts: { role: string; password?: string }) => {
      if (!(ROLES as readonly string[]).includes(opts.role)) {
        throw new ValidationError(`--role must be one of ${ROLES.join(', ')}, got '${opts.role}'`, {
          field: '--role',
        });
      }
      // One line from stdin: the trailing newline of `echo` or a heredoc is not part of it.
      const password = opts.password ?? (await readStdin()).replace(/\r?\n$/, '');
      const database = await openConfiguredDatabase(loadConfig());
      try {
        await migrateUp(database.db);
        const user = await createUser(
          database.db,
          { username: name, password, role: opts.role as Role },
          'cli',
        );
        process.stdout.write(`created ${user.username} (${user.role}) ${user.id}\n`);
      } finally {
        await database.close();
      }
    });
  users
    .command('list')
    .description('list accounts')
    .action(async () => {
      const database = await openConfiguredDatabase(loadConfig());
      try {
        await migrateUp(database.db);
        for (const u of await listUsers(database.db)) {
          process.stdout.write(`${u.username}\t${u.role}${u.disabled ? '\tdisabled' : ''}\t${u.id}\n`);
        }
      } finally {
        await database.close();
      }
    });
}

/**
 * `tars-eval users add NAME --role ROLE [--password P]`, `users list`, `users disable NAME`,
 * `users enable NAME` and `users set-role NAME ROLE`. Changes are audited and reach the running
 * API at its next request (the account change NOTIFY): a disabled account's tokens stop working.
 */
import type { Command } from 'commander';
import { openConfiguredDatabase } from '../../api/database.js';
import { loadConfig } from '../../config.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import {
  createUser,
  type Db,
  getUserByUsername,
  listUsers,
  migrateUp,
  ROLES,
  type Role,
  setUserDisabled,
  setUserRole,
  type User,
} from '../../store/index.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function checkRole(role: string, field: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new ValidationError(`${field} must be one of ${ROLES.join(', ')}, got '${role}'`, { field });
  }
  return role as Role;
}

/** Opens the configured database, finds `name` and applies `change` to it. */
async function changeUser(name: string, change: (db: Db, user: User) => Promise<User>): Promise<User> {
  const database = await openConfiguredDatabase(loadConfig());
  try {
    await migrateUp(database.db);
    const user = await getUserByUsername(database.db, name);
    if (user === null) throw new NotFoundError(`no account named '${name}'`, { field: 'name', name });
    return await change(database.db, user);
  } finally {
    await database.close();
  }
}

export function registerUsers(program: Command): void {
  const users = program.command('users').description('manage API accounts');
  users
    .command('add <name>')
    .description('create an account (the password is read from stdin unless --password is given)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--password <password>', 'the password (prefer stdin: command lines are visible to others)')
    .action(async (name: string, opts: { role: string; password?: string }) => {
      const role = checkRole(opts.role, '--role');
      // One line from stdin: the trailing newline of `echo` or a heredoc is not part of it.
      const password = opts.password ?? (await readStdin()).replace(/\r?\n$/, '');
      const database = await openConfiguredDatabase(loadConfig());
      try {
        await migrateUp(database.db);
        const user = await createUser(database.db, { username: name, password, role }, 'cli');
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
  users
    .command('disable <name>')
    .description('disable an account: logins, refreshes and its live access tokens are refused')
    .action(async (name: string) => {
      const user = await changeUser(name, (db, u) => setUserDisabled(db, u.id, true, 'cli'));
      process.stdout.write(`disabled ${user.username}\n`);
    });
  users
    .command('enable <name>')
    .description('enable a disabled account again')
    .action(async (name: string) => {
      const user = await changeUser(name, (db, u) => setUserDisabled(db, u.id, false, 'cli'));
      process.stdout.write(`enabled ${user.username}\n`);
    });
  users
    .command('set-role <name> <role>')
    .description(`change an account's role (${ROLES.join(', ')}); live access tokens get the new role`)
    .action(async (name: string, roleName: string) => {
      const role = checkRole(roleName, 'role');
      const user = await changeUser(name, (db, u) => setUserRole(db, u.id, role, 'cli'));
      process.stdout.write(`${user.username} is now ${user.role}\n`);
    });
}

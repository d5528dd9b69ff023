/** Users: accounts with a scrypt password hash, a role and a disabled flag. Changes are audited. */
import { asc, eq, sql } from 'drizzle-orm';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { appendAudit } from './audit.js';
import type { Db } from './database.js';
import { dummyHash, hashPassword, verifyPassword } from './password.js';
import { ROLES, type Role, type User, users } from './schema.js';

export interface NewUser {
  username: string;
  password: string;
  role: Role;
}

const USERNAME = /^[A-Za-z0-9_.@-]{1,64}$/;

function checkRole(role: string): asserts role is Role {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new ValidationError(`role must be one of ${ROLES.join(', ')}`, { field: 'role', value: role });
  }
}

/** Creates a user; ConflictError when the username is taken. */
export async function createUser(db: Db, input: NewUser, actor: string | null = null): Promise<User> {
  if (!USERNAME.test(input.username)) {
    throw new ValidationError('username must be 1–64 characters of letters, digits, _ . @ -', {
      field: 'username',
    });
  }
  if (input.password.length < 8) {
    throw new ValidationError('password must have at least 8 characters', { field: 'password' });
  }
  checkRole(input.role);
  const password_hash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(users)
      .values({ username: input.username, password_hash, role: input.role })
      .onConflictDoNothing({ target: users.username })
      .returning();
    if (!row) throw new ConflictError(`user ${input.username} already exists`, { username: input.username });
    await appendAudit(tx as unknown as Db, {
      actor,
      action: 'user.create',
      entity: 'user',
      entity_id: row.id,
      details: { username: row.username, role: row.role },
    });
    return row;
  });
}

export async function getUserById(db: Db, id: string): Promise<User | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row ?? null;
}

export async function getUserByUsername(db: Db, username: string): Promise<User | null> {
  const [row] = await db.select().from(users).where(eq(users.username, username));
  return row ?? null;
}

export async function listUsers(db: Db): Promise<User[]> {
  return db.select().from(users).orderBy(asc(users.username));
}

/**
 * The user when the password is right and the account enabled, else null. Unknown usernames
 * cost one scrypt like known ones.
 */
/** Why a login failed: unknown user or wrong password, or a right password on a disabled account. */
export type CredentialFailure = 'bad_credentials' | 'disabled';

/**
 * Checks a username and password: the user, or why not. An unknown user costs the same hash
 * as a known one, so the answer time does not tell which usernames exist.
 */
export async function checkCredentials(
  db: Db,
  username: string,
  password: string,
): Promise<{ user: User } | { user: null; reason: CredentialFailure }> {
  const user = await getUserByUsername(db, username);
  if (!user) {
    await verifyPassword(password, await dummyHash());
    return { user: null, reason: 'bad_credentials' };
  }
  if (!(await verifyPassword(password, user.password_hash))) return { user: null, reason: 'bad_credentials' };
  return user.disabled ? { user: null, reason: 'disabled' } : { user };
}

/** The user when the password is right and the account enabled, else null. */
export async function authenticate(db: Db, username: string, password: string): Promise<User | null> {
  return (await checkCredentials(db, username, password)).user;
}

/**
 * NOTIFY channel of account changes (role, disabled, password): the changed user's id, delivered
 * on commit, so the API's account cache in every process (src/api/plugins/auth.ts) forgets it and
 * a disabled account or a lowered role takes effect at the next request.
 */
export const USER_CHANNEL = 'tars_users';

async function updateUser(
  db: Db,
  id: string,
  patch: Partial<Pick<User, 'role' | 'disabled' | 'password_hash'>>,
  action: string,
  details: Record<string, unknown>,
  actor: string | null,
): Promise<User> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(users)
      .set({ ...patch, updated_at: sql`now()` })
      .where(eq(users.id, id))
      .returning();
    if (!row) throw new NotFoundError(`user ${id} not found`, { id });
    await appendAudit(tx as unknown as Db, { actor, action, entity: 'user', entity_id: id, details });
    await tx.execute(sql`select pg_notify(${USER_CHANNEL}, ${id})`);
    return row;
  });
}

export function setUserRole(db: Db, id: string, role: Role, actor: string | null = null): Promise<User> {
  checkRole(role);
  return updateUser(db, id, { role }, 'user.role', { role }, actor);
}

export function setUserDisabled(
  db: Db,
  id: string,
  disabled: boolean,
  actor: string | null = null,
): Promise<User> {
  return updateUser(db, id, { disabled }, disabled ? 'user.disable' : 'user.enable', {}, actor);
}

export async function setUserPassword(
  db: Db,
  id: string,
  password: string,
  actor: string | null = null,
): Promise<User> {
  if (password.length < 8) {
    throw new ValidationError('password must have at least 8 characters', { field: 'password' });
  }
  return updateUser(db, id, { password_hash: await hashPassword(password) }, 'user.password', {}, actor);
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors.js';
import { listAudit } from '../../src/store/audit.js';
import { hashPassword, verifyPassword } from '../../src/store/password.js';
import {
  findRefreshToken,
  hashToken,
  revokeUserTokens,
  rotateRefreshToken,
  storeRefreshToken,
} from '../../src/store/refresh-tokens.js';
import {
  authenticate,
  createUser,
  getUserById,
  getUserByUsername,
  setUserDisabled,
  setUserPassword,
  setUserRole,
} from '../../src/store/users.js';
import { backends, type TestDatabase } from './backends.js';

describe('password hashing', () => {
  it('salts (two hashes of one password differ) and verifies only the right password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsf', a)).toBe(false);
    expect(await verifyPassword('correct horse', 'garbage')).toBe(false);
    expect(await verifyPassword('correct horse', 'scrypt$x$8$1$AA==$AA==')).toBe(false);
  });
});

const uniq = () =>
  `u${Math.floor(performance.now() * 1000).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

describe.each(backends)('users and refresh tokens on $name', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await backend.open();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('creates, finds, authenticates, rejects duplicates and bad input, audits', async () => {
    const db = t.database.db;
    const name = uniq();
    const u = await createUser(
      db,
      { username: name, password: 'hunter2hunter2', role: 'developer' },
      'admin-x',
    );
    expect(u.role).toBe('developer');
    expect(u.disabled).toBe(false);
    expect(u.password_hash).not.toContain('hunter2');
    expect((await getUserByUsername(db, name))?.id).toBe(u.id);
    expect((await getUserById(db, u.id))?.username).toBe(name);
    await expect(
      createUser(db, { username: name, password: 'otherpassword', role: 'viewer' }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      createUser(db, { username: uniq(), password: 'short', role: 'viewer' }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      createUser(db, { username: uniq(), password: 'longenough', role: 'root' as 'admin' }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect((await authenticate(db, name, 'hunter2hunter2'))?.id).toBe(u.id);
    expect(await authenticate(db, name, 'wrong-password')).toBeNull();
    expect(await authenticate(db, `${name}-nobody`, 'hunter2hunter2')).toBeNull();

    const promoted = await setUserRole(db, u.id, 'admin', 'admin-x');
    expect(promoted.role).toBe('admin');
    await setUserDisabled(db, u.id, true, 'admin-x');
    expect(await authenticate(db, name, 'hunter2hunter2')).toBeNull();
    await setUserDisabled(db, u.id, false, 'admin-x');
    await setUserPassword(db, u.id, 'a-new-password', 'admin-x');
    expect(await authenticate(db, name, 'hunter2hunter2')).toBeNull();
    expect((await authenticate(db, name, 'a-new-password'))?.id).toBe(u.id);
    await expect(setUserRole(db, '00000000-0000-4000-8000-000000000000', 'viewer')).rejects.toBeInstanceOf(
      NotFoundError,
    );

    const audit = await listAudit(db, { entity: 'user', entity_id: u.id });
    expect(audit.map((a) => a.action)).toEqual([
      'user.password',
      'user.enable',
      'user.disable',
      'user.role',
      'user.create',
    ]);
    expect(audit.every((a) => a.actor === 'admin-x')).toBe(true);
  });

  it('rotates refresh tokens; reuse of a rotated token revokes the whole family', async () => {
    const db = t.database.db;
    const u = await createUser(db, { username: uniq(), password: 'password123', role: 'viewer' });
    const later = new Date(Date.now() + 3_600_000);
    const t1 = await storeRefreshToken(db, { user_id: u.id, token: 'tok-1', expires_at: later });
    expect(t1.token_hash).toBe(hashToken('tok-1'));
    expect(t1.token_hash).not.toContain('tok-1');

    const r1 = await rotateRefreshToken(db, 'tok-1', { token: 'tok-2', expires_at: later });
    expect(r1.status).toBe('rotated');
    if (r1.status !== 'rotated') return;
    expect(r1.current.family_id).toBe(t1.family_id);
    expect(r1.previous.replaced_by).toBe(r1.current.id);
    expect(r1.previous.revoked_at).not.toBeNull();

    const r2 = await rotateRefreshToken(db, 'tok-2', { token: 'tok-3', expires_at: later });
    expect(r2.status).toBe('rotated');

    // tok-1 was rotated away: presenting it again is reuse; tok-3 (live) is revoked with the family.
    const reuse = await rotateRefreshToken(db, 'tok-1', { token: 'tok-x', expires_at: later });
    expect(reuse).toEqual({ status: 'reused', family_id: t1.family_id, revoked: 1 });
    expect((await findRefreshToken(db, 'tok-3'))?.revoked_at).not.toBeNull();
    expect(await findRefreshToken(db, 'tok-x')).toBeNull();
    expect((await rotateRefreshToken(db, 'tok-3', { token: 'tok-4', expires_at: later })).status).toBe(
      'revoked',
    );
    expect((await rotateRefreshToken(db, 'nope', { token: 'tok-5', expires_at: later })).status).toBe(
      'unknown',
    );

    await storeRefreshToken(db, { user_id: u.id, token: 'old', expires_at: new Date(Date.now() - 1000) });
    expect((await rotateRefreshToken(db, 'old', { token: 'tok-6', expires_at: later })).status).toBe(
      'expired',
    );

    await storeRefreshToken(db, { user_id: u.id, token: 'a', expires_at: later });
    await storeRefreshToken(db, { user_id: u.id, token: 'b', expires_at: later });
    expect(await revokeUserTokens(db, u.id)).toBe(3); // a, b and the expired-but-unrevoked "old"
  });

  it('two concurrent uses of one refresh token: exactly one rotates, the other revokes the family', async () => {
    const db = t.database.db;
    const u = await createUser(db, { username: uniq(), password: 'password123', role: 'viewer' });
    const later = new Date(Date.now() + 3_600_000);
    await storeRefreshToken(db, { user_id: u.id, token: 'race', expires_at: later });
    const outcomes = await Promise.all([
      rotateRefreshToken(db, 'race', { token: 'race-a', expires_at: later }),
      rotateRefreshToken(db, 'race', { token: 'race-b', expires_at: later }),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['reused', 'rotated']);
    // The winner's new token exists and was revoked with the family; the loser's was never stored.
    const issued = [await findRefreshToken(db, 'race-a'), await findRefreshToken(db, 'race-b')].filter(
      (x) => x,
    );
    expect(issued).toHaveLength(1);
    expect(issued[0]?.revoked_at).not.toBeNull();
  });
});

/**
 * Refresh tokens, stored as SHA-256 hashes (a database leak does not leak usable tokens).
 * Rotation follows the OAuth 2.0 Security BCP (RFC 9700 §4.14.2): every use issues a new token
 * in the same family and revokes the old one; presenting an already-rotated token means it was
 * stolen or replayed, so the whole family is revoked.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from './database.js';
import { type RefreshToken, refresh_tokens } from './schema.js';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface NewRefreshToken {
  /** the token's id (the JWT `jti`); random when omitted */
  id?: string;
  user_id: string;
  /** family of the login this token descends from; a new family when omitted */
  family_id?: string;
  token: string;
  expires_at: Date;
}

export async function storeRefreshToken(db: Db, input: NewRefreshToken): Promise<RefreshToken> {
  const [row] = await db
    .insert(refresh_tokens)
    .values({
      id: input.id ?? randomUUID(),
      user_id: input.user_id,
      family_id: input.family_id ?? randomUUID(),
      token_hash: hashToken(input.token),
      expires_at: input.expires_at,
    })
    .returning();
  return row;
}

export async function findRefreshToken(db: Db, token: string): Promise<RefreshToken | null> {
  const [row] = await db
    .select()
    .from(refresh_tokens)
    .where(eq(refresh_tokens.token_hash, hashToken(token)));
  return row ?? null;
}

export type RotationOutcome =
  | { status: 'rotated'; previous: RefreshToken; current: RefreshToken }
  /** an already-rotated token was presented: its family is now revoked */
  | { status: 'reused'; family_id: string; revoked: number }
  /** the token (or its family) was revoked earlier */
  | { status: 'revoked'; family_id: string }
  | { status: 'expired' }
  | { status: 'unknown' };

/**
 * Exchanges `token` for `next` (same user and family) in one transaction. The old row is
 * locked first, so two concurrent uses of one token cannot both rotate: the second sees it
 * rotated and revokes the family.
 */
export async function rotateRefreshToken(
  db: Db,
  token: string,
  next: { id?: string; token: string; expires_at: Date },
): Promise<RotationOutcome> {
  return db.transaction(async (txx) => {
    const tx = txx as unknown as Db;
    const [old] = await tx
      .select()
      .from(refresh_tokens)
      .where(eq(refresh_tokens.token_hash, hashToken(token)))
      .for('update');
    if (!old) return { status: 'unknown' } as const;
    if (old.revoked_at) {
      if (old.replaced_by) {
        const revoked = await revokeFamily(tx, old.family_id);
        return { status: 'reused', family_id: old.family_id, revoked } as const;
      }
      return { status: 'revoked', family_id: old.family_id } as const;
    }
    if (old.expires_at.getTime() <= Date.now()) return { status: 'expired' } as const;
    const current = await storeRefreshToken(tx, {
      id: next.id,
      user_id: old.user_id,
      family_id: old.family_id,
      token: next.token,
      expires_at: next.expires_at,
    });
    const [previous] = await tx
      .update(refresh_tokens)
      .set({ revoked_at: sql`now()`, replaced_by: current.id })
      .where(eq(refresh_tokens.id, old.id))
      .returning();
    return { status: 'rotated', previous, current } as const;
  });
}

/** Revokes every live token of a family; returns how many were live. */
export async function revokeFamily(db: Db, family_id: string): Promise<number> {
  const rows = await db
    .update(refresh_tokens)
    .set({ revoked_at: sql`now()` })
    .where(and(eq(refresh_tokens.family_id, family_id), isNull(refresh_tokens.revoked_at)))
    .returning({ id: refresh_tokens.id });
  return rows.length;
}

/** Revokes every live token of a user (logout everywhere, account disabled). */
export async function revokeUserTokens(db: Db, user_id: string): Promise<number> {
  const rows = await db
    .update(refresh_tokens)
    .set({ revoked_at: sql`now()` })
    .where(and(eq(refresh_tokens.user_id, user_id), isNull(refresh_tokens.revoked_at)))
    .returning({ id: refresh_tokens.id });
  return rows.length;
}

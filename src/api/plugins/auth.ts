/**
 * Authentication and roles. Access tokens (60 min) and refresh tokens (7 days) are HS256 JWTs
 * signed with JWT_SECRET; the algorithm is pinned on verification (RFC 8725 §3.1: never let
 * the token choose it), expiry is enforced, and a `typ` claim keeps the two kinds apart so a
 * refresh token is never accepted as an access token, nor the reverse (RFC 8725 §3.11).
 * Refresh tokens are single use and rotated in families (see store/refresh-tokens.ts).
 *
 * Routes declare their least role with `onRequest: app.requireRole('developer')`; roles are
 * ordered viewer < developer < admin.
 *
 * A valid access token is not enough on its own: the account behind it must still exist and be
 * enabled, and the role that counts is the account's current one. Accounts are read through a
 * small cache (RecentReads: at most ACCOUNT_CACHE_MS old, dropped at once on the NOTIFY that
 * every account change sends), so disabling an account or lowering its role takes effect at the
 * next request rather than when the token expires, at the cost of one indexed read per account
 * every few seconds.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Config } from '../../config.js';
import { ForbiddenError, UnauthorizedError, ValidationError } from '../../errors.js';
import { engineMetrics } from '../../observability/metrics.js';
import type { Database } from '../../store/database.js';
import { getUserById, type Role, USER_CHANNEL } from '../../store/index.js';
import { RecentReads } from '../read-cache.js';
import { globalPlugin } from './global.js';

export const ROLE_ORDER: Record<Role, number> = { viewer: 0, developer: 1, admin: 2 };

export interface AccessClaims {
  sub: string;
  username: string;
  role: Role;
  typ: 'access';
}

export interface RefreshClaims {
  sub: string;
  /** the login's token family */
  fam: string;
  jti: string;
  typ: 'refresh';
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessClaims | RefreshClaims;
    user: AccessClaims;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    requireRole(role: Role): onRequestAsyncHookHandler;
    tokens: TokenIssuer;
  }
}

export interface AuthOptions {
  config: Config;
  /** where accounts are checked on each request; null: tokens alone decide (no database) */
  database?: Database | null;
  /** access token lifetime (default 3600 s) */
  accessTtlSeconds?: number;
  /** refresh token lifetime (default 7 days) */
  refreshTtlSeconds?: number;
}

/** How long an account read is trusted when no change notification says otherwise. */
export const ACCOUNT_CACHE_MS = 5000;
const ACCOUNT_CACHE_ENTRIES = 10_000;

interface Account {
  role: Role;
  disabled: boolean;
}

export interface TokenIssuer {
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  access(user: { id: string; username: string; role: Role }): string;
  refresh(userId: string, familyId: string): { token: string; jti: string; expiresAt: Date };
  /** Verifies a refresh token's signature, algorithm, expiry and `typ`; UnauthorizedError otherwise. */
  verifyRefresh(token: string): RefreshClaims;
}

const ALGORITHM = 'HS256';

/** The signing secret: JWT_SECRET, or (outside production) a random one announced with a warning. */
export function jwtSecret(config: Config, warn: (msg: string) => void): string {
  if (config.jwtSecret !== null) return config.jwtSecret;
  if (config.nodeEnv === 'production')
    throw new ValidationError('JWT_SECRET is required in production', { field: 'JWT_SECRET' });
  if (config.nodeEnv === 'development') {
    warn('JWT_SECRET is not set: using a random secret; tokens will not survive a restart');
  }
  return randomBytes(48).toString('base64url');
}

function countAuthFailure(reason: 'disabled' | 'invalid_token'): void {
  engineMetrics().authFailures.inc({ reason });
}

function jwtFailure(err: unknown, what: string): UnauthorizedError {
  const code = (err as { code?: string }).code ?? '';
  if (code.includes('EXPIRED')) return new UnauthorizedError(`${what} has expired`, { reason: 'expired' });
  if (code.includes('NO_AUTHORIZATION')) return new UnauthorizedError('missing Authorization: Bearer token');
  return new UnauthorizedError(`${what} is invalid`, { reason: 'invalid' });
}

export const authPlugin = globalPlugin<AuthOptions & Record<string, unknown>>(
  async (app: FastifyInstance, opts) => {
    const accessTtl = opts.accessTtlSeconds ?? 3600;
    const refreshTtl = opts.refreshTtlSeconds ?? 7 * 24 * 3600;
    const database = opts.database ?? null;
    const accounts = new RecentReads<Account>(ACCOUNT_CACHE_MS, ACCOUNT_CACHE_ENTRIES);
    const accountOf =
      database === null
        ? null
        : (id: string) =>
            accounts.get(id, async () => {
              const user = await getUserById(database.db, id);
              return user === null ? null : { role: user.role as Role, disabled: user.disabled };
            });
    if (database !== null) {
      try {
        const unlisten = await database.listen(
          USER_CHANNEL,
          (id) => accounts.forget(id),
          // Notifications may have been missed: nothing cached is trusted any more.
          (listening) => {
            if (!listening) accounts.clear();
          },
        );
        app.addHook('onClose', async () => unlisten());
      } catch (err) {
        // Without notifications an account change takes effect within ACCOUNT_CACHE_MS.
        app.log.warn(
          { err },
          `cannot LISTEN for account changes; they take effect within ${ACCOUNT_CACHE_MS} ms`,
        );
      }
    }
    await app.register(fastifyJwt, {
      secret: jwtSecret(opts.config, (m) => app.log.warn(m)),
      sign: { algorithm: ALGORITHM },
      // Verified tokens are cached (fast-jwt's LRU, 1000 entries, keyed by a SHA-256 of the
      // token) until the earlier of their `exp` and 10 minutes, so a client's repeated requests
      // skip signature checking and claim parsing; failures are not cached.
      verify: { algorithms: [ALGORITHM], cache: true },
    });

    const tokens: TokenIssuer = {
      accessTtlSeconds: accessTtl,
      refreshTtlSeconds: refreshTtl,
      access: (user) =>
        app.jwt.sign(
          { sub: user.id, username: user.username, role: user.role, typ: 'access' },
          { expiresIn: accessTtl },
        ),
      refresh: (userId, familyId) => {
        const jti = randomUUID();
        const token = app.jwt.sign(
          { sub: userId, fam: familyId, jti, typ: 'refresh' },
          { expiresIn: refreshTtl },
        );
        return { token, jti, expiresAt: new Date(Date.now() + refreshTtl * 1000) };
      },
      verifyRefresh: (token) => {
        let claims: AccessClaims | RefreshClaims;
        try {
          claims = app.jwt.verify<AccessClaims | RefreshClaims>(token);
        } catch (err) {
          throw jwtFailure(err, 'refresh token');
        }
        if (claims.typ !== 'refresh')
          throw new UnauthorizedError('not a refresh token', { reason: 'wrong_type' });
        return claims;
      },
    };
    app.decorate('tokens', tokens);

    const authenticate = async (request: FastifyRequest): Promise<AccessClaims> => {
      const header = request.headers.authorization;
      if (header === undefined || !/^Bearer \S+$/i.test(header)) {
        throw new UnauthorizedError('missing Authorization: Bearer token');
      }
      let claims: AccessClaims | RefreshClaims;
      try {
        // The instance verifier (the pre-built one of the options above) rather than
        // `request.jwtVerify()`, which re-merges options and decodes the token once more on
        // every request before verifying it.
        claims = app.jwt.verify<AccessClaims | RefreshClaims>(header.slice('Bearer '.length));
      } catch (err) {
        throw jwtFailure(err, 'access token');
      }
      if (claims.typ !== 'access')
        throw new UnauthorizedError('not an access token', { reason: 'wrong_type' });
      if (!(claims.role in ROLE_ORDER))
        throw new UnauthorizedError('access token is invalid', { reason: 'invalid' });
      if (accountOf !== null) {
        const account = await accountOf(claims.sub);
        if (account === null) {
          countAuthFailure('invalid_token');
          throw new UnauthorizedError('the account of this token no longer exists', { reason: 'invalid' });
        }
        if (account.disabled) {
          countAuthFailure('disabled');
          throw new UnauthorizedError('this account is disabled', { reason: 'disabled' });
        }
        // The account's current role counts, not the one the token was issued with.
        if (account.role !== claims.role) claims = { ...claims, role: account.role };
      }
      request.user = claims;
      return claims;
    };

    app.decorate('requireRole', (role: Role): onRequestAsyncHookHandler => {
      return async (request) => {
        const claims = await authenticate(request);
        if (ROLE_ORDER[claims.role] < ROLE_ORDER[role]) {
          throw new ForbiddenError(`this needs the ${role} role; you have ${claims.role}`, {
            required: role,
            role: claims.role,
          });
        }
      };
    });
  },
);

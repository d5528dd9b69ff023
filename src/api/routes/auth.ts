/**
 * POST /auth/login and POST /auth/refresh: token pairs, refresh rotation, reuse detection.
 * Every refused login or refresh counts in `tars_eval_auth_failures_total{reason}`:
 * bad_credentials (unknown user or wrong password), disabled (right password, or a valid
 * refresh, of a disabled account), invalid_token (bad signature, wrong type, unknown or
 * revoked refresh token), token_reuse (a rotated refresh token presented again) and expired.
 * The answer to the client stays the same whatever the reason.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { TarsError, UnauthorizedError } from '../../errors.js';
import { engineMetrics } from '../../observability/metrics.js';
import type { Role } from '../../store/index.js';
import {
  checkCredentials,
  getUserById,
  revokeFamily,
  rotateRefreshToken,
  storeRefreshToken,
} from '../../store/index.js';
import { type ApiContext, requireDatabase } from '../context.js';
import { rateLimitClasses } from '../plugins/rate-limit.js';
import { ErrorEnvelope, LoginRequest, RefreshRequest, TokenPair } from '../schemas.js';

const errors = { 400: ErrorEnvelope, 401: ErrorEnvelope, 429: ErrorEnvelope };

export const AUTH_FAILURE_REASONS = [
  'bad_credentials',
  'disabled',
  'invalid_token',
  'token_reuse',
  'expired',
] as const;
type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

function authFailure(reason: AuthFailureReason): void {
  engineMetrics().authFailures.inc({ reason });
}

/** The reason of a refused refresh token, from the `reason` detail its error carries. */
function refreshFailureReason(err: unknown): AuthFailureReason {
  const reason = err instanceof TarsError ? err.details?.reason : undefined;
  if (reason === 'expired') return 'expired';
  if (reason === 'reused') return 'token_reuse';
  if (reason === 'disabled') return 'disabled';
  return 'invalid_token';
}

export async function authRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const m = engineMetrics();
  for (const reason of AUTH_FAILURE_REASONS) m.authFailures.inc({ reason }, 0);
  const limit = rateLimitClasses(ctx.config).auth;
  const pair = (user: { id: string; username: string; role: Role }, refresh: string): TokenPair => ({
    access_token: app.tokens.access(user),
    refresh_token: refresh,
    token_type: 'Bearer',
    expires_in: app.tokens.accessTtlSeconds,
    refresh_expires_in: app.tokens.refreshTtlSeconds,
    role: user.role,
  });

  app.post<{ Body: LoginRequest }>(
    '/auth/login',
    {
      config: { rateLimit: limit },
      schema: {
        tags: ['auth'],
        summary: 'Exchange a username and password for an access and a refresh token',
        body: LoginRequest,
        response: { 200: TokenPair, ...errors },
      },
    },
    async (request) => {
      const db = requireDatabase(ctx).db;
      const checked = await checkCredentials(db, request.body.username, request.body.password);
      if (checked.user === null) {
        authFailure(checked.reason);
        throw new UnauthorizedError('wrong username or password, or the account is disabled');
      }
      const user = checked.user;
      const familyId = randomUUID();
      const refresh = app.tokens.refresh(user.id, familyId);
      await storeRefreshToken(db, {
        id: refresh.jti,
        user_id: user.id,
        family_id: familyId,
        token: refresh.token,
        expires_at: refresh.expiresAt,
      });
      return pair(user, refresh.token);
    },
  );

  app.post<{ Body: RefreshRequest }>(
    '/auth/refresh',
    {
      config: { rateLimit: limit },
      schema: {
        tags: ['auth'],
        summary: 'Rotate a refresh token into a new token pair',
        description:
          'Each refresh token is single use. Presenting one that was already rotated revokes every token ' +
          'of its login (family) and answers 401.',
        body: RefreshRequest,
        response: { 200: TokenPair, ...errors },
      },
    },
    async (request) => {
      try {
        return await refresh(request.body.refresh_token, request.log);
      } catch (err) {
        if (err instanceof UnauthorizedError) authFailure(refreshFailureReason(err));
        throw err;
      }
    },
  );

  async function refresh(
    token: string,
    log: { warn: (obj: object, msg: string) => void },
  ): Promise<TokenPair> {
    const db = requireDatabase(ctx).db;
    const claims = app.tokens.verifyRefresh(token);
    const next = app.tokens.refresh(claims.sub, claims.fam);
    const outcome = await rotateRefreshToken(db, token, {
      id: next.jti,
      token: next.token,
      expires_at: next.expiresAt,
    });
    switch (outcome.status) {
      case 'rotated': {
        const user = await getUserById(db, outcome.current.user_id);
        if (user === null || user.disabled) {
          await revokeFamily(db, outcome.current.family_id);
          throw new UnauthorizedError('the account is disabled', { reason: 'disabled' });
        }
        return pair(user, next.token);
      }
      case 'reused':
        log.warn({ family_id: outcome.family_id }, 'refresh token reuse: family revoked');
        throw new UnauthorizedError('refresh token was already used; every token of this login is revoked', {
          reason: 'reused',
        });
      case 'revoked':
        throw new UnauthorizedError('refresh token has been revoked', { reason: 'revoked' });
      case 'expired':
        throw new UnauthorizedError('refresh token has expired', { reason: 'expired' });
      default:
        throw new UnauthorizedError('refresh token is unknown', { reason: 'unknown' });
    }
  }
}

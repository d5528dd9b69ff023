/**
 * Per-client rate limits (DESIGN 6): public routes 30/min, /auth 10/min, /v1/evaluate 5/min
 * by default (RATE_LIMIT_PUBLIC, RATE_LIMIT_AUTH, RATE_LIMIT_EVALUATE). A route picks its
 * class with `config: { rateLimit: limits.auth }`. With Redis the counters live there, so
 * every instance behind a load balancer enforces the same budget. Over the limit: 429 in the
 * error envelope with Retry-After (seconds until the window resets).
 *
 * Clients are keyed by address (`request.ip`; `trustProxy` behind a proxy): the limit runs
 * before authentication, so that a flood of bad tokens is limited too.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import { RateLimitedError } from '../../errors.js';
import { globalPlugin } from './global.js';

export interface RateLimitOptions {
  config: Config;
  redis?: Redis | null;
  /** Redis key prefix (default `tars-eval:rate-limit:`) */
  namespace?: string;
}

/** Route-level settings of the three classes. */
export function rateLimitClasses(config: Config) {
  return {
    public: { max: config.rateLimits.public, timeWindow: 60_000 },
    auth: { max: config.rateLimits.auth, timeWindow: 60_000 },
    evaluate: { max: config.rateLimits.evaluate, timeWindow: 60_000 },
  };
}

export const rateLimitPlugin = globalPlugin<RateLimitOptions & Record<string, unknown>>(
  async (app: FastifyInstance, opts) => {
    await app.register(rateLimit, {
      // Only routes that name a class are limited; each names one.
      global: false,
      ...(opts.redis ? { redis: opts.redis, nameSpace: opts.namespace ?? 'tars-eval:rate-limit:' } : {}),
      // When Redis is unreachable, let requests through rather than fail them all (the health
      // endpoint reports Redis down).
      skipOnError: true,
      errorResponseBuilder: (_request, context) =>
        new RateLimitedError(
          `rate limit of ${context.max} requests per ${context.after} exceeded; retry in ${Math.max(1, Math.ceil(context.ttl / 1000))} s`,
          Math.max(1, Math.ceil(context.ttl / 1000)),
          { limit: context.max },
        ),
    });
  },
);

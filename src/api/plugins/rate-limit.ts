/**
 * Per-client rate limits (DESIGN 6): public routes 30/min, /auth 10/min, /v1/evaluate 5/min
 * by default (RATE_LIMIT_PUBLIC, RATE_LIMIT_AUTH, RATE_LIMIT_EVALUATE). A route picks its
 * class with `config: { rateLimit: limits.auth }`. With Redis the counters live there, so
 * every instance behind a load balancer enforces the same budget. Over the limit: 429 in the
 * error envelope with Retry-After (seconds until the window resets).
 *
 * Clients are keyed by address (`request.ip`; `trustProxy` behind a proxy): the limit runs
 * before authentication, so that a flood of bad tokens is limited too.
 *
 * Metrics: every 429 counts in `tars_eval_rate_limit_rejections_total{class}`, and a Redis
 * command of the limiter that fails (the request is then let through) in
 * `tars_eval_redis_errors_total{client="ratelimit"}`.
 */
import { createRequire } from 'node:module';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import { RateLimitedError } from '../../errors.js';
import { engineMetrics } from '../../observability/metrics.js';
import { countRedisError } from '../../observability/scrape.js';
import { globalPlugin } from './global.js';

export interface RateLimitOptions {
  config: Config;
  redis?: Redis | null;
  /** Redis key prefix (default `tars-eval:rate-limit:`) */
  namespace?: string;
}

export const RATE_LIMIT_CLASSES = ['public', 'auth', 'evaluate'] as const;
export type RateLimitClass = (typeof RATE_LIMIT_CLASSES)[number];

function limitOf(max: number, cls: RateLimitClass) {
  return {
    max,
    timeWindow: 60_000,
    onExceeded: () => engineMetrics().rateLimitRejections.inc({ class: cls }),
  };
}

/** Route-level settings of the three classes. */
export function rateLimitClasses(config: Config) {
  return {
    public: limitOf(config.rateLimits.public, 'public'),
    auth: limitOf(config.rateLimits.auth, 'auth'),
    evaluate: limitOf(config.rateLimits.evaluate, 'evaluate'),
  };
}

type StoreCallback = (err: Error | null, res?: { current: number; ttl: number }) => void;

/** The part of @fastify/rate-limit's store interface the plugin calls. */
interface LimitStore {
  incr(key: string, cb: StoreCallback, timeWindow: number, max: number): void;
  read(key: string, cb: StoreCallback, timeWindow: number, max: number): void;
  child(routeOptions: object): LimitStore;
}

type RedisStoreClass = new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: Redis,
  key?: string,
) => LimitStore;

// The plugin's own Redis store (a CommonJS module the package does not re-export).
const RedisStore = createRequire(import.meta.url)(
  '@fastify/rate-limit/store/RedisStore.js',
) as RedisStoreClass;

/** A store that counts the failed Redis commands of the store it wraps. */
class CountingStore implements LimitStore {
  constructor(private readonly inner: LimitStore) {}

  #counted(cb: StoreCallback): StoreCallback {
    return (err, res) => {
      if (err) countRedisError('ratelimit');
      cb(err, res);
    };
  }

  incr(key: string, cb: StoreCallback, timeWindow: number, max: number): void {
    this.inner.incr(key, this.#counted(cb), timeWindow, max);
  }

  read(key: string, cb: StoreCallback, timeWindow: number, max: number): void {
    this.inner.read(key, this.#counted(cb), timeWindow, max);
  }

  child(routeOptions: object): LimitStore {
    return new CountingStore(this.inner.child(routeOptions));
  }
}

/** The store class the plugin instantiates (with its global parameters) for a Redis client. */
function countingRedisStore(redis: Redis, namespace: string) {
  return class extends CountingStore {
    constructor(params: { continueExceeding?: boolean; exponentialBackoff?: boolean }) {
      super(new RedisStore(!!params.continueExceeding, !!params.exponentialBackoff, redis, namespace));
    }
  };
}

export const rateLimitPlugin = globalPlugin<RateLimitOptions & Record<string, unknown>>(
  async (app: FastifyInstance, opts) => {
    const m = engineMetrics();
    for (const cls of RATE_LIMIT_CLASSES) m.rateLimitRejections.inc({ class: cls }, 0);
    await app.register(rateLimit, {
      // Only routes that name a class are limited; each names one.
      global: false,
      ...(opts.redis
        ? { store: countingRedisStore(opts.redis, opts.namespace ?? 'tars-eval:rate-limit:') }
        : {}),
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

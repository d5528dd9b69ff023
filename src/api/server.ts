/**
 * `createServer(config, deps)`: the HTTP service as a Fastify instance, ready to `listen` or
 * to `inject` in tests. Each concern is a plugin — errors, auth, rate limits, OpenAPI — and
 * each group of routes a thin layer over the store and the queue.
 */
import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { createLogger, maskUrl } from '../observability/logger.js';
import { countRedisError, initProcessMetrics } from '../observability/scrape.js';
import type { Database } from '../store/index.js';
import { packageVersion } from '../version.js';
import type { ApiContext, JobQueue } from './context.js';
import { authPlugin } from './plugins/auth.js';
import { errorsPlugin } from './plugins/errors.js';
import { openapiPlugin } from './plugins/openapi.js';
import { rateLimitPlugin } from './plugins/rate-limit.js';
import { registerTracing } from './plugins/tracing.js';
import { authRoutes } from './routes/auth.js';
import { baselineRoutes } from './routes/baselines.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { metricsRoutes } from './routes/metrics.js';
import { BODY_LIMIT_BYTES } from './validate-request.js';

export interface ServerDeps {
  /** the opened, migrated database; omitted only to generate the OpenAPI document */
  database?: Database | null;
  /** where new job ids go; omitted: jobs wait in the table for a worker to claim */
  queue?: JobQueue | null;
  /** Redis for shared rate limits and the health check; default: a client on config.redisUrl */
  redis?: Redis | null;
  /**
   * The logger (default: src/observability/logger.ts at config.logLevel, on stdout); the CLI
   * passes its process logger so the service and the command write one stream.
   */
  loggerInstance?: FastifyBaseLogger;
  /** Fastify's logger option instead of a logger instance (`false`: no logging, for tests). */
  logger?: FastifyServerOptions['logger'];
  /** token lifetimes (defaults 3600 s and 7 days) */
  accessTtlSeconds?: number;
  refreshTtlSeconds?: number;
  /** poll interval of `POST /v1/evaluate?wait=true` (default 200 ms) */
  waitPollMs?: number;
  /** Redis key prefix of the rate-limit counters (instances that share limits share it) */
  rateLimitNamespace?: string;
  /** trust X-Forwarded-For (behind a load balancer) */
  trustProxy?: boolean;
}

/** A deep copy of a JSON schema with every `$id` removed. */
export function withoutIds<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map((s) => withoutIds(s)) as T;
  if (schema === null || typeof schema !== 'object') return schema;
  // TypeBox keeps its own markers (optional, kind) as non-enumerable keys: copy every own key.
  const out: Record<PropertyKey, unknown> = {};
  for (const k of Reflect.ownKeys(schema)) {
    if (k === '$id') continue;
    const d = Object.getOwnPropertyDescriptor(schema, k) as PropertyDescriptor;
    Object.defineProperty(out, k, 'value' in d ? { ...d, value: withoutIds(d.value) } : d);
  }
  return out as T;
}

export async function createServer(config: Config, deps: ServerDeps = {}): Promise<FastifyInstance> {
  const logging: Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> =
    deps.loggerInstance !== undefined
      ? { loggerInstance: deps.loggerInstance }
      : deps.logger !== undefined
        ? { logger: deps.logger }
        : { loggerInstance: createLogger({ level: config.logLevel }) };
  const app = Fastify({
    ...logging,
    bodyLimit: BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    trustProxy: deps.trustProxy ?? false,
    // Fastify's own per-request lines ("incoming request", "request completed") are written at
    // info for every request, which costs a large share of a read's CPU time under load; one
    // line per request is logged at debug instead (below), and errors still log at their level.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
  });
  await registerTracing(app);
  initProcessMetrics('api', packageVersion());
  let redis = deps.redis ?? null;
  if (deps.redis === undefined && config.redisUrl !== null) {
    // Fail fast rather than queue commands while Redis is away: the rate limiter then lets
    // requests through and /health reports it down.
    const own = new Redis(config.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    // The client serves the rate limiter first (and the health ping): its connection errors
    // count as the limiter's.
    own.on('error', (err) => {
      countRedisError('ratelimit');
      app.log.debug({ err }, 'redis');
    });
    app.addHook('onClose', async () => {
      own.disconnect();
    });
    // Connect before serving, so the first requests find it ready; when Redis is down, start
    // anyway (degraded) — ioredis keeps reconnecting in the background.
    await own
      .connect()
      .catch((err: unknown) => app.log.warn({ err }, 'Redis is unreachable; starting degraded'));
    redis = own;
  }
  const ctx: ApiContext = {
    config,
    database: deps.database ?? null,
    queue: deps.queue ?? null,
    redis,
    startedAt: Date.now(),
    waitPollMs: deps.waitPollMs ?? 200,
  };
  // The evaluation records nest schemas that carry an `$id` (ConfidenceInterval twice inside
  // MetricsResult, …); Fastify's serialiser and the OpenAPI generator treat a repeated `$id` as
  // a conflict, so route schemas are used inline, without ids.
  app.addHook('onRoute', (route) => {
    if (route.schema !== undefined) route.schema = withoutIds(route.schema);
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const level = request.log.level;
    if (level === 'debug' || level === 'trace') {
      request.log.debug(
        {
          method: request.method,
          url: maskUrl(request.url),
          statusCode: reply.statusCode,
          responseTime: reply.elapsedTime,
        },
        'request completed',
      );
    }
    done();
  });
  await app.register(errorsPlugin);
  await app.register(openapiPlugin);
  await app.register(authPlugin, {
    config,
    database: deps.database ?? null,
    accessTtlSeconds: deps.accessTtlSeconds,
    refreshTtlSeconds: deps.refreshTtlSeconds,
  });
  await app.register(rateLimitPlugin, { config, redis, namespace: deps.rateLimitNamespace });
  await authRoutes(app, ctx);
  await jobRoutes(app, ctx);
  await baselineRoutes(app, ctx);
  await healthRoutes(app, ctx);
  await metricsRoutes(app, ctx);
  return app;
}

/**
 * GET /health: PostgreSQL and Redis round trips with their latencies.
 * The dependency checks are cached for CHECK_CACHE_MS (1 s): under load balancers and
 * monitors polling many times a second, each call would otherwise cost a database and a Redis
 * round trip (and with PGlite, a turn of its single connection ahead of the real queries). At
 * most one check of each runs at a time; callers within the second share its outcome, so a
 * dependency going down shows within about a second. `uptime_seconds` is always current.
 * healthy — everything configured answers; degraded — Redis is configured but down while the
 * embedded queue still serves (rate limits fall back to letting requests through);
 * unhealthy (503) — the database is down, or Redis is down while jobs travel through it.
 *
 * Every check sets `tars_eval_dependency_up` and `tars_eval_dependency_latency_seconds` of its
 * dependency (a dependency that is not configured has no series); a failed Redis ping counts
 * in `tars_eval_redis_errors_total{client="health"}`. GET /metrics runs the same cached round,
 * so the gauges are current at every scrape even when nobody polls /health.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { engineMetrics } from '../../observability/metrics.js';
import { countRedisError } from '../../observability/scrape.js';
import { packageVersion } from '../../version.js';
import type { ApiContext } from '../context.js';
import { rateLimitClasses } from '../plugins/rate-limit.js';
import { ErrorEnvelope, Health, Liveness } from '../schemas.js';

type Check = Health['checks']['postgres'];

const REDIS_TIMEOUT_MS = 1000;

async function redisCheck(ctx: ApiContext): Promise<Check> {
  if (ctx.config.redisUrl === null || ctx.redis === null)
    return { status: 'not_configured', latency_ms: null };
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ctx.redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${REDIS_TIMEOUT_MS} ms`)),
          REDIS_TIMEOUT_MS,
        );
      }),
    ]);
    return { status: 'up', latency_ms: performance.now() - start };
  } catch (err) {
    countRedisError('health');
    return { status: 'down', latency_ms: performance.now() - start, error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

async function postgresCheck(ctx: ApiContext): Promise<Check> {
  if (ctx.database === null) return { status: 'not_configured', latency_ms: null };
  const ping = await ctx.database.ping();
  return ping.ok
    ? { status: 'up', latency_ms: ping.latency_ms }
    : { status: 'down', latency_ms: ping.latency_ms, error: ping.error };
}

/** How long one round of dependency checks answers /health. */
export const CHECK_CACHE_MS = 1000;

interface Checks {
  postgres: Check;
  redis: Check;
}

/** Sets the dependency gauges from a check (none for a dependency that is not configured). */
function recordCheck(dependency: keyof Checks, check: Check): void {
  if (check.status === 'not_configured' || check.latency_ms === null) return;
  const m = engineMetrics();
  m.dependencyUp.set({ dependency }, check.status === 'up' ? 1 : 0);
  m.dependencyLatency.set({ dependency }, check.latency_ms / 1000);
}

const rounds = new WeakMap<ApiContext, () => Promise<Checks>>();

/**
 * The checks of `ctx`, run at most once per CHECK_CACHE_MS; concurrent callers (/health and
 * /metrics) share the round in flight.
 */
export function dependencyChecks(ctx: ApiContext): () => Promise<Checks> {
  let checks = rounds.get(ctx);
  if (checks !== undefined) return checks;
  let round: Promise<Checks> | null = null;
  let at = 0;
  checks = () => {
    const now = performance.now();
    if (round === null || now - at >= CHECK_CACHE_MS) {
      at = now;
      round = Promise.all([postgresCheck(ctx), redisCheck(ctx)]).then(([postgres, redis]) => {
        recordCheck('postgres', postgres);
        recordCheck('redis', redis);
        return { postgres, redis };
      });
    }
    return round;
  };
  rounds.set(ctx, checks);
  return checks;
}

export async function healthRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const version = packageVersion();
  const checks = dependencyChecks(ctx);
  app.get(
    '/health',
    {
      config: { rateLimit: rateLimitClasses(ctx.config).public },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: dependency checks (PostgreSQL, Redis)',
        description:
          'healthy, degraded (Redis down while the queue does not need it) or unhealthy (503: the ' +
          'database is down, or Redis is down while jobs travel through it). Use it for readiness; ' +
          'GET /health/live is the liveness check.',
        response: { 200: Health, 503: Health, 429: ErrorEnvelope },
      },
    },
    async (_request, reply) => {
      const { postgres, redis } = await checks();
      const queue = ctx.queue?.mode ?? 'embedded';
      let status: Health['status'] = 'healthy';
      if (postgres.status !== 'up') status = 'unhealthy';
      else if (redis.status === 'down') status = queue === 'distributed' ? 'unhealthy' : 'degraded';
      const body: Health = {
        status,
        version,
        uptime_seconds: (Date.now() - ctx.startedAt) / 1000,
        queue,
        checks: { postgres, redis },
      };
      return reply.code(status === 'unhealthy' ? 503 : 200).send(body);
    },
  );
  app.get(
    '/health/live',
    {
      config: { rateLimit: rateLimitClasses(ctx.config).public },
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process answers (no dependency checks)',
        description:
          'Always 200 while the process serves requests. A liveness probe must not check ' +
          'dependencies: a database outage would otherwise restart every API process at once.',
        response: { 200: Liveness, 429: ErrorEnvelope },
      },
    },
    async () => ({ status: 'alive' as const, version, uptime_seconds: (Date.now() - ctx.startedAt) / 1000 }),
  );
}

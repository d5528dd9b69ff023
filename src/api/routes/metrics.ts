/**
 * GET /metrics: Prometheus exposition of the process registry, and the hook that records
 * every request's count and duration by route template (the matched route's URL pattern, or
 * "unmatched" for 404s, so label cardinality stays bounded).
 *
 * Figures that must be true across processes are read from the database when the endpoint is
 * scraped: queue depth (pending, running), the age of the oldest due pending job, and the
 * mean reward, last change and version of every rank-1 baseline. Two queries, cached for
 * DB_GAUGES_CACHE_MS so a burst of scrapes (several Prometheus replicas, a dashboard
 * refresh) costs the database one round; concurrent scrapes share the round in flight. The
 * dependency gauges come from the same cached checks as /health.
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { agentLabel, environmentLabel } from '../../observability/labels.js';
import { engineMetrics } from '../../observability/metrics.js';
import { scrapeMetrics } from '../../observability/scrape.js';
import { type Database, queryRows } from '../../store/database.js';
import type { ApiContext } from '../context.js';
import { rateLimitClasses } from '../plugins/rate-limit.js';
import { ErrorEnvelope } from '../schemas.js';
import { dependencyChecks } from './health.js';

/** How long one read of the database-backed gauges answers scrapes. */
export const DB_GAUGES_CACHE_MS = 1500;

/** Statuses of `tars_eval_queue_depth`. */
export const QUEUE_DEPTH_STATUSES = ['pending', 'running'] as const;

interface QueueRow {
  pending: number | string;
  running: number | string;
  oldest_due_age: number | string | null;
}

interface BaselineRow {
  agent_type: string;
  environment: string;
  mean_reward: number;
  version: number;
  updated_seconds: number | string;
}

/** Reads the queue and baseline figures and sets their gauges. */
async function readDatabaseGauges(database: Database): Promise<void> {
  const [queue] = await queryRows<QueueRow>(
    database.db,
    sql`select count(*) filter (where status = 'pending')::int as pending,
               count(*) filter (where status = 'running')::int as running,
               extract(epoch from now() - min(created_at) filter (
                 where status = 'pending' and run_after <= now()))::double precision as oldest_due_age
        from evaluation_jobs where status in ('pending', 'running')`,
  );
  const baselines = await queryRows<BaselineRow>(
    database.db,
    sql`select agent_type, environment, mean_reward, version,
               extract(epoch from updated_at)::double precision as updated_seconds
        from baselines where rank = 1`,
  );
  const m = engineMetrics();
  m.queueDepth.set({ status: 'pending' }, Number(queue?.pending ?? 0));
  m.queueDepth.set({ status: 'running' }, Number(queue?.running ?? 0));
  m.queueOldestPendingAge.set(Math.max(0, Number(queue?.oldest_due_age ?? 0)));
  // Rebuilt from scratch: a baseline retired or rolled away leaves no stale series behind.
  m.baselineMeanReward.reset();
  m.baselineLastUpdate.reset();
  m.baselineVersion.reset();
  for (const b of baselines) {
    const labels = { agent_type: agentLabel(b.agent_type), environment: environmentLabel(b.environment) };
    m.baselineMeanReward.set(labels, b.mean_reward);
    m.baselineLastUpdate.set(labels, Number(b.updated_seconds));
    m.baselineVersion.set(labels, b.version);
  }
}

/** `readDatabaseGauges` at most once per DB_GAUGES_CACHE_MS; callers within share the round. */
function cachedDatabaseGauges(database: Database): () => Promise<void> {
  let round: Promise<void> | null = null;
  let at = 0;
  return () => {
    const now = performance.now();
    if (round === null || now - at >= DB_GAUGES_CACHE_MS) {
      at = now;
      round = readDatabaseGauges(database);
    }
    return round;
  };
}

export async function metricsRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const m = engineMetrics();
  for (const status of QUEUE_DEPTH_STATUSES) m.queueDepth.set({ status }, 0);
  m.queueOldestPendingAge.set(0);
  const databaseGauges = ctx.database === null ? null : cachedDatabaseGauges(ctx.database);
  const checks = dependencyChecks(ctx);
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, status_code: String(reply.statusCode) };
    m.httpRequests.inc(labels);
    m.httpDuration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
  app.get(
    '/metrics',
    {
      config: { rateLimit: rateLimitClasses(ctx.config).public },
      schema: {
        summary: 'Prometheus metrics',
        description: 'Prometheus text exposition (version 0.0.4) of the engine and process metrics.',
        tags: ['operations'],
        produces: ['text/plain'],
        response: {
          200: { type: 'string', description: 'Prometheus exposition format' },
          429: {
            description: 'Too many requests',
            content: { 'application/json': { schema: ErrorEnvelope } },
          },
        },
      },
    },
    async (request, reply) => {
      // A database that cannot answer leaves these gauges at their last values (and
      // tars_eval_dependency_up says why); the scrape itself still succeeds.
      await Promise.all([
        databaseGauges?.().catch((err: unknown) =>
          request.log.warn({ err }, 'metrics: reading queue and baseline gauges failed'),
        ),
        checks(),
      ]);
      const body = await scrapeMetrics((err) => request.log.warn({ err }, 'metrics: scrape hook failed'));
      reply.header('content-type', m.registry.contentType);
      return body;
    },
  );
}

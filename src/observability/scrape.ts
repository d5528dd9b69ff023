/**
 * What happens when the registry is scraped, and the series every process starts with.
 *
 * Some figures are not events but states read on demand (database pool connections, queue
 * depth, baselines): their owners register a scrape hook that sets the gauges just before
 * the exposition is written. `scrapeMetrics()` runs the hooks, then serialises the registry;
 * both the API's GET /metrics and a worker's metrics server call it.
 *
 * Labelled series whose label values are a small fixed set are created at zero up front, so
 * `rate()` and alert rules see them from the first scrape rather than from the first event.
 */
import { engineMetrics } from './metrics.js';

/** Redis clients of `tars_eval_redis_errors_total`. */
export const REDIS_CLIENTS = ['ratelimit', 'health', 'queue', 'worker'] as const;
export type RedisClientLabel = (typeof REDIS_CLIENTS)[number];
/** States of `tars_eval_db_pool_connections`. */
export const DB_POOL_STATES = ['total', 'idle', 'waiting'] as const;
/** Operations of the database query metrics. */
export const DB_OPERATIONS = ['select', 'insert', 'update', 'delete', 'other'] as const;
export type DbOperation = (typeof DB_OPERATIONS)[number];

type ScrapeHook = () => void | Promise<void>;
const hooks = new Set<ScrapeHook>();

/** Runs `hook` before every scrape of this process's registry; returns the function that removes it. */
export function addScrapeHook(hook: ScrapeHook): () => void {
  hooks.add(hook);
  return () => {
    hooks.delete(hook);
  };
}

/**
 * The Prometheus exposition of this process: the scrape hooks run first (a failing hook
 * leaves its gauges at their last values and is reported through `onHookError`), then the
 * registry is written.
 */
export async function scrapeMetrics(onHookError?: (err: unknown) => void): Promise<string> {
  const results = await Promise.allSettled([...hooks].map(async (h) => h()));
  for (const r of results) if (r.status === 'rejected') onHookError?.(r.reason);
  return engineMetrics().registry.metrics();
}

/** Counts one Redis error of `client`. */
export function countRedisError(client: RedisClientLabel): void {
  engineMetrics().redisErrors.inc({ client });
}

/**
 * The series every process has from its start: build information, Redis errors per client
 * and database operations at zero, database pool states at zero until the first scrape.
 */
export function initProcessMetrics(mode: 'api' | 'worker', version: string): void {
  const m = engineMetrics();
  m.buildInfo.reset();
  m.buildInfo.set({ version, node_version: process.version, mode }, 1);
  for (const client of REDIS_CLIENTS) m.redisErrors.inc({ client }, 0);
  for (const operation of DB_OPERATIONS) m.dbErrors.inc({ operation }, 0);
  for (const state of DB_POOL_STATES) {
    // Create the series without overwriting a value a database already reported.
    m.dbPoolConnections.inc({ state }, 0);
  }
}

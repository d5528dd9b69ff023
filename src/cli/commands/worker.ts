/**
 * `tars-eval worker`: a distributed job runner. Takes evaluation job ids from BullMQ
 * (REDIS_URL) and runs them against PostgreSQL (DATABASE_URL); start as many as needed, on
 * any machines. SIGTERM or SIGINT stops it gracefully: no new jobs, running ones finish
 * within `--grace-ms` or are handed back to the queue.
 *
 * Each worker serves its own GET /metrics (Prometheus) and GET /health on METRICS_PORT
 * (`--metrics-port`, default 9464; 0 picks a free port, logged at start) and HOST: the job,
 * evaluation, worker-slot, database and Redis metrics of this process.
 */
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { Redis } from 'ioredis';
import { loadConfig } from '../../config.js';
import { ValidationError } from '../../errors.js';
import { processLoggerFor } from '../../observability/logger.js';
import { engineMetrics } from '../../observability/metrics.js';
import { type HealthReport, startMetricsServer } from '../../observability/metrics-server.js';
import { countRedisError, initProcessMetrics } from '../../observability/scrape.js';
import { initTracing, shutdownTracing, tracingSettingsFrom } from '../../observability/tracing.js';
import { createWorker, DEFAULT_LEASE_MS, DEFAULT_QUEUE_NAME } from '../../queue/index.js';
import { type Database, openDatabase } from '../../store/database.js';
import { migrateUp } from '../../store/migrate.js';
import { packageVersion } from '../../version.js';
import { nonNegativeInt } from './train.js';

interface WorkerCliOptions {
  concurrency?: number;
  queue: string;
  leaseMs: number;
  graceMs: number;
  metricsPort?: number;
}

type Check = HealthReport['checks'][string];

/**
 * GET /health of a worker: a PostgreSQL round trip and a Redis PING (on a client of its own,
 * so a saturated BullMQ connection does not hide an answer); each sets the dependency gauges.
 */
function workerHealth(database: Database, redis: Redis): () => Promise<HealthReport> {
  const m = engineMetrics();
  const record = (dependency: string, check: Check): Check => {
    m.dependencyUp.set({ dependency }, check.status === 'up' ? 1 : 0);
    m.dependencyLatency.set({ dependency }, check.latency_ms / 1000);
    return check;
  };
  const redisCheck = async (): Promise<Check> => {
    const start = performance.now();
    try {
      await redis.ping();
      return { status: 'up', latency_ms: performance.now() - start };
    } catch (err) {
      countRedisError('health');
      return { status: 'down', latency_ms: performance.now() - start, error: (err as Error).message };
    }
  };
  return async () => {
    const [ping, redisResult] = await Promise.all([database.ping(), redisCheck()]);
    const postgres = record('postgres', {
      status: ping.ok ? 'up' : 'down',
      latency_ms: ping.latency_ms,
      ...(ping.error ? { error: ping.error } : {}),
    });
    const checks = { postgres, redis: record('redis', redisResult) };
    const healthy = postgres.status === 'up' && checks.redis.status === 'up';
    return { status: healthy ? 'healthy' : 'unhealthy', checks };
  };
}

function positive(name: string) {
  const parse = nonNegativeInt(name);
  return (value: string): number => {
    const n = parse(value);
    if (n < 1) throw new ValidationError(`${name} must be at least 1, got ${value}`, { field: name });
    return n;
  };
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run evaluation jobs from the Redis queue (needs REDIS_URL and DATABASE_URL)')
    .option('--concurrency <n>', 'jobs at once (default EVAL_MAX_CONCURRENT)', positive('--concurrency'))
    .option('--queue <name>', 'BullMQ queue name', DEFAULT_QUEUE_NAME)
    .option(
      '--lease-ms <ms>',
      'job lease; a worker silent this long loses its job',
      positive('--lease-ms'),
      DEFAULT_LEASE_MS,
    )
    .option(
      '--grace-ms <ms>',
      'on SIGTERM, how long running jobs may finish before they are handed back',
      nonNegativeInt('--grace-ms'),
      25_000,
    )
    .option(
      '--metrics-port <n>',
      "port of this worker's GET /metrics and GET /health (default METRICS_PORT, 9464; 0: any free port)",
      nonNegativeInt('--metrics-port'),
    )
    .addHelpText(
      'after',
      '\nEach worker serves Prometheus metrics at http://HOST:METRICS_PORT/metrics and a health check at\n' +
        '/health (PostgreSQL and Redis; 503 when one is down). Scrape every worker: the job, evaluation and\n' +
        'worker-slot metrics are recorded by the process that runs the job.',
    )
    .action(async (opts: WorkerCliOptions) => {
      const config = loadConfig();
      if (config.redisUrl === null) {
        throw new ValidationError('REDIS_URL must be set: the worker takes its jobs from Redis', {
          field: 'REDIS_URL',
        });
      }
      if (config.databaseUrl === null) {
        throw new ValidationError(
          'DATABASE_URL must be set: workers share PostgreSQL (the embedded database serves one process)',
          { field: 'DATABASE_URL' },
        );
      }
      await initTracing(tracingSettingsFrom(config));
      // Worker logs go to stderr, as they always have; the JSON lines are the same as the API's.
      const logger = processLoggerFor(config.logLevel, { fd: 2 });
      const log = (event: string, fields: Record<string, unknown> = {}) => logger.info(fields, event);
      const metricsPort = opts.metricsPort ?? config.metricsPort;
      if (metricsPort > 65535) {
        throw new ValidationError(`--metrics-port must be in [0, 65535], got ${metricsPort}`, {
          field: '--metrics-port',
        });
      }
      initProcessMetrics('worker', packageVersion());
      const database = await openDatabase({ databaseUrl: config.databaseUrl });
      await migrateUp(database.db);
      const healthRedis = new Redis(config.redisUrl, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        lazyConnect: true,
      });
      healthRedis.on('error', () => countRedisError('health'));
      await healthRedis.connect().catch(() => {});
      const metrics = await startMetricsServer({
        port: metricsPort,
        host: config.host,
        health: workerHealth(database, healthRedis),
        onError: (err) => log('error', { context: 'metrics', message: (err as Error).message }),
      });
      const worker = createWorker(config, database.db, {
        concurrency: opts.concurrency,
        queueName: opts.queue,
        leaseMs: opts.leaseMs,
        shutdownGraceMs: opts.graceMs,
        onResult: (job_id, r) => log('job', { job_id, outcome: r.outcome }),
        onError: (err, context) => logger.error({ err, context }, 'error'),
      });
      const stopped = new Promise<string>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      await worker.start();
      log('worker_started', {
        owner: worker.owner,
        queue: opts.queue,
        concurrency: opts.concurrency ?? config.evaluation.maxConcurrent,
        metrics_url: `${metrics.url}/metrics`,
      });
      const signal = await stopped;
      log('worker_stopping', { signal });
      await worker.close();
      await metrics.close();
      healthRedis.disconnect();
      await database.close();
      log('worker_stopped');
      await shutdownTracing().catch((err: unknown) =>
        logger.warn({ err }, 'trace export at shutdown failed'),
      );
    });
}

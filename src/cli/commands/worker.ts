/**
 * `tars-eval worker`: a distributed job runner. Takes evaluation job ids from BullMQ
 * (REDIS_URL) and runs them against PostgreSQL (DATABASE_URL); start as many as needed, on
 * any machines. SIGTERM or SIGINT stops it gracefully: no new jobs, running ones finish
 * within `--grace-ms` or are handed back to the queue.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { ValidationError } from '../../errors.js';
import { processLoggerFor } from '../../observability/logger.js';
import { initTracing, shutdownTracing, tracingSettingsFrom } from '../../observability/tracing.js';
import { createWorker, DEFAULT_LEASE_MS, DEFAULT_QUEUE_NAME } from '../../queue/index.js';
import { openDatabase } from '../../store/database.js';
import { migrateUp } from '../../store/migrate.js';
import { nonNegativeInt } from './train.js';

interface WorkerCliOptions {
  concurrency?: number;
  queue: string;
  leaseMs: number;
  graceMs: number;
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
      const database = await openDatabase({ databaseUrl: config.databaseUrl });
      await migrateUp(database.db);
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
      });
      const signal = await stopped;
      log('worker_stopping', { signal });
      await worker.close();
      await database.close();
      log('worker_stopped');
      await shutdownTracing().catch((err: unknown) =>
        logger.warn({ err }, 'trace export at shutdown failed'),
      );
    });
}

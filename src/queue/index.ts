/**
 * Job execution: durable in-process (embedded, the default) or BullMQ on Redis (distributed,
 * when REDIS_URL is set). Both run jobs through the same processor; PostgreSQL (or PGlite) is
 * the source of truth for job state and results. The API creates the row with `createJob`
 * and calls `queue.enqueue(job.id)`.
 */
import type { Config } from '../config.js';
import { regressionThresholds } from '../config.js';
import { ValidationError } from '../errors.js';
import { integrationsFromConfig } from '../integrations/index.js';
import type { Db } from '../store/database.js';
import {
  DistributedQueue,
  type DistributedQueueOptions,
  DistributedWorker,
  type DistributedWorkerOptions,
} from './distributed.js';
import { EmbeddedQueue, type EmbeddedQueueOptions } from './embedded.js';
import { EvaluationPool } from './evaluation-pool.js';
import type { JobQueue } from './types.js';

export type { DistributedQueueOptions, DistributedWorkerOptions } from './distributed.js';
export {
  DEFAULT_QUEUE_NAME,
  DistributedQueue,
  DistributedWorker,
  type JobPayload,
  redisConnection,
} from './distributed.js';
export { EmbeddedQueue, type EmbeddedQueueOptions } from './embedded.js';
export { EvaluationPool, type EvaluationPoolOptions } from './evaluation-pool.js';
export {
  DEFAULT_LEASE_MS,
  exponentialBackoff,
  type ProcessorDeps,
  type ProcessResult,
  processJob,
  releaseJob,
  runClaimedJob,
} from './processor.js';
export type { JobQueue, QueueStats } from './types.js';

/** The evaluation worker threads a configuration asks for: EVAL_MAX_CONCURRENT of them. */
export function evaluationPoolFor(config: Config, threads = config.evaluation.maxConcurrent): EvaluationPool {
  return new EvaluationPool({
    threads,
    episodeThreads: config.evaluation.threads,
    envCacheSize: config.evaluation.envCacheSize,
    thresholds: regressionThresholds(config),
    defaultEpisodes: config.evaluation.defaultEpisodes,
    quickModeEpisodes: config.evaluation.quickModeEpisodes,
    lossTrendWindow: config.evaluation.lossTrendWindow,
  });
}

export interface CreateQueueOverrides {
  embedded?: Partial<EmbeddedQueueOptions>;
  distributed?: Partial<DistributedQueueOptions>;
}

/**
 * The queue the configuration selects: distributed (a BullMQ producer plus a lease sweeper;
 * `tars-eval worker` processes run the jobs) when REDIS_URL is set, else embedded (jobs run
 * in this process on EVAL_MAX_CONCURRENT worker threads). Call `start()` before use.
 */
export function createQueue(config: Config, db: Db, overrides: CreateQueueOverrides = {}): JobQueue {
  if (config.redisUrl !== null) {
    return new DistributedQueue(db, { redisUrl: config.redisUrl, ...overrides.distributed });
  }
  return new EmbeddedQueue(db, {
    maxConcurrent: config.evaluation.maxConcurrent,
    pool: evaluationPoolFor(config),
    integrations: integrationsFromConfig(config),
    ...overrides.embedded,
  });
}

/** A `tars-eval worker` process's job runner, from the configuration (REDIS_URL required). */
export function createWorker(
  config: Config,
  db: Db,
  overrides: Partial<DistributedWorkerOptions> & { concurrency?: number } = {},
): DistributedWorker {
  if (config.redisUrl === null) {
    throw new ValidationError('REDIS_URL must be set to run a queue worker', { field: 'REDIS_URL' });
  }
  const concurrency = overrides.concurrency ?? config.evaluation.maxConcurrent;
  return new DistributedWorker(db, {
    ...overrides,
    redisUrl: config.redisUrl,
    concurrency,
    pool: overrides.pool ?? evaluationPoolFor(config, concurrency),
    integrations: overrides.integrations ?? integrationsFromConfig(config),
  });
}

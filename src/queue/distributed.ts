/**
 * The distributed queue (REDIS_URL set): BullMQ carries job ids from the API to
 * `tars-eval worker` processes on any number of machines. PostgreSQL stays the source of
 * truth; BullMQ is only the doorbell.
 *
 * - Producer (`DistributedQueue`): `enqueue(id)` adds a BullMQ job named after the row and its
 *   attempt count (`<id>-<attempts>`), so ringing twice for the same attempt adds one entry,
 *   while a re-enqueue after a reclaimed lease gets a fresh one even if the dead worker's
 *   entry is still held in Redis.
 * - Worker (`DistributedWorker`): a BullMQ Worker whose processor is the shared job
 *   processor; the evaluation runs on a worker thread, so this event loop stays free to
 *   renew BullMQ's lock (a blocked loop loses the lock and the job is delivered twice) and
 *   the PostgreSQL lease. Transient failures are retried by BullMQ with exponential backoff
 *   (the same delays the row records); invalid requests throw UnrecoverableError (no retry).
 *   On close (SIGTERM) running jobs get a grace period, then are handed back: pending in
 *   PostgreSQL, and the BullMQ entry moved back to delayed without spending an attempt.
 * - Sweeper (in every worker and in the API's producer): hands back jobs whose lease expired
 *   (their worker was killed) and re-enqueues them, and re-enqueues pending jobs nobody has
 *   touched for a while (a lost message: the API died between insert and enqueue, or Redis
 *   lost its data). Deliveries it duplicates are harmless: a claim succeeds once.
 */
import { DelayedError, type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { and, asc, eq, lte, sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { NotFoundError } from '../errors.js';
import type { Integrations } from '../integrations/index.js';
import { countRedisError } from '../observability/scrape.js';
import type { Db } from '../store/database.js';
import { getJob, queueDepth, reclaimExpiredLeases } from '../store/jobs.js';
import { evaluation_jobs } from '../store/schema.js';
import type { EvaluationPool } from './evaluation-pool.js';
import { addWorkerSlots, initJobRunnerMetrics, recordLeaseSweep } from './job-metrics.js';
import { leaseOwnerId } from './owner.js';
import { DEFAULT_LEASE_MS, exponentialBackoff, type ProcessResult, processJob } from './processor.js';
import type { JobQueue, QueueStats } from './types.js';

export const DEFAULT_QUEUE_NAME = 'tars-eval-jobs';

/** What a BullMQ job carries: only the id; the request lives in PostgreSQL. */
export interface JobPayload {
  jobId: string;
}

export interface DistributedQueueOptions {
  redisUrl: string;
  queueName?: string;
  /** First retry delay of BullMQ's exponential backoff (default 1 s; doubles per attempt). */
  backoffMs?: number;
  /** Lease length the workers use (default 30 s); the sweeper runs every half of it. */
  leaseMs?: number;
  /** Sweep period (default half the lease); 0 disables sweeping in this process. */
  sweepMs?: number;
  /** A pending job untouched this long is enqueued again (default 60 s). */
  staleMs?: number;
  /**
   * Finished BullMQ entries kept for inspection (default 1,000 completed for an hour, 5,000
   * failed for a week); older ones are removed. The row keeps every outcome regardless.
   */
  keep?: { completed: number; failed: number };
  onError?: (err: unknown, context: string) => void;
}

/** ioredis as BullMQ needs it: commands wait for a reconnect instead of failing. */
export function redisConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

function removalPolicy(keep: DistributedQueueOptions['keep']) {
  const completed = keep?.completed ?? 1000;
  const failed = keep?.failed ?? 5000;
  return {
    removeOnComplete: completed === 0 ? { count: 0 } : { age: 3600, count: completed },
    removeOnFail: failed === 0 ? { count: 0 } : { age: 7 * 24 * 3600, count: failed },
  };
}

export class DistributedQueue implements JobQueue {
  readonly mode = 'distributed' as const;
  readonly queueName: string;
  readonly #db: Db;
  readonly #options: DistributedQueueOptions;
  readonly #connection: Redis;
  readonly #queue: Queue<JobPayload>;
  #timer: NodeJS.Timeout | null = null;
  #sweeping = false;

  constructor(db: Db, options: DistributedQueueOptions) {
    this.#db = db;
    this.#options = options;
    this.queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
    this.#connection = redisConnection(options.redisUrl);
    this.#queue = new Queue<JobPayload>(this.queueName, { connection: this.#connection });
    // BullMQ re-emits its connection's errors here (tars_eval_redis_errors_total{client="queue"}).
    this.#queue.on('error', (err) => {
      countRedisError('queue');
      options.onError?.(err, 'bullmq queue');
    });
  }

  /** The BullMQ queue (for tests and operations tools). */
  get bullQueue(): Queue<JobPayload> {
    return this.#queue;
  }

  async enqueue(jobId: string): Promise<void> {
    await this.#enqueue(jobId, false);
  }

  /**
   * `replaceFinished`: when the entry for this attempt already ended in BullMQ (say, its
   * retries ran out on database errors) while the row is pending, replace it; otherwise
   * the add would be a no-op and the job would wait forever.
   */
  async #enqueue(jobId: string, replaceFinished: boolean): Promise<void> {
    const row = await getJob(this.#db, jobId);
    if (row === null) throw new NotFoundError(`job ${jobId} not found`, { job_id: jobId });
    if (row.status === 'completed' || row.status === 'failed') return;
    const entryId = `${jobId}-${row.attempts}`;
    if (replaceFinished) {
      const entry = await this.#queue.getJob(entryId);
      const state = entry ? await entry.getState() : null;
      if (entry && (state === 'completed' || state === 'failed')) await entry.remove();
    }
    try {
      await this.#queue.add(
        'evaluate',
        { jobId },
        {
          jobId: entryId,
          // BullMQ may try as often as the row still allows; the row has the last word anyway.
          attempts: Math.max(1, row.max_attempts - row.attempts),
          backoff: { type: 'exponential', delay: this.#options.backoffMs ?? 1000 },
          ...removalPolicy(this.#options.keep),
        },
      );
    } catch (err) {
      countRedisError('queue');
      throw err;
    }
  }

  async start(): Promise<void> {
    const sweepMs = this.#options.sweepMs ?? (this.#options.leaseMs ?? DEFAULT_LEASE_MS) / 2;
    if (sweepMs > 0 && this.#timer === null) {
      await this.sweep();
      this.#timer = setInterval(() => {
        this.sweep().catch((err) => this.#options.onError?.(err, 'sweep'));
      }, sweepMs);
      this.#timer.unref();
    }
  }

  /**
   * Hands back expired leases and re-enqueues them and long-untouched pending jobs; returns
   * the ids enqueued.
   */
  async sweep(): Promise<string[]> {
    if (this.#sweeping) return [];
    this.#sweeping = true;
    try {
      const swept = await reclaimExpiredLeases(this.#db);
      await recordLeaseSweep(this.#db, swept);
      const { requeued } = swept;
      const staleMs = this.#options.staleMs ?? 60_000;
      const stale = await this.#db
        .select({ id: evaluation_jobs.id })
        .from(evaluation_jobs)
        .where(
          and(
            eq(evaluation_jobs.status, 'pending'),
            lte(evaluation_jobs.run_after, sql`now()`),
            lte(
              evaluation_jobs.updated_at,
              sql`now() - make_interval(secs => ${staleMs / 1000}::double precision)`,
            ),
          ),
        )
        .orderBy(asc(evaluation_jobs.created_at))
        .limit(1000);
      const ids = [...new Set([...requeued, ...stale.map((r) => r.id)])];
      for (const id of ids) await this.#enqueue(id, true);
      return ids;
    } finally {
      this.#sweeping = false;
    }
  }

  /** Depth from PostgreSQL; `running` counts BullMQ's active entries across all workers. */
  async stats(): Promise<QueueStats> {
    const [depth, counts] = await Promise.all([queueDepth(this.#db), this.#queue.getJobCounts('active')]);
    return { depth, running: counts.active ?? 0 };
  }

  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#queue.close();
    await this.#connection.quit().catch(() => {});
  }
}

export interface DistributedWorkerOptions extends DistributedQueueOptions {
  /** Jobs at once in this process (EVAL_MAX_CONCURRENT). */
  concurrency: number;
  /** The worker threads evaluations run on (closed by `close()`). */
  pool: EvaluationPool;
  heartbeatMs?: number;
  progressIntervalMs?: number;
  /** On close, how long running jobs may finish before they are handed back (default 25 s). */
  shutdownGraceMs?: number;
  /** BullMQ lock length (default BullMQ's 30 s). */
  lockDuration?: number;
  onResult?: (jobId: string, result: ProcessResult) => void;
  /** Rollback requests and callbacks when jobs end (closed by `close()`). */
  integrations?: Integrations;
}

export class DistributedWorker {
  readonly owner = leaseOwnerId();
  readonly #options: DistributedWorkerOptions;
  readonly #producer: DistributedQueue;
  readonly #connection: Redis;
  readonly #worker: Worker<JobPayload>;
  readonly #shutdown = new AbortController();
  readonly #concurrency: number;
  #slotsAdded = false;
  #closing: Promise<void> | null = null;

  constructor(db: Db, options: DistributedWorkerOptions) {
    this.#options = options;
    this.#concurrency = Math.max(1, options.concurrency);
    this.#producer = new DistributedQueue(db, options);
    this.#connection = redisConnection(options.redisUrl);
    const backoff = exponentialBackoff(options.backoffMs ?? 1000);
    const deps = {
      db,
      pool: options.pool,
      owner: this.owner,
      leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
      heartbeatMs: options.heartbeatMs,
      progressIntervalMs: options.progressIntervalMs,
      backoff,
      signal: this.#shutdown.signal,
      onInternalError: options.onError,
      integrations: options.integrations,
    };
    this.#worker = new Worker<JobPayload>(
      this.#producer.queueName,
      async (job: Job<JobPayload>, token?: string) => {
        const result = await processJob(job.data.jobId, deps);
        options.onResult?.(job.data.jobId, result);
        switch (result.outcome) {
          case 'retry':
            throw new Error(result.error.message);
          case 'failed':
            throw new UnrecoverableError(result.error.message);
          case 'released':
            // Back to the queue without spending a BullMQ attempt: shutdown is not the job's fault.
            await job.moveToDelayed(Date.now(), token);
            throw new DelayedError();
          default:
            return result.outcome;
        }
      },
      {
        connection: this.#connection,
        concurrency: this.#concurrency,
        autorun: false,
        ...removalPolicy(options.keep),
        ...(options.lockDuration !== undefined ? { lockDuration: options.lockDuration } : {}),
      },
    );
    // Errors of the BullMQ worker: its Redis connection and commands (the job's own failures
    // are recorded on its row, not here).
    this.#worker.on('error', (err) => {
      countRedisError('worker');
      options.onError?.(err, 'bullmq worker');
    });
  }

  get producer(): DistributedQueue {
    return this.#producer;
  }

  async start(): Promise<void> {
    initJobRunnerMetrics();
    await this.#producer.start();
    if (!this.#slotsAdded) {
      this.#slotsAdded = true;
      addWorkerSlots(this.#concurrency);
    }
    void this.#worker.run().catch((err) => this.#options.onError?.(err, 'bullmq worker'));
    await this.#worker.waitUntilReady();
  }

  /** Graceful stop: no new jobs; running ones finish within the grace period or are handed back. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const grace = setTimeout(
        () => this.#shutdown.abort(new Error('worker shutting down')),
        this.#options.shutdownGraceMs ?? 25_000,
      );
      try {
        await this.#worker.close();
      } finally {
        clearTimeout(grace);
      }
      await this.#producer.close();
      await this.#connection.quit().catch(() => {});
      if (this.#slotsAdded) addWorkerSlots(-this.#concurrency);
      await this.#options.pool.close();
      await this.#options.integrations?.close();
    })();
    return this.#closing;
  }
}

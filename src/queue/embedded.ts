/**
 * The embedded queue (no Redis): an in-process scheduler over the jobs table. The table is
 * the queue, so a job submitted before a crash or restart still runs afterwards: at start
 * the scheduler hands back jobs whose worker died (expired leases) and claims whatever is
 * pending. `enqueue` only wakes it; jobs are claimed oldest first with `claimNextJob` (FOR
 * UPDATE SKIP LOCKED), at most `maxConcurrent` at once, each run on a worker thread by the
 * shared processor. A poll picks up retries whose backoff has passed and jobs written by
 * other processes on the same database.
 */

import type { Integrations } from '../integrations/index.js';
import type { Db } from '../store/database.js';
import { claimNextJob, queueDepth, reclaimExpiredLeases } from '../store/jobs.js';
import type { EvaluationPool } from './evaluation-pool.js';
import { addWorkerSlots, initJobRunnerMetrics, recordLeaseSweep } from './job-metrics.js';
import { leaseOwnerId } from './owner.js';
import { DEFAULT_LEASE_MS, type ProcessResult, runClaimedJob } from './processor.js';
import type { JobQueue, QueueStats } from './types.js';

export interface EmbeddedQueueOptions {
  /** Jobs at once (EVAL_MAX_CONCURRENT). */
  maxConcurrent: number;
  /** The worker threads evaluations run on (closed by `close()`). */
  pool: EvaluationPool;
  leaseMs?: number;
  heartbeatMs?: number;
  progressIntervalMs?: number;
  backoff?: (attempt: number) => number;
  /** How often to look for due jobs and expired leases (default 1 s). */
  pollMs?: number;
  /** How long `close()` lets running jobs finish before handing them back (default 10 s). */
  shutdownGraceMs?: number;
  /** Every job's outcome, for logs and metrics. */
  onResult?: (jobId: string, result: ProcessResult) => void;
  /** Errors of the scheduler itself (a failed poll); the job's own errors go on its row. */
  onError?: (err: unknown, context: string) => void;
  /** Rollback requests and callbacks when jobs end (closed by `close()`). */
  integrations?: Integrations;
}

export class EmbeddedQueue implements JobQueue {
  readonly mode = 'embedded' as const;
  readonly owner = leaseOwnerId();
  readonly #db: Db;
  readonly #options: EmbeddedQueueOptions;
  readonly #running = new Map<string, Promise<void>>();
  readonly #shutdown = new AbortController();
  #started = false;
  #closing = false;
  #pumping = false;
  #pumpAgain = false;
  #timer: NodeJS.Timeout | null = null;
  #lastSweep = 0;

  constructor(db: Db, options: EmbeddedQueueOptions) {
    this.#db = db;
    this.#options = { ...options, maxConcurrent: Math.max(1, options.maxConcurrent) };
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    initJobRunnerMetrics();
    addWorkerSlots(this.#options.maxConcurrent);
    await this.#sweep();
    const pollMs = this.#options.pollMs ?? 1000;
    this.#timer = setInterval(() => void this.#tick(), pollMs);
    this.#timer.unref();
    await this.#pump();
  }

  async enqueue(_jobId: string): Promise<void> {
    // The row is the queue entry already; claiming takes the oldest due job, which is this
    // one unless older jobs wait. Before start() the job waits for start's pick-up.
    if (this.#started && !this.#closing) await this.#pump();
  }

  async stats(): Promise<QueueStats> {
    return { depth: await queueDepth(this.#db), running: this.#running.size };
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    const all = () => Promise.all(this.#running.values());
    let grace: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((r) => {
      grace = setTimeout(() => r('expired'), this.#options.shutdownGraceMs ?? 10_000);
    });
    if ((await Promise.race([all(), expired])) === 'expired') {
      this.#shutdown.abort(new Error('queue shutting down'));
      await all();
    }
    clearTimeout(grace);
    if (this.#started) addWorkerSlots(-this.#options.maxConcurrent);
    await this.#options.pool.close();
    await this.#options.integrations?.close();
  }

  get #leaseMs(): number {
    return this.#options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  async #sweep(): Promise<void> {
    this.#lastSweep = Date.now();
    await recordLeaseSweep(this.#db, await reclaimExpiredLeases(this.#db));
  }

  async #tick(): Promise<void> {
    if (this.#closing) return;
    try {
      // Expired leases can only appear a lease length after a claim; no need to look more often.
      if (Date.now() - this.#lastSweep >= this.#leaseMs / 2) await this.#sweep();
      await this.#pump();
    } catch (err) {
      this.#options.onError?.(err, 'poll');
    }
  }

  /** Claims due jobs while slots are free. Re-entrant calls fold into one more pass. */
  async #pump(): Promise<void> {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        while (!this.#closing && this.#running.size < this.#options.maxConcurrent) {
          const job = await claimNextJob(this.#db, { owner: this.owner, leaseMs: this.#leaseMs });
          if (job === null) break;
          const run = this.#run(job.id, runClaimedJob(job, this.#deps()));
          this.#running.set(job.id, run);
        }
      } while (this.#pumpAgain && !this.#closing);
    } finally {
      this.#pumping = false;
    }
  }

  async #run(jobId: string, work: Promise<ProcessResult>): Promise<void> {
    try {
      const result = await work;
      this.#options.onResult?.(jobId, result);
    } catch (err) {
      // The processor records the job's own failures; this is the database failing under it.
      // The lease then expires and a sweep hands the job back.
      this.#options.onError?.(err, `job ${jobId}`);
    } finally {
      this.#running.delete(jobId);
      if (!this.#closing) void this.#pump().catch((err) => this.#options.onError?.(err, 'pump'));
    }
  }

  #deps() {
    return {
      db: this.#db,
      pool: this.#options.pool,
      owner: this.owner,
      leaseMs: this.#leaseMs,
      heartbeatMs: this.#options.heartbeatMs,
      progressIntervalMs: this.#options.progressIntervalMs,
      backoff: this.#options.backoff,
      signal: this.#shutdown.signal,
      onInternalError: this.#options.onError,
      integrations: this.#options.integrations,
    };
  }
}

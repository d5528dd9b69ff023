/**
 * The distributed queue against a real Redis and a real PostgreSQL (a fresh database for
 * this file, dropped after; a BullMQ queue name unique to this run, obliterated after).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DistributedQueue,
  DistributedWorker,
  type DistributedWorkerOptions,
} from '../../src/queue/distributed.js';
import { EvaluationPool } from '../../src/queue/evaluation-pool.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { createJob, getJob } from '../../src/store/jobs.js';
import { freshPostgres, REDIS_URL, resultCount, smallRequest, waitFor } from './helpers.js';

const queueName = `tars-q-test-${randomBytes(4).toString('hex')}`;
let pgUrl: string;
let dropDb: () => Promise<void>;
let database: Database;
let producer: DistributedQueue;

beforeAll(async () => {
  const fresh = await freshPostgres();
  pgUrl = fresh.url;
  dropDb = fresh.drop;
  database = await openDatabase({ databaseUrl: pgUrl, poolSize: 5 });
  producer = new DistributedQueue(database.db, {
    redisUrl: REDIS_URL,
    queueName,
    sweepMs: 0,
    // Completed entries removed at once; failed ones kept for the assertions below.
    keep: { completed: 0, failed: 100 },
  });
});

afterAll(async () => {
  await producer?.bullQueue.obliterate({ force: true }).catch(() => {});
  await producer?.close();
  await database?.close();
  await dropDb?.();
});

const worker = (extra: Partial<DistributedWorkerOptions> = {}) =>
  new DistributedWorker(database.db, {
    redisUrl: REDIS_URL,
    queueName,
    concurrency: 1,
    pool: new EvaluationPool({ threads: extra.concurrency ?? 1 }),
    leaseMs: 5000,
    sweepMs: 0,
    backoffMs: 200,
    ...extra,
  });

const finished = (id: string, timeoutMs = 30_000) =>
  waitFor(
    `job ${id} to finish`,
    async () => {
      const row = await getJob(database.db, id);
      return row?.status === 'completed' || row?.status === 'failed' ? row : null;
    },
    timeoutMs,
  );

describe('DistributedQueue and DistributedWorker', () => {
  it('carries a job from producer to worker and removes the finished entry', async () => {
    const w = worker();
    await w.start();
    try {
      const { job } = await createJob(database.db, { request: smallRequest() });
      await producer.enqueue(job.id);
      const row = await finished(job.id);
      expect(row.status).toBe('completed');
      expect(row.attempts).toBe(1);
      expect(await resultCount(database, job.id)).toBe(1);
      await waitFor(
        'the BullMQ entry to be removed',
        async () => (await producer.bullQueue.getJob(`${job.id}-0`)) === undefined,
      );
      const stats = await producer.stats();
      expect(stats.depth.completed).toBeGreaterThanOrEqual(1);
    } finally {
      await w.close();
    }
  });

  it('fails an invalid request once, without BullMQ retries', async () => {
    const w = worker();
    await w.start();
    try {
      const { job } = await createJob(database.db, {
        request: smallRequest({ environments: ['NoSuchEnv-v0'] }),
        max_attempts: 3,
      });
      await producer.enqueue(job.id);
      const row = await finished(job.id);
      expect(row.status).toBe('failed');
      expect(row.attempts).toBe(1);
      expect(row.error?.retryable).toBe(false);
      const entry = await producer.bullQueue.getJob(`${job.id}-0`);
      expect(await entry?.getState()).toBe('failed');
      // UnrecoverableError: one try although the entry allowed three.
      expect(entry?.attemptsMade).toBe(1);
    } finally {
      await w.close();
    }
  });

  it('completes a job delivered several times exactly once', async () => {
    const w = worker({ concurrency: 2 });
    await w.start();
    try {
      const { job } = await createJob(database.db, { request: smallRequest() });
      await producer.enqueue(job.id);
      await producer.enqueue(job.id); // same attempt: the same entry, added once
      // Two more deliveries under other ids, as a re-enqueue racing a slow worker would make.
      await producer.bullQueue.add('evaluate', { jobId: job.id }, { jobId: `${job.id}-dup1` });
      await producer.bullQueue.add('evaluate', { jobId: job.id }, { jobId: `${job.id}-dup2` });
      const row = await finished(job.id);
      expect(row.status).toBe('completed');
      await waitFor('every delivery to be processed', async () => {
        const c = await producer.bullQueue.getJobCounts('waiting', 'active');
        return c.waiting === 0 && c.active === 0;
      });
      expect((await getJob(database.db, job.id))?.attempts).toBe(1);
      expect(await resultCount(database, job.id)).toBe(1);
    } finally {
      await w.close();
    }
  });

  it('retries a transient failure through BullMQ backoff on another worker', async () => {
    // Worker A's evaluation threads are gone: every job it takes fails for a reason that is
    // not the request's.
    const brokenPool = new EvaluationPool({ threads: 1 });
    await brokenPool.close();
    const a = worker({ pool: brokenPool });
    await a.start();
    const { job } = await createJob(database.db, { request: smallRequest(), max_attempts: 3 });
    await producer.enqueue(job.id);
    await waitFor(
      'the first attempt to fail',
      async () =>
        (await getJob(database.db, job.id))?.attempts === 1 &&
        (await getJob(database.db, job.id))?.status === 'pending',
    );
    await a.close();
    const entry = await producer.bullQueue.getJob(`${job.id}-0`);
    expect(await entry?.getState()).toBe('delayed');
    const b = worker();
    await b.start();
    try {
      const row = await finished(job.id);
      expect(row.status).toBe('completed');
      expect(row.attempts).toBe(2);
      expect(await resultCount(database, job.id)).toBe(1);
    } finally {
      await b.close();
    }
  });

  const spawnWorker = (extraArgs: string[] = []): ChildProcess => {
    const script = fileURLToPath(new URL('./fixtures/worker-cli.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', script, 'worker', '--queue', queueName, '--lease-ms', '2000', ...extraArgs],
      {
        env: {
          ...process.env,
          DATABASE_URL: pgUrl,
          REDIS_URL,
          EVAL_MAX_CONCURRENT: '1',
          EVAL_THREADS: '0',
          NODE_ENV: 'test',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child.stderr?.setEncoding('utf8');
    return child;
  };
  const exited = (child: ChildProcess) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null)
        resolve({ code: child.exitCode, signal: child.signalCode });
      else child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  const midTraining = (id: string) =>
    waitFor(
      'the child worker to be mid-training',
      async () => {
        const row = await getJob(database.db, id);
        return row?.status === 'running' && row.progress > 0.05 && row.progress < 0.5 ? row : null;
      },
      30_000,
      20,
    );

  it('a worker killed with SIGKILL mid-job: the lease expires, a sweeper re-enqueues, the job completes once', async () => {
    const { job } = await createJob(database.db, {
      request: smallRequest({ training: { total_timesteps: 60_000, seed: 0 } }),
    });
    const child = spawnWorker();
    try {
      await producer.enqueue(job.id);
      const running = await midTraining(job.id);
      expect(running.lease_owner).toContain(`:${child.pid}:`);
      child.kill('SIGKILL');
      expect((await exited(child)).signal).toBe('SIGKILL');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const b = worker({ leaseMs: 2000, sweepMs: 300 });
    await b.start();
    try {
      const row = await finished(job.id, 45_000);
      expect(row.status).toBe('completed');
      expect(row.attempts).toBe(2);
      expect(row.lease_owner).toBeNull();
      expect(await resultCount(database, job.id)).toBe(1);
    } finally {
      await b.close();
    }
  });

  it('a worker sent SIGTERM hands its job back and exits; another completes it', async () => {
    const { job } = await createJob(database.db, {
      request: smallRequest({ training: { total_timesteps: 60_000, seed: 0 } }),
    });
    const child = spawnWorker(['--grace-ms', '0']);
    let stderr = '';
    child.stderr?.on('data', (d: string) => {
      stderr += d;
    });
    try {
      await producer.enqueue(job.id);
      await midTraining(job.id);
      const t = performance.now();
      child.kill('SIGTERM');
      const { code } = await exited(child);
      expect(code).toBe(0);
      expect(performance.now() - t).toBeLessThan(10_000);
      expect(stderr).toContain('"outcome":"released"');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const handedBack = await getJob(database.db, job.id);
    expect(handedBack?.status).toBe('pending');
    expect(handedBack?.attempts).toBe(0);
    const b = worker();
    await b.start();
    try {
      const row = await finished(job.id, 45_000);
      expect(row.status).toBe('completed');
      expect(row.attempts).toBe(1);
      expect(await resultCount(database, job.id)).toBe(1);
    } finally {
      await b.close();
    }
  });
});

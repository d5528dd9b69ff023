import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvaluationPool } from '../../src/queue/evaluation-pool.js';
import {
  exponentialBackoff,
  type ProcessorDeps,
  processJob,
  runClaimedJob,
} from '../../src/queue/processor.js';
import type { Database } from '../../src/store/database.js';
import { claimJob, createJob, getJob } from '../../src/store/jobs.js';
import { memoryDatabase, resultCount, smallRequest, waitFor } from './helpers.js';

let database: Database;
let pool: EvaluationPool;
const deps = (extra: Partial<ProcessorDeps> = {}): ProcessorDeps => ({
  db: database.db,
  pool,
  owner: 'test-worker',
  leaseMs: 10_000,
  backoff: () => 0,
  ...extra,
});

beforeAll(async () => {
  database = await memoryDatabase();
  pool = new EvaluationPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
  await database.close();
});

describe('processJob', () => {
  it('runs a job to completion on a worker thread and records its result once', async () => {
    const { job } = await createJob(database.db, { request: smallRequest() });
    const r = await processJob(job.id, deps());
    expect(r.outcome).toBe('completed');
    const row = await getJob(database.db, job.id);
    expect(row?.status).toBe('completed');
    expect(row?.progress).toBe(1);
    expect(row?.attempts).toBe(1);
    expect(row?.lease_owner).toBeNull();
    expect(row?.result?.results['CartPole-v1'].metrics.num_episodes).toBe(5);
    expect(await resultCount(database, job.id)).toBe(1);
  });

  it('keeps the event loop free while training runs', async () => {
    const { job } = await createJob(database.db, {
      request: smallRequest({ training: { total_timesteps: 20_000, seed: 0 } }),
    });
    // Measure the largest gap between timer ticks on this thread during the job.
    let last = performance.now();
    let maxGap = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 10);
    const r = await processJob(job.id, deps());
    clearInterval(tick);
    expect(r.outcome).toBe('completed');
    // Training 20,000 steps takes about a second; on this thread it would stall the loop that long.
    expect(maxGap).toBeLessThan(250);
  });

  it('writes throttled progress to the row while the job runs', async () => {
    const { job } = await createJob(database.db, {
      request: smallRequest({ training: { total_timesteps: 60_000, seed: 0 } }),
    });
    const seen = new Set<number>();
    let done = false;
    const watcher = (async () => {
      while (!done) {
        const row = await getJob(database.db, job.id);
        if (row?.status === 'running') seen.add(row.progress);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const r = await processJob(job.id, deps({ progressIntervalMs: 100 }));
    done = true;
    await watcher;
    expect(r.outcome).toBe('completed');
    const between = [...seen].filter((p) => p > 0 && p < 1);
    expect(between.length).toBeGreaterThanOrEqual(2);
  });

  it('completes a job delivered twice exactly once', async () => {
    const { job } = await createJob(database.db, { request: smallRequest() });
    const [a, b] = await Promise.all([
      processJob(job.id, deps({ owner: 'worker-a' })),
      processJob(job.id, deps({ owner: 'worker-b' })),
    ]);
    expect([a.outcome, b.outcome].sort()).toEqual(['completed', 'skipped']);
    // A late third delivery after completion is a no-op as well.
    const c = await processJob(job.id, deps({ owner: 'worker-c' }));
    expect(c.outcome).toBe('skipped');
    expect(await resultCount(database, job.id)).toBe(1);
    expect((await getJob(database.db, job.id))?.attempts).toBe(1);
  });

  it('fails an invalid request for good without retrying', async () => {
    const { job } = await createJob(database.db, {
      request: smallRequest({ environments: ['NoSuchEnv-v0'] }),
      max_attempts: 3,
    });
    const r = await processJob(job.id, deps());
    expect(r.outcome).toBe('failed');
    const row = await getJob(database.db, job.id);
    expect(row?.status).toBe('failed');
    expect(row?.attempts).toBe(1);
    expect(row?.error?.error).toBe('validation_error');
    expect(row?.error?.retryable).toBe(false);
    expect(row?.error?.message).toMatch(/NoSuchEnv/);
    expect(await resultCount(database, job.id)).toBe(0);
  });

  it('retries a transient failure after a backoff, then completes', async () => {
    const { job } = await createJob(database.db, { request: smallRequest(), max_attempts: 3 });
    // A pool that has been shut down cannot run the evaluation: an infrastructure fault,
    // not the request's.
    const broken = new EvaluationPool({ threads: 1 });
    await broken.close();
    const r = await processJob(job.id, deps({ pool: broken, backoff: exponentialBackoff(400) }));
    expect(r.outcome).toBe('retry');
    const row = await getJob(database.db, job.id);
    expect(row?.status).toBe('pending');
    expect(row?.attempts).toBe(1);
    expect(row?.error?.retryable).toBe(true);
    expect(r.outcome === 'retry' && r.backoffMs).toBe(400);
    // Due only after the backoff (database clock on both sides).
    const delay = (row?.run_after.getTime() ?? 0) - (row?.updated_at.getTime() ?? 0);
    expect(delay).toBeGreaterThanOrEqual(390);
    const again = await processJob(job.id, deps());
    expect(again.outcome).toBe('completed');
    expect((await getJob(database.db, job.id))?.attempts).toBe(2);
    expect(await resultCount(database, job.id)).toBe(1);
  });

  it('fails a transient failure for good on the last attempt', async () => {
    const { job } = await createJob(database.db, { request: smallRequest(), max_attempts: 1 });
    const broken = new EvaluationPool({ threads: 1 });
    await broken.close();
    const r = await processJob(job.id, deps({ pool: broken }));
    expect(r.outcome).toBe('failed');
    expect((await getJob(database.db, job.id))?.status).toBe('failed');
  });

  it('hands the job back uncounted when shut down mid-run', async () => {
    const { job } = await createJob(database.db, {
      request: smallRequest({ training: { total_timesteps: 200_000, seed: 0 } }),
    });
    const shutdown = new AbortController();
    const running = processJob(job.id, deps({ signal: shutdown.signal, progressIntervalMs: 50 }));
    await waitFor('training to start', async () => ((await getJob(database.db, job.id))?.progress ?? 0) > 0);
    const t = performance.now();
    shutdown.abort();
    const r = await running;
    expect(r.outcome).toBe('released');
    expect(performance.now() - t).toBeLessThan(3000);
    const row = await getJob(database.db, job.id);
    expect(row?.status).toBe('pending');
    expect(row?.attempts).toBe(0);
    expect(row?.lease_owner).toBeNull();
    expect(await resultCount(database, job.id)).toBe(0);
  });

  it('stops and writes nothing when its lease was taken over by another worker', async () => {
    const { job } = await createJob(database.db, {
      request: smallRequest({ training: { total_timesteps: 200_000, seed: 0 } }),
    });
    // Worker A stalls: it never heartbeats, so its 300 ms lease runs out mid-run.
    const claimed = await claimJob(database.db, job.id, { owner: 'stalled', leaseMs: 300 });
    expect(claimed).not.toBeNull();
    if (claimed === null) return;
    const a = runClaimedJob(
      claimed,
      deps({ owner: 'stalled', leaseMs: 300, heartbeatMs: 60_000, progressIntervalMs: 50 }),
    );
    await new Promise((r) => setTimeout(r, 400));
    const taken = await claimJob(database.db, job.id, { owner: 'worker-b', leaseMs: 10_000 });
    expect(taken?.lease_owner).toBe('worker-b');
    // A's next progress write finds the lease gone; it stops without completing or failing.
    expect((await a).outcome).toBe('lost_lease');
    const row = await getJob(database.db, job.id);
    expect(row?.status).toBe('running');
    expect(row?.lease_owner).toBe('worker-b');
    expect(await resultCount(database, job.id)).toBe(0);
  });
});

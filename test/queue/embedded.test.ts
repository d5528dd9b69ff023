import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedQueue } from '../../src/queue/embedded.js';
import { EvaluationPool } from '../../src/queue/evaluation-pool.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { claimJob, createJob, getJob } from '../../src/store/jobs.js';
import { migrateUp } from '../../src/store/migrate.js';
import { memoryDatabase, resultCount, smallRequest, waitFor } from './helpers.js';

let database: Database;
beforeAll(async () => {
  database = await memoryDatabase();
});
afterAll(async () => {
  await database.close();
});

const queueOn = (
  db: Database,
  maxConcurrent = 1,
  extra: Partial<ConstructorParameters<typeof EmbeddedQueue>[1]> = {},
) =>
  new EmbeddedQueue(db.db, {
    maxConcurrent,
    pool: new EvaluationPool({ threads: maxConcurrent }),
    pollMs: 100,
    backoff: () => 0,
    ...extra,
  });

const completed = (db: Database, id: string) =>
  waitFor(`job ${id} to complete`, async () => {
    const row = await getJob(db.db, id);
    if (row?.status === 'failed') throw new Error(`job failed: ${row.error?.message}`);
    return row?.status === 'completed' ? row : null;
  });

describe('EmbeddedQueue', () => {
  it('runs an enqueued job and reports depth', async () => {
    const queue = queueOn(database);
    await queue.start();
    try {
      const { job } = await createJob(database.db, { request: smallRequest() });
      await queue.enqueue(job.id);
      expect((await queue.stats()).running).toBe(1);
      await completed(database, job.id);
      expect(await resultCount(database, job.id)).toBe(1);
      const stats = await queue.stats();
      expect(stats.depth.completed).toBeGreaterThanOrEqual(1);
      expect(stats.depth.running).toBe(0);
    } finally {
      await queue.close();
    }
  });

  it('runs at most maxConcurrent jobs at once and finishes them all', async () => {
    const queue = queueOn(database, 2);
    await queue.start();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const { job } = await createJob(database.db, { request: smallRequest({ seed: i }) });
        ids.push(job.id);
        await queue.enqueue(job.id);
      }
      let maxRunning = 0;
      await waitFor('all four jobs', async () => {
        const s = await queue.stats();
        maxRunning = Math.max(maxRunning, s.depth.running, s.running);
        const rows = await Promise.all(ids.map((id) => getJob(database.db, id)));
        return rows.every((r) => r?.status === 'completed');
      });
      expect(maxRunning).toBe(2);
      for (const id of ids) expect(await resultCount(database, id)).toBe(1);
    } finally {
      await queue.close();
    }
  });

  it('picks up a job left pending and one whose worker died, on a new queue over the same database', async () => {
    const { job: pending } = await createJob(database.db, { request: smallRequest() });
    const { job: orphan } = await createJob(database.db, { request: smallRequest({ seed: 3 }) });
    // A worker of the previous run claimed this one and died: its 200 ms lease runs out.
    await claimJob(database.db, orphan.id, { owner: 'dead-worker', leaseMs: 200 });
    await new Promise((r) => setTimeout(r, 300));
    const queue = queueOn(database);
    await queue.start();
    try {
      await completed(database, pending.id);
      const row = await completed(database, orphan.id);
      expect(row.attempts).toBe(2);
      expect(await resultCount(database, orphan.id)).toBe(1);
    } finally {
      await queue.close();
    }
  });

  it('keeps a job submitted before a restart of the process (PGlite on disk) and runs it after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tars-queue-'));
    try {
      let db = await openDatabase({ dataDir: dir });
      await migrateUp(db.db);
      const { job } = await createJob(db.db, { request: smallRequest() });
      // Submitted, never started: the process goes away.
      await db.close();
      db = await openDatabase({ dataDir: dir });
      const queue = queueOn(db);
      await queue.start();
      try {
        await completed(db, job.id);
        expect(await resultCount(db, job.id)).toBe(1);
      } finally {
        await queue.close();
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands running jobs back when closed after the grace period', async () => {
    const queue = queueOn(database, 1, { shutdownGraceMs: 100, progressIntervalMs: 50 });
    await queue.start();
    const { job } = await createJob(database.db, {
      request: smallRequest({ training: { total_timesteps: 200_000, seed: 0 } }),
    });
    await queue.enqueue(job.id);
    await waitFor('training to start', async () => ((await getJob(database.db, job.id))?.progress ?? 0) > 0);
    await queue.close();
    const row = await getJob(database.db, job.id);
    expect(row?.status).toBe('pending');
    expect(row?.attempts).toBe(0);
  });
});

import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../src/errors.js';
import {
  claimJob,
  claimNextJob,
  completeJob,
  createJob,
  failJob,
  getJob,
  getJobResults,
  heartbeat,
  listPendingJobIds,
  listRecentFailures,
  queueDepth,
  reclaimExpiredLeases,
  updateProgress,
} from '../../src/store/jobs.js';
import { createUser } from '../../src/store/users.js';
import { backends, type TestDatabase } from './backends.js';
import { request, result } from './fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LEASE = { owner: 'worker-a', leaseMs: 30_000 };

describe.each(backends)('jobs on $name', (backend) => {
  let t: TestDatabase;
  let alice: string;
  let bob: string;
  beforeAll(async () => {
    t = await backend.open();
    alice = (
      await createUser(t.database.db, { username: 'alice', password: 'password123', role: 'developer' })
    ).id;
    bob = (await createUser(t.database.db, { username: 'bob', password: 'password123', role: 'developer' }))
      .id;
  });
  afterAll(async () => {
    await t?.dispose();
  });
  beforeEach(async () => {
    await t.database.db.execute(sql`delete from evaluation_jobs`);
  });

  it('creates a job with its request and defaults', async () => {
    const db = t.database.db;
    const { job, created } = await createJob(db, {
      request: request(7),
      submitter: alice,
      trial_id: 'trial-9',
      callback_url: 'http://automl.local/cb',
      trace_context: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    expect(created).toBe(true);
    expect(job.status).toBe('pending');
    expect(job.progress).toBe(0);
    expect(job.attempts).toBe(0);
    expect(job.max_attempts).toBe(3);
    const got = await getJob(db, job.id);
    expect(got?.request).toEqual(request(7));
    expect(got?.trial_id).toBe('trial-9');
    expect(got?.trace_context?.traceparent).toMatch(/^00-/);
    expect(await getJob(db, '00000000-0000-4000-8000-000000000000')).toBeNull();
    await expect(createJob(db, { request: request(), max_attempts: 0 })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('idempotency: same key + same submitter → same job; other submitter or no key → new job', async () => {
    const db = t.database.db;
    const a = await createJob(db, { request: request(1), submitter: alice, idempotency_key: 'k1' });
    const again = await createJob(db, { request: request(2), submitter: alice, idempotency_key: 'k1' });
    expect(again.created).toBe(false);
    expect(again.job.id).toBe(a.job.id);
    expect(again.job.request).toEqual(request(1));
    const other = await createJob(db, { request: request(1), submitter: bob, idempotency_key: 'k1' });
    expect(other.created).toBe(true);
    expect(other.job.id).not.toBe(a.job.id);
    const n1 = await createJob(db, { request: request(1), submitter: alice });
    const n2 = await createJob(db, { request: request(1), submitter: alice });
    expect(n1.job.id).not.toBe(n2.job.id);
    // Concurrent submissions of one key still make one job.
    const racing = await Promise.all(
      Array.from({ length: 5 }, () =>
        createJob(db, { request: request(3), submitter: bob, idempotency_key: 'k-race' }),
      ),
    );
    expect(new Set(racing.map((r) => r.job.id)).size).toBe(1);
    expect(racing.filter((r) => r.created)).toHaveLength(1);
  });

  it('claims oldest first with a lease, heartbeats, reports progress; a stranger cannot', async () => {
    const db = t.database.db;
    const first = (await createJob(db, { request: request(1) })).job;
    const second = (await createJob(db, { request: request(2) })).job;
    expect(await listPendingJobIds(db)).toEqual([first.id, second.id]);
    const c1 = await claimNextJob(db, LEASE);
    expect(c1?.id).toBe(first.id);
    expect(c1?.status).toBe('running');
    expect(c1?.attempts).toBe(1);
    expect(c1?.lease_owner).toBe('worker-a');
    expect(c1?.started_at).not.toBeNull();
    const c2 = await claimNextJob(db, { owner: 'worker-b', leaseMs: 30_000 });
    expect(c2?.id).toBe(second.id);
    expect(await claimNextJob(db, LEASE)).toBeNull();
    expect(await claimJob(db, first.id, { owner: 'worker-b', leaseMs: 1000 })).toBeNull();

    const before = (await getJob(db, first.id))?.lease_expires_at?.getTime() ?? 0;
    expect(await heartbeat(db, first.id, { owner: 'worker-a', leaseMs: 120_000 })).toBe(true);
    expect((await getJob(db, first.id))?.lease_expires_at?.getTime()).toBeGreaterThan(before);
    expect(await heartbeat(db, first.id, { owner: 'worker-b', leaseMs: 120_000 })).toBe(false);
    expect(await updateProgress(db, first.id, 'worker-a', 0.5)).toBe(true);
    expect(await updateProgress(db, first.id, 'worker-b', 0.9)).toBe(false);
    expect((await getJob(db, first.id))?.progress).toBe(0.5);
    await expect(updateProgress(db, first.id, 'worker-a', 1.5)).rejects.toBeInstanceOf(ValidationError);
    expect(await queueDepth(db)).toEqual({ pending: 0, running: 2, completed: 0, failed: 0 });
  });

  it('concurrent claimers never get the same job (FOR UPDATE SKIP LOCKED)', async () => {
    const db = t.database.db;
    for (let i = 0; i < 6; i++) await createJob(db, { request: request(i) });
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => claimNextJob(db, { owner: `w${i}`, leaseMs: 30_000 })),
    );
    const ids = claims.filter((c) => c !== null).map((c) => c?.id);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
  });

  it('an expired lease is reclaimed: requeued while attempts remain, failed after the last', async () => {
    const db = t.database.db;
    const { job } = await createJob(db, { request: request(1), max_attempts: 2 });
    await claimNextJob(db, { owner: 'dead', leaseMs: 50 });
    expect((await reclaimExpiredLeases(db)).requeued).toEqual([]); // lease still valid
    await sleep(120);
    expect(await reclaimExpiredLeases(db)).toEqual({ requeued: [job.id], failed: [] });
    expect((await getJob(db, job.id))?.status).toBe('pending');
    // The dead worker has lost the job: its heartbeat fails, another worker claims it.
    expect(await heartbeat(db, job.id, { owner: 'dead', leaseMs: 50 })).toBe(false);
    const again = await claimNextJob(db, { owner: 'dead-too', leaseMs: 50 });
    expect(again?.attempts).toBe(2);
    await sleep(120);
    expect(await reclaimExpiredLeases(db)).toEqual({ requeued: [], failed: [job.id] });
    const failed = await getJob(db, job.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.error?.error).toBe('lease_expired');
    // claimJob also takes over a running job whose lease expired.
    const other = (await createJob(db, { request: request(2) })).job;
    await claimJob(db, other.id, { owner: 'x', leaseMs: 30 });
    expect(await claimJob(db, other.id, { owner: 'y', leaseMs: 30_000 })).toBeNull();
    await sleep(80);
    expect((await claimJob(db, other.id, { owner: 'y', leaseMs: 30_000 }))?.lease_owner).toBe('y');
  });

  it('completes exactly once: a duplicate completion inserts no rows and changes nothing', async () => {
    const db = t.database.db;
    const { job } = await createJob(db, { request: request(1) });
    await claimNextJob(db, LEASE);
    const res = result({ 'CartPole-v1': [10, 20, 30], 'Acrobot-v1': [-100, -90] });
    const first = await completeJob(db, job.id, res);
    expect(first.first).toBe(true);
    expect(first.job.status).toBe('completed');
    expect(first.job.progress).toBe(1);
    expect(first.job.finished_at).not.toBeNull();
    const dup = await completeJob(db, job.id, result({ 'CartPole-v1': [1, 1, 1] }));
    expect(dup.first).toBe(false);
    const rows = await getJobResults(db, job.id);
    expect(rows.map((r) => r.environment)).toEqual(['Acrobot-v1', 'CartPole-v1']);
    expect(rows.find((r) => r.environment === 'CartPole-v1')?.episode_returns).toEqual([10, 20, 30]);
    expect(rows.find((r) => r.environment === 'CartPole-v1')?.metrics.mean_reward).toBe(20);
    expect((await getJob(db, job.id))?.result).toEqual(res);
    // Two racing completions of another job: one wins, rows once.
    const j2 = (await createJob(db, { request: request(2) })).job;
    const race = await Promise.all([
      completeJob(db, j2.id, result({ 'CartPole-v1': [5] })),
      completeJob(db, j2.id, result({ 'CartPole-v1': [6] })),
    ]);
    expect(race.filter((r) => r.first)).toHaveLength(1);
    expect(await getJobResults(db, j2.id)).toHaveLength(1);
    await expect(completeJob(db, '00000000-0000-4000-8000-000000000000', res)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('fails with retry and backoff while attempts remain, then for good; lists failures and depth', async () => {
    const db = t.database.db;
    const { job } = await createJob(db, { request: request(1), max_attempts: 2 });
    await claimNextJob(db, LEASE);
    const transient = { error: 'unavailable', message: 'db hiccup', retryable: true };
    expect(await failJob(db, job.id, 'someone-else', transient)).toEqual({ job: null, retried: false });
    const r1 = await failJob(db, job.id, 'worker-a', transient, { backoffMs: 200 });
    expect(r1.retried).toBe(true);
    expect(r1.job?.status).toBe('pending');
    expect(await claimNextJob(db, LEASE)).toBeNull(); // not due during the backoff
    await sleep(250);
    expect((await claimNextJob(db, LEASE))?.attempts).toBe(2);
    const r2 = await failJob(db, job.id, 'worker-a', transient, { backoffMs: 0 });
    expect(r2.retried).toBe(false);
    expect(r2.job?.status).toBe('failed');

    const bad = (await createJob(db, { request: request(2) })).job;
    await claimNextJob(db, LEASE);
    const invalid = { error: 'validation', message: 'unknown environment', retryable: false };
    const r3 = await failJob(db, bad.id, 'worker-a', invalid);
    expect(r3.retried).toBe(false);
    expect(r3.job?.attempts).toBe(1);

    const failures = await listRecentFailures(db, 10);
    expect(failures.map((f) => f.id)).toEqual([bad.id, job.id]);
    expect(failures[0].error?.message).toBe('unknown environment');
    await createJob(db, { request: request(3) });
    expect(await queueDepth(db)).toEqual({ pending: 1, running: 0, completed: 0, failed: 2 });
  });
});

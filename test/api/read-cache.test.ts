/**
 * The read caches of the API must never serve an answer the database no longer holds:
 * baselines changed by another process (here: the store functions `tars-eval baseline set` and
 * `rollback` use, and a second server over the same database) show on the next read once the
 * change's NOTIFY arrives; finished jobs are served from the cache byte for byte as from the
 * database; /health's checks are shared for about a second.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/api/index.js';
import { RecentReads, ResponseCache } from '../../src/api/read-cache.js';
import { CHECK_CACHE_MS } from '../../src/api/routes/health.js';
import { ACTIVE_VIEW_MS, jobView } from '../../src/api/routes/jobs.js';
import { engineMetrics } from '../../src/observability/metrics.js';
import {
  claimJob,
  completeJob,
  createJob,
  getJob,
  getJobSummary,
  insertBaseline,
  rollbackBaseline,
  updateProgress,
} from '../../src/store/index.js';
import { type Backend, pgliteBackend, postgresBackend } from '../store/backends.js';
import { metrics, result } from '../store/fixtures.js';
import { bearer, type Harness, startHarness, testConfig } from './harness.js';

/** Database selects recorded so far (the query-duration histogram's count). */
async function selectCount(registry: import('prom-client').Registry): Promise<number> {
  const m = await registry.getSingleMetric('tars_eval_db_query_duration_seconds')?.get();
  return (m?.values ?? [])
    .filter(
      (v) =>
        (v as { metricName?: string }).metricName === 'tars_eval_db_query_duration_seconds_count' &&
        v.labels.operation === 'select',
    )
    .reduce((a, v) => a + v.value, 0);
}

describe('RecentReads', () => {
  it('shares a read for its TTL, forgets misses, failures and forgotten keys, and stays bounded', async () => {
    const cache = new RecentReads<number>(40, 2);
    let reads = 0;
    const read = (v: number | null) => async () => {
      reads++;
      return v;
    };
    const [a, b] = await Promise.all([cache.get('x', read(1)), cache.get('x', read(2))]);
    expect([a, b, reads]).toEqual([1, 1, 1]);
    await sleep(50);
    expect(await cache.get('x', read(3))).toBe(3); // older than the TTL: read again
    cache.forget('x');
    expect(await cache.get('x', read(4))).toBe(4);
    expect(await cache.get('gone', read(null))).toBeNull();
    expect(await cache.get('gone', read(5))).toBe(5); // a miss is not remembered
    await expect(cache.get('bad', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('bad', read(6))).toBe(6); // nor a failure
    expect(cache.size).toBe(2); // bounded: x, the oldest, went first
  });
});

describe('ResponseCache', () => {
  it('evicts least recently used entries beyond its character budget and skips oversized ones', () => {
    const c = new ResponseCache(10);
    c.set('a', 'aaaa');
    c.set('b', 'bbbb');
    expect(c.get('a')).toBe('aaaa'); // a is now the most recent
    c.set('c', 'cccc'); // 12 > 10: evicts b, the least recently used
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe('aaaa');
    expect(c.get('c')).toBe('cccc');
    c.set('big', 'x'.repeat(11));
    expect(c.get('big')).toBeUndefined();
    expect(c.size).toBe(2);
    c.clear();
    expect(c.size).toBe(0);
  });
});

/** Polls `read` until `ok` holds (a NOTIFY travels asynchronously on PostgreSQL). */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await read();
  while (!ok(v) && Date.now() < deadline) {
    await sleep(20);
    v = await read();
  }
  return v;
}

for (const backend of [pgliteBackend, postgresBackend] as Backend[]) {
  describe(`read caches on ${backend.name}`, () => {
    let h: Harness;
    let viewer: string;
    beforeAll(async () => {
      h = await startHarness(backend);
      viewer = (await h.login('viewer')).access_token;
    }, 60_000);
    afterAll(async () => h.close(), 30_000);

    const getBaselines = async (app = h.app) => {
      const res = await app.inject({
        method: 'GET',
        url: '/v1/baselines/ppo?environment=MountainCar-v0',
        headers: bearer(viewer),
      });
      return { status: res.statusCode, body: res.statusCode === 200 ? res.json() : null };
    };

    it('baseline reads follow inserts and rollbacks made outside this server', async () => {
      const db = h.tdb.database.db;
      expect((await getBaselines()).status).toBe(404);
      await insertBaseline(db, {
        agent_type: 'ppo',
        environment: 'MountainCar-v0',
        metrics: metrics([-150]),
      });
      const first = await eventually(getBaselines, (r) => r.status === 200);
      expect(first.body.best.version).toBe(1);
      // Served twice (the second from the cache), the same answer.
      expect((await getBaselines()).body).toEqual(first.body);

      // A clearly better record (its CI above the best mean) becomes rank 1, version 2.
      await insertBaseline(db, {
        agent_type: 'ppo',
        environment: 'MountainCar-v0',
        metrics: metrics([-110, -100, -105], { low: -120, high: -90 }),
      });
      const second = await eventually(getBaselines, (r) => r.body?.best.version === 2);
      expect(second.body.best.version).toBe(2);
      expect(second.body.history.map((b: { version: number }) => b.version)).toEqual([2, 1]);

      await rollbackBaseline(db, 'ppo', 'MountainCar-v0', null, 'test');
      const third = await eventually(getBaselines, (r) => r.body?.best.version === 1);
      expect(third.body.best.version).toBe(1);
      expect(third.body.history.map((b: { version: number }) => b.version)).toEqual([1]);
    });

    it('a baseline posted through one server shows on another over the same database', async () => {
      const other = await createServer(testConfig(), { database: h.tdb.database, logger: false });
      try {
        const before = await getBaselines(other);
        const admin = (await h.login('admin')).access_token;
        const posted = await h.app.inject({
          method: 'POST',
          url: '/v1/baselines',
          headers: bearer(admin),
          payload: {
            agent_type: 'ppo',
            environment: 'MountainCar-v0',
            metrics: {
              num_episodes: 20,
              mean_reward: 0,
              std_reward: 1,
              mean_ci: { low: -1, high: 1, level: 0.95 },
            },
          },
        });
        expect(posted.statusCode, posted.body).toBe(201);
        const version = posted.json().version as number;
        expect(version).toBeGreaterThan(before.body?.best.version ?? 0);
        // The posting server sees its own write at once.
        expect((await getBaselines()).body.best.version).toBe(version);
        const seen = await eventually(
          () => getBaselines(other),
          (r) => r.body?.best.version === version,
        );
        expect(seen.body.best.version).toBe(version);
      } finally {
        await other.close();
      }
    });

    it('a finished job is served the same from the cache as from the database', async () => {
      const db = h.tdb.database.db;
      const { job } = await createJob(db, {
        request: { agent_type: 'dqn', environments: ['CartPole-v1'] } as never,
        trial_id: 'trial-7',
      });
      const get = () => h.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: bearer(viewer) });
      const pending = await get();
      expect(pending.json()).toMatchObject({ status: 'pending', result: null });
      // A pending job's view is at most ACTIVE_VIEW_MS old: completion shows after it.
      await completeJob(db, job.id, result({ 'CartPole-v1': [10, 20, 30] }));
      await sleep(ACTIVE_VIEW_MS + 20);
      const fromDb = await get();
      const fromCache = await get();
      expect(fromDb.statusCode).toBe(200);
      expect(fromDb.json()).toMatchObject({ status: 'completed', trial_id: 'trial-7' });
      expect(fromDb.json().result.results['CartPole-v1'].metrics.mean_reward).toBe(20);
      expect(fromCache.body).toBe(fromDb.body);
      expect(fromCache.headers['content-type']).toBe(fromDb.headers['content-type']);
      expect(fromCache.headers['x-request-id']).not.toBe(fromDb.headers['x-request-id']);
    });

    it('the status read selects only what the view shows, and shows the same as the full row', async () => {
      const db = h.tdb.database.db;
      const request = {
        agent_type: 'dqn',
        environments: ['CartPole-v1', 'Acrobot-v1'],
        num_episodes: 3,
        agent_state: { 'q_net.0.weight': { shape: [2, 2], data: [1, 2, 3, 4] } },
      };
      const { job } = await createJob(db, { request: request as never, trial_id: 't-1' });
      await claimJob(db, job.id, { owner: 'w', leaseMs: 60_000 });
      const summary = await getJobSummary(db, job.id);
      expect(summary?.request).toEqual({ agent_type: 'dqn', environments: ['CartPole-v1', 'Acrobot-v1'] });
      const full = await getJob(db, job.id);
      expect(jobView(summary as NonNullable<typeof summary>)).toEqual(
        jobView(full as NonNullable<typeof full>),
      );
      expect(jobView(full as NonNullable<typeof full>)).toMatchObject({ status: 'running', attempts: 1 });
      expect(await getJobSummary(db, '00000000-0000-4000-8000-000000000000')).toBeNull();
    });

    it('polls of an unfinished job share one database read per ACTIVE_VIEW_MS', async () => {
      const db = h.tdb.database.db;
      const { job } = await createJob(db, {
        request: { agent_type: 'ppo', environments: ['CartPole-v1'] } as never,
      });
      await claimJob(db, job.id, { owner: 'w', leaseMs: 60_000 });
      const get = () => h.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: bearer(viewer) });
      expect((await get()).json()).toMatchObject({ status: 'running', progress: 0 });
      await sleep(ACTIVE_VIEW_MS + 20);
      const selects = () => selectCount(engineMetrics().registry);
      const before = await selects();
      const views = await Promise.all(Array.from({ length: 20 }, () => get()));
      expect(views.every((v) => v.statusCode === 200)).toBe(true);
      // One read for the twenty (the account behind the token is cached as well).
      expect((await selects()) - before).toBe(1);
      await updateProgress(db, job.id, 'w', 0.5);
      await sleep(ACTIVE_VIEW_MS + 20);
      expect((await get()).json()).toMatchObject({ status: 'running', progress: 0.5 });
    });

    it('/health shares one round of checks for about a second', async () => {
      const a = (await h.app.inject({ method: 'GET', url: '/health' })).json();
      const b = (await h.app.inject({ method: 'GET', url: '/health' })).json();
      expect(b.checks.postgres.latency_ms).toBe(a.checks.postgres.latency_ms);
      await sleep(CHECK_CACHE_MS + 50);
      const c = (await h.app.inject({ method: 'GET', url: '/health' })).json();
      expect(c.status).toBe('healthy');
      // A new round measured again (latencies are floating-point timings; equality would be a fluke).
      expect(c.checks.postgres.latency_ms).not.toBe(a.checks.postgres.latency_ms);
    });
  });
}

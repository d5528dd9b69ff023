/**
 * Rate limits: low limits configured so the test reaches them. In-process counters on PGlite;
 * then two instances sharing one Redis, which must enforce one budget between them; then a
 * Redis that is configured but down (health degraded, requests still served).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/api/index.js';
import { pgliteBackend, type TestDatabase } from '../store/backends.js';
import { PASSWORD, startHarness, testConfig } from './harness.js';

const REDIS_URL = process.env.TARS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const LIMITS = { RATE_LIMIT_PUBLIC: '3', RATE_LIMIT_AUTH: '2', RATE_LIMIT_EVALUATE: '1' };

describe('rate limits in process', () => {
  it('429 with Retry-After in the envelope once a class is exhausted; classes are separate', async () => {
    const h = await startHarness(pgliteBackend, { env: LIMITS });
    try {
      const health = [];
      for (let i = 0; i < 4; i++) health.push(await h.app.inject({ method: 'GET', url: '/health' }));
      expect(health.map((r) => r.statusCode)).toEqual([200, 200, 200, 429]);
      const limited = health[3];
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(limited.json()).toMatchObject({ error: 'rate_limited', details: { limit: 3 } });

      const login = () =>
        h.app.inject({
          method: 'POST',
          url: '/auth/login',
          payload: { username: 'developer', password: PASSWORD },
        });
      const a = await login();
      expect(a.statusCode).toBe(200);
      expect((await login()).statusCode).toBe(200);
      expect((await login()).statusCode).toBe(429);

      const evaluate = () =>
        h.app.inject({
          method: 'POST',
          url: '/v1/evaluate',
          headers: { authorization: `Bearer ${a.json().access_token}` },
          payload: { agent_type: 'ppo', environments: ['CartPole-v1'], training: { total_timesteps: 64 } },
        });
      expect((await evaluate()).statusCode).toBe(202);
      expect((await evaluate()).statusCode).toBe(429);
    } finally {
      await h.close();
    }
  }, 30_000);
});

describe('rate limits shared through Redis', () => {
  let tdb: TestDatabase;
  let redis: Redis;
  beforeAll(async () => {
    tdb = await pgliteBackend.open();
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    redis.disconnect();
    await tdb.dispose();
  });

  it('two instances enforce one budget', async () => {
    const config = testConfig({ ...LIMITS, REDIS_URL });
    const namespace = `tars-eval-test:${randomUUID()}:`;
    const [one, two] = await Promise.all(
      [0, 1].map(() =>
        createServer(config, { database: tdb.database, redis, logger: false, rateLimitNamespace: namespace }),
      ),
    );
    try {
      const codes = [];
      for (const app of [one, two, one, two])
        codes.push((await app.inject({ method: 'GET', url: '/health' })).statusCode);
      expect(codes).toEqual([200, 200, 200, 429]);
      const res = await one.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      // A separate namespace (another deployment) has its own budget.
      const other = await createServer(config, {
        database: tdb.database,
        redis,
        logger: false,
        rateLimitNamespace: `${namespace}other:`,
      });
      const ok = await other.inject({ method: 'GET', url: '/health' });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ status: 'healthy', checks: { redis: { status: 'up' } } });
      await other.close();
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('Redis configured but down: health degraded, requests still served', async () => {
    // Port 1 on localhost: nothing listens, connections are refused at once.
    const config = testConfig({ ...LIMITS, REDIS_URL: 'redis://127.0.0.1:1' });
    const app = await createServer(config, {
      database: tdb.database,
      logger: false,
      queue: { mode: 'embedded', enqueue: async () => {} },
    });
    try {
      const res = await app.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        status: 'degraded',
        checks: { postgres: { status: 'up' }, redis: { status: 'down' } },
      });
      const distributed = await createServer(config, {
        database: tdb.database,
        logger: false,
        queue: { mode: 'distributed', enqueue: async () => {} },
      });
      const down = await distributed.inject({ method: 'GET', url: '/health' });
      expect(down.statusCode).toBe(503);
      expect(down.json().status).toBe('unhealthy');
      // Liveness checks the process only: it stays 200 while readiness says unhealthy.
      const live = await distributed.inject({ method: 'GET', url: '/health/live' });
      expect(live.statusCode).toBe(200);
      expect(live.json()).toMatchObject({ status: 'alive', version: expect.any(String) });
      await distributed.close();
    } finally {
      await app.close();
    }
  });
});

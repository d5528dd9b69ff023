/**
 * `make troubleshoot` (scripts/troubleshoot.ts) against the real service on a fresh PostgreSQL
 * database holding one failed job, and against an address nobody listens on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition, troubleshoot } from '../../scripts/troubleshoot.js';
import { type Service, startService } from '../../src/api/service.js';
import { loadConfig } from '../../src/config.js';
import { claimJob, createJob, failJob } from '../../src/store/index.js';
import { postgresBackend, type TestDatabase } from '../store/backends.js';

const request = {
  agent_type: 'ppo',
  environments: ['CartPole-v1'],
  num_episodes: 5,
} as unknown as Parameters<typeof createJob>[1]['request'];

let db: TestDatabase;
let service: Service;
let failedId: string;
beforeAll(async () => {
  db = await postgresBackend.open();
  const failed = await createJob(db.database.db, { request, max_attempts: 1 });
  failedId = failed.job.id;
  await claimJob(db.database.db, failedId, { owner: 'test-worker', leaseMs: 60_000 });
  await failJob(db.database.db, failedId, 'test-worker', {
    error: 'evaluation_failed',
    message: 'policy diverged',
  });
  service = await startService(
    loadConfig({ NODE_ENV: 'test', PORT: '0', DATABASE_URL: db.url, JWT_SECRET: 'x'.repeat(40) }),
    { logger: false },
  );
}, 60_000);
afterAll(async () => {
  await service?.close();
  await db?.dispose();
}, 30_000);

describe('troubleshoot', () => {
  it('reports health, key metrics, queue depth and the failed job in one report', async () => {
    const { ok, reachable, report } = await troubleshoot(service.url, { DATABASE_URL: db.url });
    expect(reachable).toBe(true);
    expect(ok).toBe(true);
    expect(report).toMatch(/== health\nstatus: healthy/);
    expect(report).toMatch(/postgres: up \(\d+\.\d ms\)/);
    expect(report).toContain('== key metrics');
    expect(report).toMatch(/http requests: \d+/);
    expect(report).toMatch(
      /== queue depth by status\ncompleted=0 {2}failed=1 {2}pending=0 {2}running=0 {3}\(from the database\)/,
    );
    expect(report).toMatch(
      new RegExp(
        `== most recent failed jobs\\n\\S+ {2}${failedId} {2}attempts 1/1 {2}evaluation_failed: policy diverged`,
      ),
    );
  });

  it('without DATABASE_URL takes the queue depth from /metrics and says why failures are not listed', async () => {
    const { ok, report } = await troubleshoot(service.url, {});
    expect(ok).toBe(true);
    expect(report).toMatch(/== queue depth by status\n.* {3}\(from \/metrics\)/);
    expect(report).toContain('DATABASE_URL is not set');
  });

  it('fails clearly when the engine is not reachable', async () => {
    const r = await troubleshoot('http://127.0.0.1:9', {});
    expect(r.ok).toBe(false);
    expect(r.reachable).toBe(false);
    expect(r.report).toMatch(
      /^cannot reach the engine at http:\/\/127\.0\.0\.1:9 \(.+\): start it with `make run`/,
    );
  });

  it('parses the exposition format, labels with escapes included', () => {
    expect(
      parseExposition(
        '# HELP x y\nx_total{a="1",b="q\\"z"} 3\nup 1\n\nbad line here\nlat{le="+Inf"} +Inf 1700000000\n',
      ),
    ).toEqual([
      { name: 'x_total', labels: { a: '1', b: 'q"z' }, value: 3 },
      { name: 'up', labels: {}, value: 1 },
      { name: 'lat', labels: { le: '+Inf' }, value: Number.POSITIVE_INFINITY },
    ]);
  });
});

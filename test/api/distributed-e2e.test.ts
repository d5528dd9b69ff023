/**
 * The distributed engine end to end: the API (producer) on PostgreSQL, BullMQ on Redis, and
 * two `tars-eval worker` processes. Jobs submitted over HTTP are evaluated by the workers and
 * completed exactly once; PostgreSQL stays the source of truth.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistributedQueue } from '../../src/queue/distributed.js';
import { getJobResults } from '../../src/store/index.js';
import { postgresBackend } from '../store/backends.js';
import { bearer, type Harness, startHarness } from './harness.js';

const REDIS_URL = process.env.TARS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const queueName = `tars-e2e-${randomBytes(4).toString('hex')}`;

let h: Harness;
let producer: DistributedQueue;
const workers: ChildProcess[] = [];

function spawnWorker(dbUrl: string): ChildProcess {
  const script = fileURLToPath(new URL('../queue/fixtures/worker-cli.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, 'worker', '--queue', queueName], {
    env: {
      ...process.env,
      DATABASE_URL: dbUrl,
      REDIS_URL,
      EVAL_MAX_CONCURRENT: '1',
      EVAL_THREADS: '0',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  workers.push(child);
  return child;
}

beforeAll(async () => {
  let queue: DistributedQueue | null = null;
  h = await startHarness(postgresBackend, {
    deps: {
      queue: {
        mode: 'distributed' as const,
        async enqueue(id: string) {
          await queue!.enqueue(id);
        },
      },
    },
  });
  queue = new DistributedQueue(h.tdb.database.db, { redisUrl: REDIS_URL, queueName, sweepMs: 0 });
  producer = queue;
  spawnWorker(h.tdb.url!);
  spawnWorker(h.tdb.url!);
}, 60_000);

afterAll(async () => {
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(
    workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))),
  );
  await producer?.bullQueue.obliterate({ force: true }).catch(() => {});
  await producer?.close();
  await h?.close();
}, 60_000);

describe('API + BullMQ + two worker processes on PostgreSQL', () => {
  it('completes every submitted job exactly once', async () => {
    const dev = await h.login('developer');
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/v1/evaluate',
        headers: bearer(dev.access_token),
        payload: {
          agent_type: 'a2c',
          environments: ['CartPole-v1'],
          training: { total_timesteps: 2000, seed: i },
          num_episodes: 5,
        },
      });
      expect(res.statusCode, res.body).toBe(202);
      ids.push(res.json().job_id);
    }
    const deadline = Date.now() + 90_000;
    const jobs: Array<{ status: string; attempts: number; result: unknown }> = [];
    for (const id of ids) {
      for (;;) {
        const res = await h.app.inject({
          method: 'GET',
          url: `/v1/jobs/${id}`,
          headers: bearer(dev.access_token),
        });
        const job = res.json();
        if (job.status === 'completed' || job.status === 'failed') {
          jobs.push(job);
          break;
        }
        if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    for (const [i, job] of jobs.entries()) {
      expect(job.status, JSON.stringify(job)).toBe('completed');
      expect(job.attempts).toBe(1);
      expect((await getJobResults(h.tdb.database.db, ids[i])).length).toBe(1);
    }
  }, 120_000);
});

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
/** Each worker's metrics URL, from its `worker_started` log line. */
const metricsUrls: Promise<string>[] = [];

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
      // info: the test reads each worker's metrics URL from its worker_started line
      LOG_LEVEL: 'info',
      // Two workers on one machine: each takes a free port for its /metrics.
      METRICS_PORT: '0',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  workers.push(child);
  metricsUrls.push(
    new Promise((resolve) => {
      let buffered = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        process.stderr.write(chunk);
        buffered += chunk.toString();
        for (const line of buffered.split('\n')) {
          if (!line.includes('"worker_started"')) continue;
          try {
            resolve((JSON.parse(line) as { metrics_url: string }).metrics_url);
          } catch {
            // a partial line: wait for the rest
          }
        }
      });
    }),
  );
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
    // Each worker serves its own metrics; together they ran the four jobs.
    let completed = 0;
    for (const url of await Promise.all(metricsUrls)) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(/^tars_eval_build_info\{[^}]*mode="worker"[^}]*\} 1$/m);
      expect(text).toMatch(/^tars_eval_worker_slots 1$/m);
      const m = text.match(/^tars_eval_jobs_total\{outcome="completed"\} (\d+)$/m);
      completed += Number(m?.[1] ?? Number.NaN);
      const health = await fetch(url.replace(/\/metrics$/, '/health'));
      expect(health.status).toBe(200);
    }
    expect(completed).toBe(4);
  }, 120_000);
});

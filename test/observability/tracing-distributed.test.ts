/**
 * The distributed path: the API enqueues on BullMQ (real Redis), a DistributedWorker in this
 * process takes the job from Redis and runs it on a worker thread. The trace crosses Redis
 * inside the job (its row's trace context) and arrives whole at a real OTLP/HTTP receiver.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushTracing, initTracing, SERVICE_NAME, shutdownTracing } from '../../src/observability/tracing.js';
import { DistributedQueue, DistributedWorker } from '../../src/queue/distributed.js';
import { EvaluationPool } from '../../src/queue/evaluation-pool.js';
import { packageVersion } from '../../src/version.js';
import { type Harness, PASSWORD, startHarness } from '../api/harness.js';
import { REDIS_URL } from '../queue/helpers.js';
import { pgliteBackend } from '../store/backends.js';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.js';

describe('tracing across BullMQ', () => {
  let receiver: OtlpReceiver;
  let h: Harness;
  let producer: DistributedQueue;
  let worker: DistributedWorker;
  let base: string;
  const queueName = `tars-trace-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    await initTracing(
      { endpoint: receiver.url, sampleRate: 1, serviceName: SERVICE_NAME, serviceVersion: packageVersion() },
      { scheduledDelayMillis: 50 },
    );
    let queue: DistributedQueue | null = null;
    h = await startHarness(pgliteBackend, {
      deps: {
        queue: {
          mode: 'distributed' as const,
          async enqueue(id: string) {
            await (queue as DistributedQueue).enqueue(id);
          },
        },
      },
    });
    const db = h.tdb.database.db;
    producer = new DistributedQueue(db, { redisUrl: REDIS_URL, queueName, sweepMs: 0 });
    queue = producer;
    worker = new DistributedWorker(db, {
      redisUrl: REDIS_URL,
      queueName,
      sweepMs: 0,
      concurrency: 1,
      pool: new EvaluationPool({ threads: 1 }),
    });
    await worker.start();
    base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await producer?.bullQueue.obliterate({ force: true }).catch(() => {});
    await producer?.close();
    await h?.close();
    await shutdownTracing();
    await receiver?.close();
  }, 60_000);

  it('one trace from the HTTP request through Redis to the worker thread', async () => {
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'developer', password: PASSWORD }),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const res = await fetch(`${base}/v1/evaluate?wait=true&timeout=120`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${login.access_token}` },
      body: JSON.stringify({
        agent_type: 'DQN',
        environments: ['CartPole-v1'],
        training: { total_timesteps: 200, seed: 1 },
        hyperparameters: { learning_starts: 50, batch_size: 32 },
        num_episodes: 3,
        quick_mode: true,
      }),
    });
    const job = (await res.json()) as {
      job_id: string;
      status: string;
      result: { results: Record<string, { metrics: { mean_reward: number } }> };
    };
    expect(res.status, JSON.stringify(job)).toBe(200);
    expect(job.status).toBe('completed');

    const processed = await receiver.waitFor(
      (s) => s.name === 'process_job' && s.attributes['tars.job.id'] === job.job_id,
      30_000,
      flushTracing,
    );
    const server = await receiver.waitFor(
      (s) => s.traceId === processed.traceId && s.kind === 2 && s.parentSpanId === null,
      10_000,
      flushTracing,
    );
    expect(String(server.attributes['url.path'])).toBe('/v1/evaluate');
    const spans = receiver.spans.filter((s) => s.traceId === processed.traceId);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    // The job span's ancestors lead to the request's server span.
    let cur = processed;
    while (cur.parentSpanId !== null) {
      const parent = byId.get(cur.parentSpanId);
      expect(parent, `parent of ${cur.name}`).toBeDefined();
      cur = parent as typeof cur;
    }
    expect(cur.spanId).toBe(server.spanId);
    const root = spans.find((s) => s.name === 'evaluate_agent_in_env');
    expect(root?.parentSpanId).toBe(processed.spanId);
    expect(root?.attributes['ml.agent_type']).toBe('dqn');
    expect(root?.attributes['ml.mean_reward']).toBe(job.result.results['CartPole-v1'].metrics.mean_reward);
    for (const name of ['train_agent', 'run_episodes', 'compute_metrics', 'nash_scoring']) {
      expect(spans.find((s) => s.name === name)?.parentSpanId, name).toBe(root?.spanId);
    }
  });
});

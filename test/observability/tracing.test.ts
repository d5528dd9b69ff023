/**
 * Tracing end to end: the real server (listening on a port, embedded queue on PGlite, the
 * evaluation on a worker thread) exports to a real OTLP/HTTP receiver, which decodes what
 * arrives. One trace runs from POST /v1/evaluate through the job to evaluate_agent_in_env and
 * its children, with ml.* attributes equal to the job's result; error envelopes quote the
 * trace id; a sample rate of 0 exports nothing.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushTracing, initTracing, SERVICE_NAME, shutdownTracing } from '../../src/observability/tracing.js';
import { packageVersion } from '../../src/version.js';
import { type Harness, PASSWORD, quickPpoRequest, startHarness } from '../api/harness.js';
import { pgliteBackend } from '../store/backends.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './otlp-receiver.js';

const SERVER = 2;
const CONSUMER = 5;

const request = quickPpoRequest({ agent_type: 'PPO', training: { total_timesteps: 128, seed: 3 } });

describe('tracing', () => {
  let receiver: OtlpReceiver;
  let h: Harness;
  let base: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    await initTracing(
      { endpoint: receiver.url, sampleRate: 1, serviceName: SERVICE_NAME, serviceVersion: packageVersion() },
      { scheduledDelayMillis: 50 },
    );
    h = await startHarness(pgliteBackend, { realQueue: true });
    base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await shutdownTracing();
    await receiver?.close();
  }, 30_000);

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers };
  };
  const login = async (username: string) => {
    const r = await call('POST', '/auth/login', { username, password: PASSWORD });
    expect(r.status).toBe(200);
    return { authorization: `Bearer ${r.json.access_token as string}` };
  };
  const spansOf = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
  const one = (spans: ReceivedSpan[], name: string) => {
    const found = spans.filter((s) => s.name === name);
    expect(
      found.map((s) => s.name),
      `exactly one ${name} span`,
    ).toEqual([name]);
    return found[0];
  };

  it('one trace from POST /v1/evaluate through the queue to the evaluation spans, with ml.* attributes', async () => {
    const dev = await login('developer');
    const admin = await login('admin');
    // A first evaluation becomes the baseline, so the second is compared (regression, Nash).
    const first = await call('POST', '/v1/evaluate?wait=true&timeout=120', request, dev);
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    const firstMetrics = (first.json.result as { results: Record<string, { metrics: unknown }> }).results[
      'CartPole-v1'
    ].metrics;
    const b = await call(
      'POST',
      '/v1/baselines',
      { agent_type: 'ppo', environment: 'CartPole-v1', metrics: firstMetrics },
      admin,
    );
    expect(b.status, JSON.stringify(b.json)).toBe(201);

    const second = await call(
      'POST',
      '/v1/evaluate?wait=true&timeout=120',
      { ...request, training: { total_timesteps: 128, seed: 4 } },
      dev,
    );
    expect(second.status, JSON.stringify(second.json)).toBe(200);
    const jobId = second.json.job_id as string;
    const result = second.json.result as {
      results: Record<
        string,
        {
          metrics: { mean_reward: number; success_rate: number; num_episodes: number };
          regression: { is_regression: boolean; severity: string; confidence: number } | null;
          nash_scores: unknown;
        }
      >;
      overall: {
        regression_detected: boolean;
        max_severity: string;
        nash_scores: { conflict_score: number; stability_score: number; recommendation: string };
      };
    };
    const env = result.results['CartPole-v1'];
    expect(env.regression).not.toBeNull();

    // The job span ends after the job's row is written; wait for it to arrive.
    const job = await receiver.waitFor(
      (s) => s.name === 'process_job' && s.attributes['tars.job.id'] === jobId,
      30_000,
      flushTracing,
    );
    const traceId = job.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    await receiver.waitFor((s) => s.traceId === traceId && s.name === 'evaluate_agent_in_env');
    // The server spans of the request end last (after the response is written).
    const server = await receiver.waitFor(
      (s) => s.traceId === traceId && s.kind === SERVER && s.parentSpanId === null,
      10_000,
      flushTracing,
    );
    const spans = spansOf(traceId);
    const byId = new Map(spans.map((s) => [s.spanId, s]));

    // The root is the HTTP server span of POST /v1/evaluate.
    expect(server.attributes['http.request.method'] ?? server.attributes['http.method']).toBe('POST');
    expect(String(server.attributes['url.path'] ?? server.attributes['http.target'])).toContain(
      '/v1/evaluate',
    );
    // Every span of the trace leads up to it.
    for (const s of spans) {
      let cur: ReceivedSpan | undefined = s;
      const seen = new Set<string>();
      while (cur?.parentSpanId) {
        expect(seen.has(cur.spanId)).toBe(false);
        seen.add(cur.spanId);
        const parent = byId.get(cur.parentSpanId);
        expect(parent, `parent of ${cur.name}`).toBeDefined();
        cur = parent;
      }
      expect(cur?.spanId, `${s.name} reaches the root`).toBe(server.spanId);
    }
    // The job span is a consumer span under the request.
    expect(job.kind).toBe(CONSUMER);
    expect(job.attributes['tars.job.outcome']).toBe('completed');
    expect(job.attributes['tars.job.attempt']).toBe(1);

    // evaluate_agent_in_env (worker thread) is the job span's child; the stages are its children.
    const root = one(spans, 'evaluate_agent_in_env');
    expect(root.parentSpanId).toBe(job.spanId);
    for (const name of [
      'train_agent',
      'run_episodes',
      'compute_metrics',
      'detect_regression',
      'nash_scoring',
    ]) {
      const child = one(spans, name);
      expect(child.parentSpanId, `${name} is a child of evaluate_agent_in_env`).toBe(root.spanId);
      // The SDK stamps a span's start with Date.now() (1 ms resolution) and its end as start +
      // a high-resolution duration, so a child that ends just before its parent can appear to
      // end up to 1 ms after it: nesting is checked to that resolution.
      const slackNs = 1_000_000n;
      expect(
        child.startNs + slackNs >= root.startNs && child.endNs <= root.endNs + slackNs,
        `${name} inside its parent (start ${child.startNs - root.startNs} ns after, end ${root.endNs - child.endNs} ns before)`,
      ).toBe(true);
    }
    expect(spans.filter((s) => s.name === 'load_agent')).toEqual([]);

    // Every process exports with the service name and version (the worker thread included).
    for (const s of [server, job, root]) {
      expect(s.resource['service.name']).toBe('tars-eval');
      expect(s.resource['service.version']).toBe(packageVersion());
    }

    // ml.* attributes carry the job's real values.
    expect(root.attributes).toMatchObject({
      'ml.agent_type': 'ppo',
      'ml.environment': 'CartPole-v1',
      'ml.environments': ['CartPole-v1'],
      'ml.episodes': 5,
      'ml.training.total_timesteps': 128,
      'ml.mean_reward': env.metrics.mean_reward,
      'ml.success_rate': env.metrics.success_rate,
      'ml.regression.detected': result.overall.regression_detected,
      'ml.regression.severity': result.overall.max_severity,
      'ml.regression.confidence': env.regression?.confidence,
      'ml.nash.conflict_score': result.overall.nash_scores.conflict_score,
      'ml.nash.stability_score': result.overall.nash_scores.stability_score,
      'ml.nash.recommendation': result.overall.nash_scores.recommendation,
    });
    expect(String(root.attributes['ml.hyperparameters'])).toBe('batch_size=64,n_epochs=1,n_steps=64');
    expect(one(spans, 'compute_metrics').attributes['ml.mean_reward']).toBe(env.metrics.mean_reward);
    expect(one(spans, 'run_episodes').attributes['ml.episodes']).toBe(5);
    expect(one(spans, 'train_agent').attributes).toMatchObject({
      'ml.environment': 'CartPole-v1',
      'ml.training.seed': 4,
    });
    expect(one(spans, 'detect_regression').attributes).toMatchObject({
      'ml.regression.detected': env.regression?.is_regression,
      'ml.regression.severity': env.regression?.severity,
      'ml.regression.confidence': env.regression?.confidence,
      'ml.regression.compared': 1,
    });
    expect(one(spans, 'nash_scoring').attributes['ml.nash.population_size']).toBeGreaterThanOrEqual(2);
    expect(root.status).not.toBe(2);
  });

  it("continues a caller's traceparent and quotes the trace id in error envelopes", async () => {
    const viewer = await login('viewer');
    const callerTrace = 'af1e6fb7a9c55e4f0d4c2b1e3f5a7c9d';
    const r = await call('GET', '/v1/jobs/00000000-0000-4000-8000-000000000000', undefined, {
      ...viewer,
      traceparent: `00-${callerTrace}-1111111111111111-01`,
    });
    expect(r.status).toBe(404);
    expect(r.json.trace_id).toBe(callerTrace);
    const server = await receiver.waitFor(
      (s) => s.traceId === callerTrace && s.kind === SERVER,
      10_000,
      flushTracing,
    );
    expect(server.parentSpanId).toBe('1111111111111111');
    // Without a caller trace the envelope still names the trace the request started.
    const bad = await call('POST', '/v1/evaluate', { agent_type: 'PPO' }, await login('developer'));
    expect(bad.status).toBe(400);
    expect(bad.json.trace_id).toMatch(/^[0-9a-f]{32}$/);
    await receiver.waitFor((s) => s.traceId === bad.json.trace_id && s.kind === SERVER, 10_000, flushTracing);
  });

  it('a sample rate of 0 exports nothing, not even the request span', async () => {
    await shutdownTracing();
    await initTracing(
      { endpoint: receiver.url, sampleRate: 0, serviceName: SERVICE_NAME, serviceVersion: packageVersion() },
      { scheduledDelayMillis: 50 },
    );
    // A server built under the new settings (the first one's instrumentation is switched off).
    const h0 = await startHarness(pgliteBackend);
    try {
      const url = await h0.app.listen({ port: 0, host: '127.0.0.1' });
      const before = receiver.spans.length;
      const requestsBefore = receiver.requests.length;
      const token = await fetch(`${url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'viewer', password: PASSWORD }),
      }).then((r) => r.json() as Promise<{ access_token: string }>);
      const res = await fetch(`${url}/v1/jobs/00000000-0000-4000-8000-000000000000`, {
        headers: { authorization: `Bearer ${token.access_token}` },
      });
      expect(res.status).toBe(404);
      // Unsampled, so the envelope falls back to the trace id the (unrecorded) request still has.
      expect(((await res.json()) as { trace_id: string }).trace_id).toMatch(/^[0-9a-f]{32}$/);
      await flushTracing();
      await new Promise((r) => setTimeout(r, 300));
      expect(receiver.spans.length).toBe(before);
      expect(receiver.requests.length).toBe(requestsBefore);
    } finally {
      await h0.close();
    }
  });
});

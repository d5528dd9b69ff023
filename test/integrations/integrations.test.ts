import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { EvaluationResult } from '../../src/evaluation/schemas.js';
import { callbackHostAllowed } from '../../src/integrations/automl.js';
import {
  type CallbackPayload,
  type IntegrationLog,
  IntegrationOutcomes,
  Integrations,
  type IntegrationsOptions,
  integrationsFromConfig,
  type RollbackRequest,
  rollbackRequestFor,
  signatureHeaders,
  verifySignature,
} from '../../src/integrations/index.js';
import type { EvaluationJob } from '../../src/store/schema.js';
import { type Receiver, startReceiver } from './receiver.js';

const receivers: Receiver[] = [];
const start = async (...args: Parameters<typeof startReceiver>) => {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
};
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** A finished job row; only the fields the integrations read are meaningful. */
function jobRow(over: {
  rollback?: boolean;
  status?: 'completed' | 'failed';
  trial?: string | null;
  cb?: string | null;
}) {
  const rollback = over.rollback ?? false;
  const status = over.status ?? 'completed';
  const report = (env: string, roll: boolean) => ({
    should_rollback: roll,
    details: roll ? `${env} reward dropped 80% (p < 0.001)` : 'no regression',
  });
  const result = {
    agent_type: 'ppo',
    environments: ['CartPole-v1', 'Acrobot-v1'],
    results: {
      'CartPole-v1': { metrics: { mean_reward: 21.5 }, regression: report('CartPole-v1', rollback) },
      'Acrobot-v1': { metrics: { mean_reward: -90 }, regression: report('Acrobot-v1', false) },
    },
    overall: {
      should_rollback: rollback,
      regression_detected: rollback,
      max_severity: rollback ? 'critical' : 'none',
      summary: 'summary',
      nash_scores: null,
    },
    timings: { total_seconds: 1.25 },
  } as unknown as EvaluationResult;
  return {
    id: '00000000-0000-4000-8000-000000000001',
    status,
    request: { agent_type: 'ppo', environments: ['CartPole-v1', 'Acrobot-v1'] },
    result: status === 'completed' ? result : null,
    error: status === 'failed' ? { error: 'internal_error', message: 'boom', retryable: true } : null,
    attempts: 3,
    trial_id: over.trial ?? null,
    callback_url: over.cb ?? null,
    finished_at: new Date('2025-01-01T00:00:00Z'),
  } as unknown as EvaluationJob;
}

const noSleep = { sleep: async () => {}, random: () => 0.5 };
function make(over: Partial<IntegrationsOptions>) {
  const outcomes = new IntegrationOutcomes();
  const logs: { level: string; event: string; fields: Record<string, unknown> }[] = [];
  const log: IntegrationLog = (level, event, fields) => logs.push({ level, event, fields });
  const integrations = new Integrations({
    hypersyncUrl: null,
    callbackSecret: null,
    production: false,
    policy: { timeoutMs: 1000, maxRetries: 2 },
    outcomes,
    log,
    delivery: noSleep,
    ...over,
  });
  return { integrations, outcomes, logs };
}

describe('HyperSync rollback', () => {
  it('is sent only when the result says should_rollback', async () => {
    const hs = await start([{ status: 202 }]);
    const { integrations, outcomes } = make({ hypersyncUrl: `${hs.url}/` });
    integrations.jobFinished(jobRow({ rollback: false }));
    integrations.jobFinished(jobRow({ rollback: false, status: 'failed' }));
    await integrations.idle();
    expect(hs.received).toHaveLength(0);

    integrations.jobFinished(jobRow({ rollback: true, trial: 'trial-7' }));
    await integrations.idle();
    expect(hs.received).toHaveLength(1);
    const [r] = hs.received;
    expect(r.path).toBe('/rollback');
    expect(r.headers['idempotency-key']).toBe('rollback:00000000-0000-4000-8000-000000000001');
    const body = JSON.parse(r.raw.toString()) as RollbackRequest;
    expect(body).toMatchObject({
      job_id: '00000000-0000-4000-8000-000000000001',
      agent_type: 'ppo',
      environment: 'CartPole-v1',
      environments: ['CartPole-v1'],
      severity: 'critical',
      reason: 'CartPole-v1: CartPole-v1 reward dropped 80% (p < 0.001)',
      trial_id: 'trial-7',
    });
    expect(outcomes.snapshot().hypersync).toEqual({ success: 1, failure: 0, attempts: 1 });
  });

  it('is not sent without HYPERSYNC_URL', async () => {
    // rollbackRequestFor still builds the body; the client is simply not configured.
    expect(rollbackRequestFor(jobRow({ rollback: true }))).not.toBeNull();
    const { integrations, outcomes } = make({ hypersyncUrl: null });
    integrations.jobFinished(jobRow({ rollback: true }));
    await integrations.idle();
    expect(outcomes.snapshot().hypersync).toEqual({ success: 0, failure: 0, attempts: 0 });
  });

  it('retries a 503 and counts one success; a 400 is one failure, logged', async () => {
    const hs = await start([{ status: 503 }, { status: 200 }]);
    const { integrations, outcomes, logs } = make({ hypersyncUrl: hs.url });
    integrations.jobFinished(jobRow({ rollback: true }));
    await integrations.idle();
    expect(hs.received).toHaveLength(2);
    expect(outcomes.snapshot().hypersync).toEqual({ success: 1, failure: 0, attempts: 2 });

    const bad = await start([{ status: 400 }]);
    const b = make({ hypersyncUrl: bad.url });
    b.integrations.jobFinished(jobRow({ rollback: true }));
    await b.integrations.idle();
    expect(bad.received).toHaveLength(1);
    expect(b.outcomes.snapshot().hypersync).toEqual({ success: 0, failure: 1, attempts: 1 });
    expect(b.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        event: 'hypersync_failed',
        fields: expect.objectContaining({ status: 400 }),
      }),
    );
    expect(logs.some((l) => l.event === 'hypersync_delivered')).toBe(true);
  });
});

describe('AutoML callback', () => {
  const secret = 'a-test-secret-of-at-least-32-characters!';

  it('posts the outcome signed over timestamp and raw body; a tampered body fails', async () => {
    const cb = await start([{ status: 200 }]);
    const { integrations, outcomes } = make({ callbackSecret: secret });
    integrations.jobFinished(jobRow({ rollback: false, trial: 'trial-1', cb: `${cb.url}/hook?x=1` }));
    await integrations.idle();
    expect(cb.received).toHaveLength(1);
    const [r] = cb.received;
    expect(r.path).toBe('/hook?x=1');
    expect(verifySignature(secret, r.raw, r.headers)).toEqual({ valid: true });
    const payload = JSON.parse(r.raw.toString()) as CallbackPayload;
    expect(payload).toMatchObject({
      job_id: '00000000-0000-4000-8000-000000000001',
      trial_id: 'trial-1',
      status: 'completed',
      error: null,
      summary: {
        mean_reward: { 'CartPole-v1': 21.5, 'Acrobot-v1': -90 },
        should_rollback: false,
        total_seconds: 1.25,
      },
    });
    expect(payload.result?.agent_type).toBe('ppo');

    const tampered = Buffer.from(r.raw.toString().replace('21.5', '99.5'));
    expect(verifySignature(secret, tampered, r.headers)).toEqual({ valid: false, reason: 'mismatch' });
    expect(verifySignature('another-secret', r.raw, r.headers)).toEqual({ valid: false, reason: 'mismatch' });
    expect(outcomes.snapshot().automl).toEqual({ success: 1, failure: 0, attempts: 1 });
  });

  it('reports a failed job with its error and no result', async () => {
    const cb = await start([{ status: 200 }]);
    const { integrations } = make({ callbackSecret: secret });
    integrations.jobFinished(jobRow({ status: 'failed', cb: cb.url }));
    await integrations.idle();
    const payload = JSON.parse(cb.received[0].raw.toString()) as CallbackPayload;
    expect(payload).toMatchObject({
      status: 'failed',
      result: null,
      summary: null,
      error: { message: 'boom' },
    });
  });

  it('the signature binds the timestamp: replayed later or re-stamped, it fails', () => {
    const body = '{"job_id":"x"}';
    const h = signatureHeaders(secret, body, 1_700_000_000);
    expect(verifySignature(secret, body, h, { nowSeconds: 1_700_000_100 })).toEqual({ valid: true });
    expect(verifySignature(secret, body, h, { nowSeconds: 1_700_000_301 })).toEqual({
      valid: false,
      reason: 'stale',
    });
    const restamped = { ...h, 'x-tars-timestamp': '1700000100' };
    expect(verifySignature(secret, body, restamped, { nowSeconds: 1_700_000_100 })).toEqual({
      valid: false,
      reason: 'mismatch',
    });
    expect(verifySignature(secret, body, {}, { nowSeconds: 1_700_000_000 })).toEqual({
      valid: false,
      reason: 'missing_headers',
    });
    expect(
      verifySignature(secret, body, { ...h, 'x-tars-signature': 'md5=abc' }, { nowSeconds: 1_700_000_000 }),
    ).toEqual({ valid: false, reason: 'malformed' });
  });

  it('re-signs each retry with a fresh timestamp', async () => {
    const cb = await start([{ status: 503 }, { status: 200 }]);
    let t = 1_700_000_000_000;
    const now = () => {
      t += 7000;
      return new Date(t);
    };
    const { integrations } = make({ callbackSecret: secret, now });
    integrations.jobFinished(jobRow({ cb: cb.url }));
    await integrations.idle();
    expect(cb.received).toHaveLength(2);
    const [a, b] = cb.received.map((r) => r.headers['x-tars-timestamp']);
    expect(a).not.toBe(b);
    for (const r of cb.received) {
      const ts = Number(r.headers['x-tars-timestamp']);
      expect(verifySignature(secret, r.raw, r.headers, { nowSeconds: ts })).toEqual({ valid: true });
    }
  });

  it('without a secret: unsigned in development, not sent in production', async () => {
    const cb = await start([{ status: 200 }]);
    const dev = make({ callbackSecret: null, production: false });
    dev.integrations.jobFinished(jobRow({ cb: cb.url }));
    await dev.integrations.idle();
    expect(cb.received).toHaveLength(1);
    expect(cb.received[0].headers['x-tars-signature']).toBeUndefined();

    const prod = make({ callbackSecret: null, production: true });
    prod.integrations.jobFinished(jobRow({ cb: cb.url }));
    await prod.integrations.idle();
    expect(cb.received).toHaveLength(1);
    expect(prod.outcomes.snapshot().automl).toEqual({ success: 0, failure: 1, attempts: 0 });
    expect(prod.logs[0]).toMatchObject({ level: 'error', event: 'automl_callback_not_sent' });
  });

  it('is not sent to a host outside AUTOML_CALLBACK_ALLOWED_HOSTS', async () => {
    const cb = await start([{ status: 200 }, { status: 200 }]);
    const denied = make({ callbackSecret: secret, callbackAllowedHosts: ['automl.internal'] });
    denied.integrations.jobFinished(jobRow({ cb: cb.url }));
    await denied.integrations.idle();
    expect(cb.received).toHaveLength(0);
    expect(denied.outcomes.snapshot().automl).toEqual({ success: 0, failure: 1, attempts: 0 });
    expect(denied.logs[0]).toMatchObject({ level: 'error', event: 'automl_callback_not_sent' });

    const port = new URL(cb.url).port;
    const allowed = make({ callbackSecret: secret, callbackAllowedHosts: [`127.0.0.1:${port}`] });
    allowed.integrations.jobFinished(jobRow({ cb: cb.url }));
    await allowed.integrations.idle();
    expect(cb.received).toHaveLength(1);
  });

  it('callbackHostAllowed: host, host:port (scheme default port), *.domain; unparsable URLs refused', () => {
    expect(callbackHostAllowed('https://anything.example/cb', null)).toBe(true);
    const list = ['automl.internal', 'hooks.example.com:8443', '*.trials.example.org', '[::1]:9000'];
    expect(callbackHostAllowed('http://automl.internal/cb', list)).toBe(true);
    expect(callbackHostAllowed('https://AUTOML.internal:9999/cb', list)).toBe(true);
    expect(callbackHostAllowed('https://hooks.example.com:8443/x', list)).toBe(true);
    expect(callbackHostAllowed('https://hooks.example.com/x', list)).toBe(false); // 443, not 8443
    expect(callbackHostAllowed('https://a.trials.example.org/x', list)).toBe(true);
    expect(callbackHostAllowed('https://trials.example.org/x', list)).toBe(false);
    expect(callbackHostAllowed('https://eviltrials.example.org/x', list)).toBe(false);
    expect(callbackHostAllowed('http://[::1]:9000/x', list)).toBe(true);
    expect(callbackHostAllowed('http://169.254.169.254/latest/meta-data', list)).toBe(false);
    expect(callbackHostAllowed('http://automl.internal.evil.com/cb', list)).toBe(false);
    expect(callbackHostAllowed('not a url', list)).toBe(false);
  });

  it('close() aborts a delivery waiting out a long retry and records the failure', async () => {
    const cb = await start([{ status: 503, headers: { 'retry-after': '30' } }]);
    const { integrations, outcomes } = make({ callbackSecret: secret, delivery: {} });
    integrations.jobFinished(jobRow({ cb: cb.url }));
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 100));
    await integrations.close(50);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(outcomes.snapshot().automl).toEqual({ success: 0, failure: 1, attempts: 1 });
  });
});

describe('configuration', () => {
  it('reads the integration variables and validates them', () => {
    const c = loadConfig({
      HYPERSYNC_URL: 'http://hs.local:9000',
      HYPERSYNC_TIMEOUT_MS: '2500',
      HYPERSYNC_MAX_RETRIES: '5',
      AUTOML_CALLBACK_SECRET: 'short',
    });
    expect(c).toMatchObject({
      hypersyncUrl: 'http://hs.local:9000',
      hypersyncTimeoutMs: 2500,
      hypersyncMaxRetries: 5,
      automlCallbackSecret: 'short',
    });
    expect(loadConfig({})).toMatchObject({
      hypersyncTimeoutMs: 5000,
      hypersyncMaxRetries: 3,
      automlCallbackSecret: null,
    });
    expect(() => loadConfig({ HYPERSYNC_MAX_RETRIES: '-1' })).toThrow(/HYPERSYNC_MAX_RETRIES/);
    expect(() => loadConfig({ HYPERSYNC_TIMEOUT_MS: 'x' })).toThrow(/HYPERSYNC_TIMEOUT_MS/);
    const prod = { NODE_ENV: 'production', JWT_SECRET: 'j'.repeat(40) };
    expect(() => loadConfig({ ...prod, AUTOML_CALLBACK_SECRET: 'short' })).toThrow(/AUTOML_CALLBACK_SECRET/);
    expect(loadConfig({ ...prod, AUTOML_CALLBACK_SECRET: 's'.repeat(32) }).automlCallbackSecret).toHaveLength(
      32,
    );
    expect(integrationsFromConfig(c)).toBeInstanceOf(Integrations);
    expect(loadConfig({}).automlCallbackAllowedHosts).toBeNull();
    expect(
      loadConfig({ AUTOML_CALLBACK_ALLOWED_HOSTS: ' AutoML.internal, *.example.com ,h:8080' })
        .automlCallbackAllowedHosts,
    ).toEqual(['automl.internal', '*.example.com', 'h:8080']);
    expect(() => loadConfig({ AUTOML_CALLBACK_ALLOWED_HOSTS: 'http://x.example' })).toThrow(
      /AUTOML_CALLBACK_ALLOWED_HOSTS/,
    );
    expect(() => loadConfig({ AUTOML_CALLBACK_ALLOWED_HOSTS: ' , ' })).toThrow(
      /AUTOML_CALLBACK_ALLOWED_HOSTS/,
    );
  });
});

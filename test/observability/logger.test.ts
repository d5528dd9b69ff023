/**
 * The process logger: JSON lines; trace_id and span_id on lines written inside a span; request
 * ids on request lines; LOG_LEVEL respected; and credentials never written — checked both on
 * the logger directly and on everything the real server logs while a user logs in, rotates
 * and reuses a refresh token, calls with a bearer token, and submits secret-looking fields.
 */
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger, maskUrl, REDACTED } from '../../src/observability/logger.js';
import { flushTracing, initTracing, SERVICE_NAME, shutdownTracing } from '../../src/observability/tracing.js';
import { packageVersion } from '../../src/version.js';
import { type Harness, PASSWORD, SECRET, startHarness } from '../api/harness.js';
import { pgliteBackend } from '../store/backends.js';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.js';

/** A destination that keeps every line written. */
function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    stream,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logger', () => {
  it('writes JSON lines at LOG_LEVEL and above', () => {
    const out = capture();
    const log = createLogger({ level: loadConfig({ LOG_LEVEL: 'warn' }).logLevel, destination: out.stream });
    log.info('not written');
    log.warn({ job_id: 'j1' }, 'written');
    log.error('also written');
    const lines = out.lines();
    expect(lines.map((l) => l.msg)).toEqual(['written', 'also written']);
    expect(lines[0]).toMatchObject({ level: 'warn', job_id: 'j1', service: 'tars-eval' });
    expect(typeof lines[0].time).toBe('string');
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('redacts credentials wherever a caller puts them, and never writes bodies', () => {
    const out = capture();
    const log = createLogger({ level: 'trace', destination: out.stream });
    const secrets = {
      password: 'pw-top-level',
      access_token: 'at-top-level',
      user: { password: 'pw-nested', refresh_token: 'rt-nested', name: 'kept-name' },
      headers: {
        authorization: 'Bearer bearer-nested',
        cookie: 'session=cookie-nested',
        accept: 'kept-accept',
      },
      deep: { config: { jwtSecret: 'jwt-deep', secret: 'secret-deep', api_key: 'key-deep' } },
      body: { anything: 'body-content' },
      token: 'tok-top',
    };
    log.info(secrets, 'with secrets');
    const text = out.text();
    for (const v of [
      'pw-top-level',
      'at-top-level',
      'pw-nested',
      'rt-nested',
      'bearer-nested',
      'cookie-nested',
      'jwt-deep',
      'secret-deep',
      'key-deep',
      'body-content',
      'tok-top',
    ]) {
      expect(text).not.toContain(v);
    }
    expect(text).toContain('kept-name');
    expect(text).toContain('kept-accept');
    const [line] = out.lines();
    expect((line.user as Record<string, unknown>).password).toBe(REDACTED);
    expect((line.headers as Record<string, unknown>).authorization).toBe(REDACTED);
    // The secrets object itself is untouched (redaction works on the output only).
    expect(secrets.user.password).toBe('pw-nested');
  });

  it('masks credential-like query parameters in URLs', () => {
    expect(maskUrl('/v1/jobs/x?access_token=abc&top_n=5')).toBe(
      `/v1/jobs/x?access_token=${REDACTED}&top_n=5`,
    );
    expect(maskUrl('/cb?Signature=s1&token=t2&x=1')).toBe(`/cb?Signature=${REDACTED}&token=${REDACTED}&x=1`);
    expect(maskUrl('/plain')).toBe('/plain');
  });
});

describe('server logs', () => {
  let receiver: OtlpReceiver;
  let h: Harness;
  let base: string;
  const out = capture();

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    await initTracing(
      { endpoint: receiver.url, sampleRate: 1, serviceName: SERVICE_NAME, serviceVersion: packageVersion() },
      { scheduledDelayMillis: 50 },
    );
    h = await startHarness(pgliteBackend, {
      deps: { logger: undefined, loggerInstance: createLogger({ level: 'trace', destination: out.stream }) },
    });
    base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await shutdownTracing();
    await receiver?.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('adds trace_id and span_id inside an active span, and nothing outside', () => {
    const lines = capture();
    const log = createLogger({ level: 'info', destination: lines.stream });
    log.info('outside');
    const ids = trace.getTracer('test').startActiveSpan('logged', (span) => {
      log.info('inside');
      span.end();
      return span.spanContext();
    });
    const [outside, inside] = lines.lines();
    expect(outside.trace_id).toBeUndefined();
    expect(outside.span_id).toBeUndefined();
    expect(inside).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('never writes passwords, tokens or the JWT secret; request lines carry request and trace ids', async () => {
    const login = await post('/auth/login', { username: 'developer', password: PASSWORD });
    expect(login.status).toBe(200);
    const tokens = (await login.json()) as { access_token: string; refresh_token: string };
    const wrong = await post('/auth/login', { username: 'developer', password: 'wrong-password-value' });
    expect(wrong.status).toBe(401);

    const refreshed = await post('/auth/refresh', { refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
    const rotated = (await refreshed.json()) as { access_token: string; refresh_token: string };
    // Reusing the rotated token revokes the family, which is logged (at warn) by family id.
    const reuse = await post('/auth/refresh', { refresh_token: tokens.refresh_token });
    expect(reuse.status).toBe(401);

    const auth = { authorization: `Bearer ${rotated.access_token}` };
    const job = await fetch(
      `${base}/v1/jobs/00000000-0000-4000-8000-000000000000?access_token=${rotated.access_token}`,
      {
        headers: auth,
      },
    );
    expect(job.status).toBe(404);
    const { trace_id: traceId } = (await job.json()) as { trace_id: string };
    const requestId = job.headers.get('x-request-id');

    const secretField = 'client-secret-value-4f1c';
    const bad = await post(
      '/v1/evaluate',
      {
        agent_type: 'PPO',
        environments: ['CartPole-v1'],
        client_secret: secretField,
        password: 'body-pw-77',
      },
      auth,
    );
    expect(bad.status).toBe(400);

    const text = out.text();
    expect(text.length).toBeGreaterThan(0);
    for (const secret of [
      PASSWORD,
      'wrong-password-value',
      tokens.access_token,
      tokens.refresh_token,
      rotated.access_token,
      rotated.refresh_token,
      SECRET,
      secretField,
      'body-pw-77',
    ]) {
      expect(text).not.toContain(secret);
    }
    // JWT segments would betray a token even when cut: none of the signatures appears either.
    for (const t of [tokens.access_token, rotated.access_token, tokens.refresh_token]) {
      expect(text).not.toContain(t.split('.')[2]);
    }

    const lines = out.lines();
    expect(lines.some((l) => l.msg === 'refresh token reuse: family revoked')).toBe(true);
    const requestLines = lines.filter((l) => l.request_id !== undefined);
    expect(requestLines.length).toBeGreaterThanOrEqual(6);
    // Every line written while a request was being served is inside its trace.
    for (const l of requestLines) {
      expect(l.trace_id, JSON.stringify(l)).toMatch(/^[0-9a-f]{32}$/);
      expect(l.span_id, JSON.stringify(l)).toMatch(/^[0-9a-f]{16}$/);
    }
    // The 404's line: its request id (X-Request-Id) and the trace id its envelope quoted.
    const completed = requestLines.find((l) => l.request_id === requestId && l.msg === 'request completed');
    expect(completed).toMatchObject({ trace_id: traceId, statusCode: 404 });
    expect(String(completed?.url)).toContain(`access_token=${REDACTED}`);
    // And that trace id is a trace the receiver got, with the logged span in it.
    await receiver.waitFor(
      (s) => s.traceId === traceId && s.spanId === completed?.span_id,
      10_000,
      flushTracing,
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteBackend } from '../store/backends.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(pgliteBackend);
}, 60_000);
afterAll(async () => h.close());

describe('GET /metrics', () => {
  it('exposes process metrics and HTTP requests by route template (never raw URLs)', async () => {
    await h.app.inject({ method: 'GET', url: '/health' });
    await h.app.inject({ method: 'GET', url: '/v1/jobs/00000000-0000-4000-8000-000000000000' });
    await h.app.inject({ method: 'GET', url: '/no/such/path/123' });
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.body;
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).toMatch(
      /tars_eval_http_requests_total\{method="GET",route="\/health",status_code="200"\} \d+/,
    );
    expect(text).toMatch(
      /tars_eval_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/v1\/jobs\/:job_id",status_code="401"\}/,
    );
    expect(text).toContain('route="unmatched"');
    expect(text).not.toContain('00000000-0000-4000-8000-000000000000');
    expect(text).not.toContain('/no/such/path');
  });
});

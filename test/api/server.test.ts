import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getUserByUsername, listAudit } from '../../src/store/index.js';
import { pgliteBackend } from '../store/backends.js';
import { bearer, type Harness, SECRET, startHarness } from './harness.js';

/** An HS-signed JWT built by hand, for tokens the server would never issue. */
function craftJwt(payload: Record<string, unknown>, alg = 'HS256', secret = SECRET): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({ alg, typ: 'JWT' });
  const body = enc(payload);
  if (alg === 'none') return `${head}.${body}.`;
  const h = alg === 'HS512' ? 'sha512' : 'sha256';
  const sig = createHmac(h, secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

const now = () => Math.floor(Date.now() / 1000);
const trainingRequest = (extra: Record<string, unknown> = {}) => ({
  agent_type: 'ppo',
  environments: ['CartPole-v1'],
  training: { total_timesteps: 64 },
  hyperparameters: { n_steps: 32, batch_size: 32, n_epochs: 1 },
  num_episodes: 3,
  ...extra,
});

let h: Harness;
const tok: Record<string, string> = {};

beforeAll(async () => {
  h = await startHarness(pgliteBackend);
  for (const r of ['viewer', 'developer', 'admin']) tok[r] = (await h.login(r)).access_token;
}, 60_000);
afterAll(async () => h.close());

describe('auth', () => {
  it('rejects a wrong password and an unknown user with 401 in the envelope', async () => {
    for (const payload of [
      { username: 'viewer', password: 'wrong password' },
      { username: 'nobody', password: 'whatever1' },
    ]) {
      const res = await h.app.inject({ method: 'POST', url: '/auth/login', payload });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: 'unauthorized' });
      expect(res.json().trace_id).toBe(res.headers['x-request-id']);
    }
  });

  it('issues an access and a refresh token with typ claims', async () => {
    const pair = await h.login('developer');
    const claims = (t: string) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());
    const head = JSON.parse(Buffer.from(pair.access_token.split('.')[0], 'base64url').toString());
    expect(head.alg).toBe('HS256');
    expect(claims(pair.access_token)).toMatchObject({ typ: 'access', role: 'developer' });
    expect(claims(pair.access_token).exp - claims(pair.access_token).iat).toBe(3600);
    expect(claims(pair.refresh_token)).toMatchObject({ typ: 'refresh' });
    expect(claims(pair.refresh_token).exp - claims(pair.refresh_token).iat).toBe(7 * 24 * 3600);
  });

  it('rotates refresh tokens and revokes the family when a rotated one is reused', async () => {
    const first = await h.login('viewer');
    const r1 = await h.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: first.refresh_token },
    });
    expect(r1.statusCode).toBe(200);
    const second = r1.json();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    // The new access token works.
    const ok = await h.app.inject({
      method: 'GET',
      url: `/v1/jobs/${randomUUID()}`,
      headers: bearer(second.access_token),
    });
    expect(ok.statusCode).toBe(404);
    // Replaying the first token: 401, and the second (still unused) token is now dead too.
    const replay = await h.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: first.refresh_token },
    });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().details).toMatchObject({ reason: 'reused' });
    const after = await h.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: second.refresh_token },
    });
    expect(after.statusCode).toBe(401);
    expect(after.json().details).toMatchObject({ reason: 'revoked' });
    // Another login's family is untouched.
    const other = await h.login('viewer');
    const r2 = await h.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: other.refresh_token },
    });
    expect(r2.statusCode).toBe(200);
  });

  it('never accepts a refresh token as an access token, nor the reverse', async () => {
    const pair = await h.login('admin');
    const asAccess = await h.app.inject({
      method: 'GET',
      url: `/v1/jobs/${randomUUID()}`,
      headers: bearer(pair.refresh_token),
    });
    expect(asAccess.statusCode).toBe(401);
    expect(asAccess.json().details).toMatchObject({ reason: 'wrong_type' });
    const asRefresh = await h.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: pair.access_token },
    });
    expect(asRefresh.statusCode).toBe(401);
  });

  it('rejects expired, unsigned, other-algorithm and other-secret tokens', async () => {
    const admin = await getUserByUsername(h.tdb.database.db, 'admin');
    const base = { sub: admin!.id, username: 'admin', role: 'admin', typ: 'access' };
    const cases = {
      expired: craftJwt({ ...base, iat: now() - 7200, exp: now() - 3600 }),
      none: craftJwt({ ...base, iat: now(), exp: now() + 600 }, 'none'),
      hs512: craftJwt({ ...base, iat: now(), exp: now() + 600 }, 'HS512'),
      secret: craftJwt({ ...base, iat: now(), exp: now() + 600 }, 'HS256', 'another secret'),
    };
    // Control: the same claims, correctly signed, are accepted (404 for an unknown job).
    const good = craftJwt({ ...base, iat: now(), exp: now() + 600 });
    expect(
      (await h.app.inject({ method: 'GET', url: `/v1/jobs/${randomUUID()}`, headers: bearer(good) }))
        .statusCode,
    ).toBe(404);
    // Correctly signed, but for an account that does not exist: refused.
    const ghost = craftJwt({ ...base, sub: randomUUID(), iat: now(), exp: now() + 600 });
    const gone = await h.app.inject({
      method: 'GET',
      url: `/v1/jobs/${randomUUID()}`,
      headers: bearer(ghost),
    });
    expect(gone.statusCode).toBe(401);
    expect(gone.json().message).toContain('no longer exists');
    for (const [name, token] of Object.entries(cases)) {
      const res = await h.app.inject({
        method: 'GET',
        url: `/v1/jobs/${randomUUID()}`,
        headers: bearer(token),
      });
      expect(res.statusCode, name).toBe(401);
    }
    const expired = await h.app.inject({
      method: 'GET',
      url: `/v1/jobs/${randomUUID()}`,
      headers: bearer(cases.expired),
    });
    expect(expired.json().details).toMatchObject({ reason: 'expired' });
  });
});

describe('client mistakes never get a 5xx', () => {
  const payloads: unknown[] = [
    null,
    [],
    'text',
    42,
    {},
    { agent_type: null },
    { agent_type: 'ppo', environments: 'CartPole-v1', training: { total_timesteps: 64 } },
    { agent_type: 'ppo', environments: [], training: { total_timesteps: 64 } },
    { agent_type: 'ppo', environments: ['CartPole-v1', 'CartPole-v1'], training: { total_timesteps: 64 } },
    { agent_type: 'ppo', environments: ['CartPole-v1'], agent_state: [] },
    { agent_type: 'ppo', environments: ['CartPole-v1'], agent_state: { w: null } },
    { agent_type: 'ppo', environments: ['CartPole-v1'], agent_state: { w: { shape: [1e9, 1e9], data: [] } } },
    {
      agent_type: 'ppo',
      environments: ['CartPole-v1'],
      agent_state: { format: 'safetensors', data_base64: 'AAAA' },
    },
    {
      agent_type: 'ppo',
      environments: ['CartPole-v1'],
      hyperparameters: [],
      training: { total_timesteps: 64 },
    },
    { agent_type: 'ddpg', environments: ['CartPole-v1'], training: { total_timesteps: 64 } },
    { agent_type: 'ppo', environments: ['CartPole-v1'], training: { total_timesteps: -1 } },
    { agent_type: 'ppo', environments: ['CartPole-v1'], training: { total_timesteps: 64 }, population: [{}] },
  ];
  it('POST /v1/evaluate answers 4xx for each malformed body', async () => {
    for (const p of payloads) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/v1/evaluate',
        body: JSON.stringify(p),
        headers: { ...bearer(tok.developer), 'content-type': 'application/json' },
      });
      expect(res.statusCode, `${JSON.stringify(p)} → ${res.body}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, `${JSON.stringify(p)} → ${res.body}`).toBeLessThan(500);
      expect(res.json().error).toBeTypeOf('string');
      expect(res.json().message).toBeTypeOf('string');
    }
  });

  it('login and refresh answer 400 naming the missing field, 401 for garbage and expired tokens', async () => {
    const login = await h.app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'viewer' } });
    expect(login.statusCode).toBe(400);
    expect(login.json().details.field).toBe('password');
    const garbage = await h.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: 'a.b.c' },
    });
    expect(garbage.statusCode).toBe(401);
    const expired = craftJwt({
      sub: randomUUID(),
      fam: randomUUID(),
      jti: randomUUID(),
      typ: 'refresh',
      iat: now() - 99,
      exp: now() - 9,
    });
    const res = await h.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: expired },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().details).toMatchObject({ reason: 'expired' });
    // Well signed but never issued (not in the store): unknown.
    const forged = craftJwt({
      sub: randomUUID(),
      fam: randomUUID(),
      jti: randomUUID(),
      typ: 'refresh',
      iat: now(),
      exp: now() + 99,
    });
    const unknown = await h.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: forged },
    });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().details).toMatchObject({ reason: 'unknown' });
    const header = await h.app.inject({
      method: 'GET',
      url: `/v1/jobs/${randomUUID()}`,
      headers: { authorization: 'Basic abc' },
    });
    expect(header.statusCode).toBe(401);
  });
});

describe('roles', () => {
  const routes = [
    { method: 'GET' as const, url: () => `/v1/jobs/${randomUUID()}`, role: 'viewer' },
    { method: 'GET' as const, url: () => '/v1/baselines/ppo?environment=CartPole-v1', role: 'viewer' },
    { method: 'POST' as const, url: () => '/v1/evaluate', role: 'developer', payload: trainingRequest() },
    {
      method: 'POST' as const,
      url: () => '/v1/baselines',
      role: 'admin',
      payload: {
        agent_type: 'ppo',
        environment: 'CartPole-v1',
        metrics: { num_episodes: 10, mean_reward: 1, std_reward: 1 },
      },
    },
  ];
  const order = ['viewer', 'developer', 'admin'];
  for (const r of routes) {
    it(`${r.method} ${r.url().replace(/[0-9a-f-]{36}/, '{id}')}: 401 without a token, 403 below ${r.role}`, async () => {
      const anon = await h.app.inject({ method: r.method, url: r.url(), payload: r.payload });
      expect(anon.statusCode).toBe(401);
      for (const role of order) {
        const res = await h.app.inject({
          method: r.method,
          url: r.url(),
          payload: r.payload,
          headers: bearer(tok[role]),
        });
        if (order.indexOf(role) < order.indexOf(r.role)) {
          expect(res.statusCode, role).toBe(403);
          expect(res.json().error).toBe('forbidden');
        } else {
          expect([200, 201, 202, 404], `${role}: ${res.body}`).toContain(res.statusCode);
        }
      }
    });
  }
});

describe('POST /v1/evaluate', () => {
  const post = (payload: unknown, headers: Record<string, string> = {}, url = '/v1/evaluate') =>
    h.app.inject({
      method: 'POST',
      url,
      payload: payload as object,
      headers: { ...bearer(tok.developer), ...headers },
    });

  it('answers 202 with the job and enqueues it; GET /v1/jobs shows it', async () => {
    const res = await post(trainingRequest());
    expect(res.statusCode).toBe(202);
    const job = res.json();
    expect(job).toMatchObject({
      status: 'pending',
      progress: 0,
      agent_type: 'ppo',
      environments: ['CartPole-v1'],
      result: null,
    });
    expect(res.headers.location).toBe(`/v1/jobs/${job.job_id}`);
    expect(h.enqueued).toContain(job.job_id);
    const got = await h.app.inject({
      method: 'GET',
      url: `/v1/jobs/${job.job_id}`,
      headers: bearer(tok.viewer),
    });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ job_id: job.job_id, status: 'pending' });
  });

  it('returns the same job for the same Idempotency-Key and user, enqueued once', async () => {
    const key = randomUUID();
    const a = await post(trainingRequest(), { 'idempotency-key': key });
    const b = await post(trainingRequest(), { 'idempotency-key': key });
    expect(a.json().job_id).toBe(b.json().job_id);
    expect(h.enqueued.filter((id) => id === a.json().job_id)).toHaveLength(1);
    const other = await h.app.inject({
      method: 'POST',
      url: '/v1/evaluate',
      payload: trainingRequest(),
      headers: { ...bearer(tok.admin), 'idempotency-key': key },
    });
    expect(other.json().job_id).not.toBe(a.json().job_id);
  });

  const bad: Array<[string, unknown, string]> = [
    ['unknown agent type', trainingRequest({ agent_type: 'sac' }), 'agent_type'],
    ['unknown environment', trainingRequest({ environments: ['CartPole-v1', 'Nope-v0'] }), 'environments[1]'],
    [
      'unknown hyperparameter',
      trainingRequest({ hyperparameters: { learning_rat: 0.1 } }),
      'hyperparameters.learning_rat',
    ],
    [
      'out-of-range hyperparameter',
      trainingRequest({ hyperparameters: { gamma: 7 } }),
      'hyperparameters.gamma',
    ],
    ['unknown field', trainingRequest({ episodes: 3 }), 'episodes'],
    ['missing field', { agent_type: 'ppo', training: { total_timesteps: 64 } }, 'environments'],
    ['wrong type', trainingRequest({ num_episodes: 'ten' }), 'num_episodes'],
    ['neither weights nor training', { agent_type: 'ppo', environments: ['CartPole-v1'] }, 'agent_state'],
    [
      'malformed state dict',
      trainingRequest({ agent_state: { 'pi.weight': { shape: [2, 2], data: [1, 2, 3] } } }),
      'agent_state',
    ],
    [
      'mis-shaped state dict',
      trainingRequest({ agent_state: { 'x.weight': { shape: [1], data: [0.5] } } }),
      'agent_state',
    ],
    [
      'bad base64 safetensors',
      trainingRequest({ agent_state: { format: 'safetensors', data_base64: '!!!' } }),
      'agent_state.data_base64',
    ],
    [
      'agent type does not fit the environment',
      trainingRequest({ agent_type: 'ddpg', hyperparameters: {} }),
      'environments[0]',
    ],
    ['seeds vs num_episodes', trainingRequest({ seeds: [1, 2] }), 'seeds'],
  ];
  for (const [name, payload, field] of bad) {
    it(`400 naming the field: ${name}`, async () => {
      const res = await post(payload);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ error: 'validation', details: { field } });
    });
  }

  it('400 for malformed JSON, 415 for a non-JSON body, never 500', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/evaluate',
      body: '{"agent_type": "ppo",',
      headers: { ...bearer(tok.developer), 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'validation', details: { field: 'body' } });
    const text = await h.app.inject({
      method: 'POST',
      url: '/v1/evaluate',
      body: '<request/>',
      headers: { ...bearer(tok.developer), 'content-type': 'application/xml' },
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().error).toBe('unsupported_media_type');
    // text/plain is parsed as a string, which is not the object the schema asks for.
    const plain = await h.app.inject({
      method: 'POST',
      url: '/v1/evaluate',
      body: 'hello',
      headers: { ...bearer(tok.developer), 'content-type': 'text/plain' },
    });
    expect(plain.statusCode).toBe(400);
    expect(plain.json().details.field).toBe('body');
  });

  it('413 for an agent_state over 10 MB and for a body over the limit', async () => {
    // 10 MB + 3 bytes of safetensors payload as base64 (4 characters per 3 bytes).
    const b64 = 'A'.repeat(((10 * 1024 * 1024 + 3) / 3) * 4);
    const res = await post(trainingRequest({ agent_state: { format: 'safetensors', data_base64: b64 } }));
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'payload_too_large', details: { field: 'agent_state' } });
    const huge = await post(
      trainingRequest({ agent_state: { format: 'safetensors', data_base64: 'A'.repeat(15 * 1024 * 1024) } }),
    );
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error).toBe('payload_too_large');
  });

  it('400 for bad query parameters and Idempotency-Key', async () => {
    const res = await post(trainingRequest(), {}, '/v1/evaluate?wait=maybe');
    expect(res.statusCode).toBe(400);
    expect(res.json().details.field).toBe('wait');
    const t = await post(trainingRequest(), {}, '/v1/evaluate?wait=true&timeout=9999');
    expect(t.json().details.field).toBe('timeout');
    const k = await post(trainingRequest(), { 'idempotency-key': 'k'.repeat(500) });
    expect(k.statusCode).toBe(400);
    expect(k.json().details.field).toBe('idempotency-key');
  });

  it('wait=true returns 202 with the pending job when the timeout passes first', async () => {
    const t0 = Date.now();
    const res = await post(trainingRequest(), {}, '/v1/evaluate?wait=true&timeout=0.3');
    expect(res.statusCode).toBe(202);
    expect(res.json().status).toBe('pending');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });
});

describe('GET /v1/jobs/{job_id}', () => {
  it('400 for a non-UUID id, 404 for an unknown one', async () => {
    const bad = await h.app.inject({
      method: 'GET',
      url: '/v1/jobs/not-a-uuid',
      headers: bearer(tok.viewer),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'validation', details: { field: 'job_id' } });
    const missing = await h.app.inject({
      method: 'GET',
      url: `/v1/jobs/${randomUUID()}`,
      headers: bearer(tok.viewer),
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toBe('not_found');
  });
});

describe('baselines', () => {
  const metrics = (mean: number, ciLow: number) => ({
    num_episodes: 20,
    mean_reward: mean,
    std_reward: 5,
    mean_ci: { low: ciLow, high: mean + (mean - ciLow), level: 0.95 },
  });
  const insert = (env: string, m: unknown) =>
    h.app.inject({
      method: 'POST',
      url: '/v1/baselines',
      headers: bearer(tok.admin),
      payload: { agent_type: 'DQN', environment: env, metrics: m, hyperparameters: { gamma: 0.99 } },
    });

  it('inserts, ranks by the promotion rule, serves rank 1 and history, and audits', async () => {
    const env = 'Acrobot-v1';
    const a = await insert(env, metrics(-100, -110));
    expect(a.statusCode, a.body).toBe(201);
    expect(a.json()).toMatchObject({ rank: 1, version: 1, is_new_best: true });
    // Higher mean but its CI reaches below the incumbent's mean: rank 2, not promoted.
    const b = await insert(env, metrics(-95, -105));
    expect(b.json()).toMatchObject({ rank: 2, version: 2, is_new_best: false });
    // CI entirely above the incumbent's mean: the new best.
    const c = await insert(env, metrics(-80, -90));
    expect(c.json()).toMatchObject({ rank: 1, version: 3, is_new_best: true });

    const view = await h.app.inject({
      method: 'GET',
      url: `/v1/baselines/dqn?environment=${env}&top_n=2`,
      headers: bearer(tok.viewer),
    });
    expect(view.statusCode).toBe(200);
    const body = view.json();
    expect(body.best).toMatchObject({ version: 3, rank: 1, agent_type: 'dqn' });
    expect(body.history.map((x: { version: number }) => x.version)).toEqual([3, 2]);
    const audit = await listAudit(h.tdb.database.db, { entity: 'baseline' });
    expect(
      audit.filter((e) => e.action === 'baseline.insert' && e.actor === 'admin').length,
    ).toBeGreaterThanOrEqual(3);
  });

  it('404 when there is no baseline; 400 for unknown agent type, environment or top_n', async () => {
    const get = (url: string) => h.app.inject({ method: 'GET', url, headers: bearer(tok.viewer) });
    expect((await get('/v1/baselines/a2c?environment=Pendulum-v1')).statusCode).toBe(404);
    const t = await get('/v1/baselines/sac?environment=Pendulum-v1');
    expect(t.statusCode).toBe(400);
    expect(t.json().details.field).toBe('agent_type');
    const e = await get('/v1/baselines/a2c?environment=Nope-v9');
    expect(e.json().details.field).toBe('environment');
    const n = await get('/v1/baselines/a2c?environment=Pendulum-v1&top_n=0');
    expect(n.json().details.field).toBe('top_n');
    const missing = await get('/v1/baselines/a2c');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().details.field).toBe('environment');
  });

  it('400 for bad metrics and an unknown source job', async () => {
    const bad = await insert('CartPole-v1', { num_episodes: 0, mean_reward: 1, std_reward: 1 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details.field).toBe('metrics.num_episodes');
    const src = await h.app.inject({
      method: 'POST',
      url: '/v1/baselines',
      headers: bearer(tok.admin),
      payload: {
        agent_type: 'dqn',
        environment: 'CartPole-v1',
        metrics: metrics(1, 0),
        source_job_id: randomUUID(),
      },
    });
    expect(src.statusCode).toBe(400);
    expect(src.json().details.field).toBe('source_job_id');
  });
});

describe('health and documents', () => {
  it('GET /health is healthy with a latency when the database answers and Redis is not configured', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'healthy',
      checks: { postgres: { status: 'up' }, redis: { status: 'not_configured' } },
    });
    expect(res.json().checks.postgres.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('serves /openapi.json and Swagger UI at /docs', async () => {
    const doc = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(doc.statusCode).toBe(200);
    expect(doc.json().openapi).toMatch(/^3\./);
    const ui = await h.app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });

  it('unknown routes get a 404 envelope', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/v2/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('not_found');
  });
});

/**
 * The metrics as an operator sees them: a real evaluation through the server and the embedded
 * queue on PGlite, then GET /metrics, asserting the series and their values against the
 * job's own result. The registry is process-wide, so every counter is read as a difference
 * between two scrapes.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetricsServer } from '../../src/observability/metrics-server.js';
import { createJob, getJob } from '../../src/store/index.js';
import { bearer, type Harness, quickPpoRequest, startHarness } from '../api/harness.js';
import { pgliteBackend } from '../store/backends.js';
import { parseExposition, sample } from './exposition.js';

const CARTPOLE = { agent_type: 'ppo', environment: 'CartPole-v1' };

const request = quickPpoRequest({ num_episodes: 8 });

/** A baseline far above what 256 steps of PPO reach on CartPole (the maximum return is 500). */
const strongBaseline = {
  num_episodes: 20,
  mean_reward: 500,
  std_reward: 0,
  success_rate: 1,
  failure_rate: 0,
  episode_returns: Array.from({ length: 20 }, () => 500),
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness(pgliteBackend, { realQueue: true });
}, 60_000);
afterAll(async () => h.close(), 30_000);

async function scrape(harness: Harness = h): Promise<Map<string, number>> {
  const res = await harness.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return parseExposition(res.body);
}

/** A series' value, 0 when absent (a counter not yet created). */
const v = (s: Map<string, number>, name: string, labels: Record<string, string> = {}) =>
  sample(s, name, labels) ?? 0;

async function waitFor(what: string, fn: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('metrics of a real evaluation', () => {
  it('records the evaluation, the job, the regression and the stored baseline', async () => {
    const admin = await h.login('admin');
    const ins = await h.app.inject({
      method: 'POST',
      url: '/v1/baselines',
      headers: bearer(admin.access_token),
      payload: { ...CARTPOLE, metrics: strongBaseline },
    });
    expect(ins.statusCode, ins.body).toBe(201);
    const before = await scrape();

    const dev = await h.login('developer');
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/evaluate?wait=true&timeout=90',
      payload: request,
      headers: bearer(dev.access_token),
    });
    expect(res.statusCode, res.body).toBe(200);
    const job = res.json();
    expect(job.status).toBe('completed');
    const r = job.result.results['CartPole-v1'];
    expect(r.regression.verdict).toBe('regression');
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      v(after, name, labels) - v(before, name, labels);

    expect(delta('tars_eval_episodes_total', CARTPOLE)).toBe(8);
    expect(r.metrics.num_episodes).toBe(8);
    expect(delta('tars_eval_evaluations_total', { ...CARTPOLE, status: 'completed' })).toBe(1);
    expect(delta('tars_eval_duration_seconds_count', CARTPOLE)).toBe(1);
    expect(delta('tars_eval_duration_seconds_sum', CARTPOLE)).toBeCloseTo(r.seconds, 6);
    expect(delta('tars_eval_training_timesteps_total', CARTPOLE)).toBe(r.training.total_timesteps);
    expect(sample(after, 'tars_eval_current_mean_reward', CARTPOLE)).toBe(r.metrics.mean_reward);
    expect(sample(after, 'tars_eval_current_success_rate', CARTPOLE)).toBe(r.metrics.success_rate);
    expect(delta('tars_eval_regression_checks_total', { ...CARTPOLE, verdict: 'regression' })).toBe(1);
    expect(
      delta('tars_eval_regression_detected_total', { ...CARTPOLE, severity: r.regression.severity }),
    ).toBe(1);
    expect(delta('tars_eval_rollbacks_recommended_total', CARTPOLE)).toBe(
      r.regression.should_rollback ? 1 : 0,
    );
    const nash = job.result.overall.nash_scores;
    expect(
      delta('tars_eval_nash_recommendations_total', {
        agent_type: 'ppo',
        recommendation: nash.recommendation,
      }),
    ).toBe(1);
    if (r.nash_scores !== null) {
      expect(sample(after, 'tars_eval_nash_conflict_score', CARTPOLE)).toBe(r.nash_scores.conflict_score);
    }

    // The job: one completed attempt, its first claim's wait, a free slot again.
    expect(delta('tars_eval_jobs_total', { outcome: 'completed' })).toBe(1);
    expect(delta('tars_eval_job_duration_seconds_count', { outcome: 'completed' })).toBe(1);
    expect(delta('tars_eval_job_wait_seconds_count')).toBe(1);
    expect(sample(after, 'tars_eval_worker_busy')).toBe(0);
    expect(v(after, 'tars_eval_worker_slots')).toBeGreaterThanOrEqual(1);
    // The worker thread's environment cache built the environments it played on.
    expect(delta('tars_eval_env_cache_misses_total')).toBeGreaterThan(0);
    expect(v(after, 'tars_eval_env_cache_size')).toBeGreaterThan(0);

    // Baselines, read from the database at scrape time.
    const [stored] = await h.tdb.database.db
      .execute(
        sql`select version, mean_reward, extract(epoch from updated_at)::double precision as t
          from baselines where agent_type = 'ppo' and environment = 'CartPole-v1' and rank = 1`,
      )
      .then((x) => (x as unknown as { rows: { version: number; mean_reward: number; t: number }[] }).rows);
    expect(sample(after, 'tars_eval_baseline_mean_reward', CARTPOLE)).toBe(500);
    expect(sample(after, 'tars_eval_baseline_version', CARTPOLE)).toBe(stored.version);
    expect(sample(after, 'tars_eval_baseline_last_update_timestamp', CARTPOLE)).toBeCloseTo(stored.t, 3);
    expect(
      v(after, 'tars_eval_baseline_updates_total', { ...CARTPOLE, action: 'set' }),
    ).toBeGreaterThanOrEqual(1);

    // Queue, database and process series.
    expect(sample(after, 'tars_eval_queue_depth', { status: 'pending' })).toBe(0);
    expect(sample(after, 'tars_eval_queue_depth', { status: 'running' })).toBe(0);
    expect(v(after, 'tars_eval_db_query_duration_seconds_count', { operation: 'select' })).toBeGreaterThan(0);
    expect(v(after, 'tars_eval_db_query_duration_seconds_count', { operation: 'update' })).toBeGreaterThan(0);
    expect(sample(after, 'tars_eval_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'tars_eval_dependency_up', { dependency: 'postgres' })).toBe(1);
    expect(
      [...after.keys()].some((k) => k.startsWith('tars_eval_build_info{') && k.includes('mode="api"')),
    ).toBe(true);
  }, 120_000);

  it('counts a job that fails for good as failed, per environment, with unknown ids as "other"', async () => {
    const before = await scrape();
    // No agent_state and no training: the evaluation rejects the request, a final failure.
    const { job } = await createJob(h.tdb.database.db, {
      request: { agent_type: 'ppo', environments: ['CartPole-v1', 'NoSuchEnv-v9'] } as never,
    });
    await waitFor(
      'the job to fail',
      async () => (await getJob(h.tdb.database.db, job.id))?.status === 'failed',
    );
    await waitFor('the attempt to be recorded', async () => {
      const s = await scrape();
      return (
        v(s, 'tars_eval_jobs_total', { outcome: 'failed' }) >
        v(before, 'tars_eval_jobs_total', { outcome: 'failed' })
      );
    });
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    const after = parseExposition(res.body);
    const delta = (name: string, labels: Record<string, string>) =>
      v(after, name, labels) - v(before, name, labels);
    expect(delta('tars_eval_evaluations_total', { ...CARTPOLE, status: 'failed' })).toBe(1);
    expect(
      delta('tars_eval_evaluations_total', { agent_type: 'ppo', environment: 'other', status: 'failed' }),
    ).toBe(1);
    expect(delta('tars_eval_jobs_total', { outcome: 'failed' })).toBe(1);
    expect(res.body).not.toContain('NoSuchEnv');
  }, 90_000);

  it('counts failed logins and refreshes by reason', async () => {
    const before = await scrape();
    const bad = await h.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { username: 'viewer', password: 'not the password' },
    });
    expect(bad.statusCode).toBe(401);
    const first = await h.login('viewer');
    const refresh = () =>
      h.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: first.refresh_token } });
    expect((await refresh()).statusCode).toBe(200);
    expect((await refresh()).statusCode).toBe(401);
    const garbage = await h.app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: 'x.y.z' },
    });
    expect(garbage.statusCode).toBe(401);
    const after = await scrape();
    const delta = (reason: string) =>
      v(after, 'tars_eval_auth_failures_total', { reason }) -
      v(before, 'tars_eval_auth_failures_total', { reason });
    expect(delta('bad_credentials')).toBe(1);
    expect(delta('token_reuse')).toBe(1);
    expect(delta('invalid_token')).toBe(1);
    expect(delta('disabled')).toBe(0);
    // Every reason is there from the start, at zero or more.
    expect(sample(after, 'tars_eval_auth_failures_total', { reason: 'expired' })).toBeDefined();
  });

  it('keeps unmatched routes under one label', async () => {
    await h.app.inject({ method: 'GET', url: '/surely/not/a/route/42' });
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toContain('route="unmatched"');
    expect(res.body).not.toContain('/surely/not');
  });
});

describe('rate limits and queue depth on a second server', () => {
  let low: Harness;
  beforeAll(async () => {
    // No queue runs here: submitted jobs stay pending.
    low = await startHarness(pgliteBackend, { env: { RATE_LIMIT_PUBLIC: '2' } });
  }, 60_000);
  afterAll(async () => low.close(), 30_000);

  it('counts a rejected request in its class, from zero', async () => {
    const before = await scrape();
    expect(sample(before, 'tars_eval_rate_limit_rejections_total', { class: 'evaluate' })).toBeDefined();
    const codes: number[] = [];
    for (let i = 0; i < 3; i++)
      codes.push((await low.app.inject({ method: 'GET', url: '/health' })).statusCode);
    expect(codes).toEqual([200, 200, 429]);
    const after = await scrape();
    const delta = (cls: string) =>
      v(after, 'tars_eval_rate_limit_rejections_total', { class: cls }) -
      v(before, 'tars_eval_rate_limit_rejections_total', { class: cls });
    expect(delta('public')).toBe(1);
    expect(delta('auth')).toBe(0);
  });

  it('reads queue depth and the oldest due pending age from the database', async () => {
    const dev = await low.login('developer');
    const sub = await low.app.inject({
      method: 'POST',
      url: '/v1/evaluate',
      payload: request,
      headers: bearer(dev.access_token),
    });
    expect(sub.statusCode, sub.body).toBe(202);
    await low.tdb.database.db.execute(
      sql`update evaluation_jobs set created_at = now() - interval '90 seconds'`,
    );
    // Rate limits are kept per route: /metrics of `low` has its own budget of two.
    const s = await scrape(low);
    expect(sample(s, 'tars_eval_queue_depth', { status: 'pending' })).toBe(1);
    expect(sample(s, 'tars_eval_queue_depth', { status: 'running' })).toBe(0);
    const age = sample(s, 'tars_eval_queue_oldest_pending_age_seconds') ?? 0;
    expect(age).toBeGreaterThanOrEqual(90);
    expect(age).toBeLessThan(600);
  });
});

describe('the metrics server of a worker process', () => {
  it('answers /metrics, /health, /health/live and nothing else on its port', async () => {
    const server = await startMetricsServer({
      port: 0,
      health: async () => ({ status: 'healthy', checks: { postgres: { status: 'up', latency_ms: 1 } } }),
    });
    try {
      expect(server.port).toBeGreaterThan(0);
      const metrics = await fetch(`${server.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await metrics.text();
      expect(text).toMatch(/^tars_eval_jobs_total\{outcome="completed"\} \d+/m);
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'healthy' });
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
      expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('answers 503 when a dependency is down', async () => {
    const server = await startMetricsServer({
      port: 0,
      health: async () => ({
        status: 'unhealthy',
        checks: { redis: { status: 'down', latency_ms: 3, error: 'ECONNREFUSED' } },
      }),
    });
    try {
      expect((await fetch(`${server.url}/health`)).status).toBe(503);
      const live = await fetch(`${server.url}/health/live`);
      expect(live.status).toBe(200);
      expect(await live.json()).toMatchObject({ status: 'alive' });
    } finally {
      await server.close();
    }
  });
});

/**
 * The whole path on each engine: login → POST /v1/evaluate?wait=true → the embedded queue runs
 * the real evaluation on a worker thread → the finished job with its result; then the job
 * read back, a baseline from it, and token rotation. PostgreSQL runs on a fresh database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJobResults } from '../../src/store/index.js';
import { type Backend, pgliteBackend, postgresBackend } from '../store/backends.js';
import { bearer, type Harness, quickPpoRequest, startHarness } from './harness.js';

const request = quickPpoRequest({ agent_type: 'PPO' });

for (const backend of [pgliteBackend, postgresBackend] as Backend[]) {
  describe(`end to end on ${backend.name}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(backend, { realQueue: true });
    }, 60_000);
    afterAll(async () => h.close(), 30_000);

    it('evaluates for real and serves the result', async () => {
      const dev = await h.login('developer');
      const res = await h.app.inject({
        method: 'POST',
        url: '/v1/evaluate?wait=true&timeout=90',
        payload: request,
        headers: { ...bearer(dev.access_token), 'idempotency-key': 'e2e-1' },
      });
      expect(res.statusCode, res.body).toBe(200);
      const job = res.json();
      expect(job).toMatchObject({ status: 'completed', progress: 1, agent_type: 'ppo', error: null });
      const r = job.result.results['CartPole-v1'];
      expect(r.metrics.num_episodes).toBe(5);
      expect(r.metrics.episode_returns).toHaveLength(5);
      expect(r.training.total_timesteps).toBeGreaterThanOrEqual(256);
      // CartPole pays +1 per step, so each return equals its episode length.
      expect(r.metrics.episode_returns).toEqual(r.metrics.episode_lengths);
      expect(await getJobResults(h.tdb.database.db, job.job_id)).toHaveLength(1);

      const viewer = await h.login('viewer');
      const got = await h.app.inject({
        method: 'GET',
        url: `/v1/jobs/${job.job_id}`,
        headers: bearer(viewer.access_token),
      });
      expect(got.json().result.results['CartPole-v1'].metrics.mean_reward).toBe(r.metrics.mean_reward);

      // The same key again: the same (finished) job, not a new evaluation.
      const again = await h.app.inject({
        method: 'POST',
        url: '/v1/evaluate',
        payload: request,
        headers: { ...bearer(dev.access_token), 'idempotency-key': 'e2e-1' },
      });
      expect(again.statusCode).toBe(200);
      expect(again.json().job_id).toBe(job.job_id);

      // Its metrics become a baseline, linked to the job.
      const admin = await h.login('admin');
      const ins = await h.app.inject({
        method: 'POST',
        url: '/v1/baselines',
        headers: bearer(admin.access_token),
        payload: {
          agent_type: 'ppo',
          environment: 'CartPole-v1',
          metrics: r.metrics,
          source_job_id: job.job_id,
        },
      });
      expect(ins.statusCode, ins.body).toBe(201);
      expect(ins.json()).toMatchObject({
        rank: 1,
        version: 1,
        is_new_best: true,
        baseline: { source_job_id: job.job_id },
      });
      const view = await h.app.inject({
        method: 'GET',
        url: '/v1/baselines/ppo?environment=CartPole-v1',
        headers: bearer(viewer.access_token),
      });
      expect(view.json().best.metrics.mean_reward).toBe(r.metrics.mean_reward);
    }, 120_000);

    it('rotates refresh tokens and detects reuse', async () => {
      const first = await h.login('viewer');
      const r1 = await h.app.inject({
        method: 'POST',
        url: '/auth/refresh',
        payload: { refresh_token: first.refresh_token },
      });
      expect(r1.statusCode).toBe(200);
      const reuse = await h.app.inject({
        method: 'POST',
        url: '/auth/refresh',
        payload: { refresh_token: first.refresh_token },
      });
      expect(reuse.statusCode).toBe(401);
      const second = await h.app.inject({
        method: 'POST',
        url: '/auth/refresh',
        payload: { refresh_token: r1.json().refresh_token },
      });
      expect(second.statusCode).toBe(401);
    });

    it('reports health with the database latency', async () => {
      const res = await h.app.inject({ method: 'GET', url: '/health' });
      expect(res.json()).toMatchObject({ status: 'healthy', checks: { postgres: { status: 'up' } } });
    });
  });
}

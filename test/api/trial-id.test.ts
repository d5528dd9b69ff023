import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteBackend } from '../store/backends.js';
import { bearer, type Harness, startHarness } from './harness.js';

let h: Harness;
let token: string;

beforeAll(async () => {
  h = await startHarness(pgliteBackend);
  token = (await h.login('developer')).access_token;
}, 60_000);
afterAll(async () => h.close());

describe('AutoML trial fields', () => {
  it('stores trial_id with the job and returns it, and rejects a non-http callback_url', async () => {
    const request = {
      agent_type: 'ppo',
      environments: ['CartPole-v1'],
      training: { total_timesteps: 64 },
      hyperparameters: { n_steps: 32, batch_size: 32, n_epochs: 1 },
      num_episodes: 2,
      trial_id: 'trial-0042',
    };
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/evaluate',
      headers: bearer(token),
      payload: request,
    });
    expect(res.statusCode).toBe(202);
    const { job_id } = res.json();
    const job = await h.app.inject({ method: 'GET', url: `/v1/jobs/${job_id}`, headers: bearer(token) });
    expect(job.statusCode).toBe(200);
    expect(job.json().trial_id).toBe('trial-0042');

    const bad = await h.app.inject({
      method: 'POST',
      url: '/v1/evaluate',
      headers: bearer(token),
      payload: { ...request, callback_url: 'ftp://example.invalid/cb' },
    });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(bad.json())).toContain('callback_url');
  });
});

describe('callback_url allow-list (AUTOML_CALLBACK_ALLOWED_HOSTS)', () => {
  it('rejects a callback host outside the list with a 400 naming callback_url, and stores nothing', async () => {
    const guarded = await startHarness(pgliteBackend, {
      env: { AUTOML_CALLBACK_ALLOWED_HOSTS: 'automl.internal,*.trials.example.org' },
    });
    try {
      const dev = (await guarded.login('developer')).access_token;
      const request = {
        agent_type: 'ppo',
        environments: ['CartPole-v1'],
        training: { total_timesteps: 64 },
        hyperparameters: { n_steps: 32, batch_size: 32, n_epochs: 1 },
        num_episodes: 2,
      };
      const bad = await guarded.app.inject({
        method: 'POST',
        url: '/v1/evaluate',
        headers: bearer(dev),
        payload: { ...request, callback_url: 'http://169.254.169.254/latest/meta-data' },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: 'validation', details: { field: 'callback_url' } });
      expect(bad.json().message).toContain('callback_url');
      expect(bad.json().message).toContain('169.254.169.254');
      expect(guarded.enqueued).toHaveLength(0);

      const ok = await guarded.app.inject({
        method: 'POST',
        url: '/v1/evaluate',
        headers: bearer(dev),
        payload: { ...request, callback_url: 'https://a.trials.example.org/cb' },
      });
      expect(ok.statusCode).toBe(202);
      expect(guarded.enqueued).toEqual([ok.json().job_id]);
    } finally {
      await guarded.close();
    }
  });
});

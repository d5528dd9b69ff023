/**
 * Access tokens answer to the account behind them: disabling an account or lowering its role
 * takes effect at the next request (the account cache drops the entry on the NOTIFY of the
 * change), not when the token expires — on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getUserByUsername, setUserDisabled, setUserRole } from '../../src/store/index.js';
import { type Backend, pgliteBackend, postgresBackend } from '../store/backends.js';
import { bearer, type Harness, startHarness } from './harness.js';

const BASELINE = {
  agent_type: 'ppo',
  environment: 'CartPole-v1',
  metrics: {
    mean_reward: 400,
    std_reward: 20,
    num_episodes: 10,
  },
};

describe.each<[string, Backend]>([
  ['PGlite', pgliteBackend],
  ['PostgreSQL', postgresBackend],
])('account changes reach live access tokens (%s)', (_name, backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend);
  }, 60_000);
  afterAll(async () => h.close());

  const jobs = (token: string) =>
    h.app.inject({
      method: 'GET',
      url: '/v1/jobs/00000000-0000-4000-8000-000000000000',
      headers: bearer(token),
    });

  /** The cache learns of a change through NOTIFY; poll briefly for its delivery. */
  async function eventually(check: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 50; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the change did not take effect within 1 s');
  }

  it('a disabled account is refused at once, and served again when re-enabled', async () => {
    const { access_token } = await h.login('developer');
    expect((await jobs(access_token)).statusCode).toBe(404); // authenticated: the job does not exist
    const user = await getUserByUsername(h.tdb.database.db, 'developer');
    await setUserDisabled(h.tdb.database.db, user!.id, true, 'test');
    await eventually(async () => (await jobs(access_token)).statusCode === 401);
    const refused = await jobs(access_token);
    expect(refused.json()).toMatchObject({ error: 'unauthorized', details: { reason: 'disabled' } });
    expect(refused.json().message).toContain('disabled');

    await setUserDisabled(h.tdb.database.db, user!.id, false, 'test');
    await eventually(async () => (await jobs(access_token)).statusCode === 404);
  });

  it('a lowered role counts at once, though the token still names the old one', async () => {
    const { access_token } = await h.login('admin');
    const post = () =>
      h.app.inject({
        method: 'POST',
        url: '/v1/baselines',
        headers: bearer(access_token),
        payload: BASELINE,
      });
    const before = await post();
    expect(before.statusCode, before.body).not.toBe(403);
    const user = await getUserByUsername(h.tdb.database.db, 'admin');
    await setUserRole(h.tdb.database.db, user!.id, 'viewer', 'test');
    await eventually(async () => (await post()).statusCode === 403);
    const refused = await post();
    expect(refused.json()).toMatchObject({ details: { required: 'admin', role: 'viewer' } });
    // Viewer routes still work.
    expect((await jobs(access_token)).statusCode).toBe(404);
  });
});

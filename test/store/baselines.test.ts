import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors.js';
import type { BaselineMetrics } from '../../src/evaluation/schemas.js';
import { listAudit } from '../../src/store/audit.js';
import {
  beatsBest,
  getBaselineHistory,
  getBestBaseline,
  insertBaseline,
  listBaselines,
  listRetiredBaselines,
  rollbackBaseline,
} from '../../src/store/baselines.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import type { Baseline } from '../../src/store/schema.js';
import { backends, type TestDatabase } from './backends.js';
import { metrics } from './fixtures.js';

/** Summary-only metrics (no CI): the mean-only branch of the rule. */
const plain = (mean: number): BaselineMetrics => ({ num_episodes: 10, mean_reward: mean, std_reward: 1 });
/** Metrics with a mean CI; `metrics()` computes mean 100 for returns [90, 110]. */
const withCi = (returns: number[], low: number, high: number) => metrics(returns, { low, high });

/** Active records: exactly one rank 1, ranks a permutation of 1..n, ranks 2.. by mean desc. */
function expectConsistent(rows: Baseline[]): void {
  const active = rows.filter((r) => r.retired_at === null);
  const ranks = active.map((r) => r.rank).sort((a, b) => (a as number) - (b as number));
  expect(ranks).toEqual(active.map((_, i) => i + 1));
  const rest = active.filter((r) => r.rank !== 1).sort((a, b) => (a.rank as number) - (b.rank as number));
  for (let i = 1; i < rest.length; i++)
    expect(rest[i - 1].mean_reward).toBeGreaterThanOrEqual(rest[i].mean_reward);
}

describe('promotion rule', () => {
  it('with a CI: its lower bound must exceed the best mean; without: the mean must', () => {
    expect(beatsBest(withCi([100, 120], 105, 115), { mean_reward: 104.9 })).toBe(true);
    expect(beatsBest(withCi([100, 120], 105, 115), { mean_reward: 105 })).toBe(false); // strict
    expect(beatsBest(withCi([100, 120], 95, 125), { mean_reward: 100 })).toBe(false); // higher mean, weak evidence
    expect(beatsBest(plain(101), { mean_reward: 100 })).toBe(true);
    expect(beatsBest(plain(100), { mean_reward: 100 })).toBe(false); // ties keep the incumbent
  });
});

describe.each(backends)('baselines on $name', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await backend.open();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('versions, ranking by the rule, history, rollback with audit', async () => {
    const db = t.database.db;
    const k = ['ppo', 'CartPole-v1'] as const;
    expect(await getBestBaseline(db, ...k)).toBeNull();
    // v1 mean 100 (returns 90, 110): first record is rank 1.
    const v1 = await insertBaseline(
      db,
      {
        agent_type: k[0],
        environment: k[1],
        metrics: withCi([90, 110], 95, 105),
        hyperparameters: { lr: 3e-4 },
      },
      'root',
    );
    expect([v1.version, v1.rank, v1.is_new_best]).toEqual([1, 1, true]);
    // v2 mean 110 but CI low 95 < 100: not convincingly better → rank 2.
    const v2 = await insertBaseline(db, {
      agent_type: k[0],
      environment: k[1],
      metrics: withCi([100, 120], 95, 125),
    });
    expect([v2.version, v2.rank, v2.is_new_best]).toEqual([2, 2, false]);
    // v3 mean 106, CI low 101 > 100 → new rank 1; v2 (110) rank 2, v1 (100) rank 3.
    const v3 = await insertBaseline(db, {
      agent_type: k[0],
      environment: k[1],
      metrics: withCi([104, 108], 101, 111),
    });
    expect([v3.version, v3.rank, v3.is_new_best]).toEqual([3, 1, true]);
    expect(v3.baseline.previous_best_id).toBe(v1.baseline.id);
    // v4 mean 50 → last.
    const v4 = await insertBaseline(db, {
      agent_type: k[0],
      environment: k[1],
      metrics: withCi([40, 60], 45, 55),
    });
    expect([v4.version, v4.rank, v4.is_new_best]).toEqual([4, 4, false]);

    const history = await getBaselineHistory(db, ...k, 10);
    expect(history.map((b) => [b.version, b.rank])).toEqual([
      [3, 1],
      [2, 2],
      [1, 3],
      [4, 4],
    ]);
    expect((await getBaselineHistory(db, ...k, 2)).map((b) => b.version)).toEqual([3, 2]);
    expect((await getBestBaseline(db, ...k))?.version).toBe(3);
    expect(history[2].hyperparameters).toEqual({ lr: 3e-4 });
    expect(history[0].metrics.episode_returns).toEqual([104, 108]);
    expectConsistent(await listBaselines(db, { agent_type: k[0], environment: k[1] }));

    // Rollback: v1 (displaced by v3) is rank 1 again; v3 is retired; v2, v4 re-ranked.
    const rb = await rollbackBaseline(db, ...k, 'root', 'bad deploy');
    expect(rb.restored.version).toBe(1);
    expect(rb.retired.version).toBe(3);
    expect(rb.retired.rank).toBeNull();
    expect(rb.retired.retired_at).not.toBeNull();
    expect((await getBaselineHistory(db, ...k, 10)).map((b) => [b.version, b.rank])).toEqual([
      [1, 1],
      [2, 2],
      [4, 3],
    ]);
    expect((await listRetiredBaselines(db, ...k)).map((b) => b.version)).toEqual([3]);
    expect(await listBaselines(db, { agent_type: k[0], environment: k[1] })).toHaveLength(3);
    expect(
      await listBaselines(db, { agent_type: k[0], environment: k[1], include_retired: true }),
    ).toHaveLength(4);
    const audit = await listAudit(db, { entity: 'baseline', limit: 100 });
    const rollbackEntry = audit.find((a) => a.action === 'baseline.rollback');
    expect(rollbackEntry?.actor).toBe('root');
    expect(rollbackEntry?.details).toMatchObject({
      restored_version: 1,
      retired_version: 3,
      reason: 'bad deploy',
    });
    expect(
      audit.filter((a) => a.action === 'baseline.insert' && a.details.agent_type === 'ppo'),
    ).toHaveLength(4);

    // v1 displaced nobody: nothing to roll back to. Versions are never reused.
    await expect(rollbackBaseline(db, ...k)).rejects.toBeInstanceOf(ConflictError);
    await expect(rollbackBaseline(db, 'ppo', 'Nowhere-v0')).rejects.toBeInstanceOf(NotFoundError);
    const v5 = await insertBaseline(db, { agent_type: k[0], environment: k[1], metrics: plain(1000) });
    expect([v5.version, v5.rank, v5.is_new_best]).toEqual([5, 1, true]);
    expect(v5.baseline.previous_best_id).toBe(v1.baseline.id);
  });

  it('keys are independent and bad input is refused', async () => {
    const db = t.database.db;
    const a = await insertBaseline(db, { agent_type: 'dqn', environment: 'Acrobot-v1', metrics: plain(-90) });
    const b = await insertBaseline(db, {
      agent_type: 'dqn',
      environment: 'MountainCar-v0',
      metrics: plain(-150),
    });
    expect([a.version, b.version]).toEqual([1, 1]);
    const c = await insertBaseline(db, { agent_type: 'dqn', environment: 'Acrobot-v1', metrics: plain(-80) });
    expect([c.version, c.rank, c.is_new_best]).toEqual([2, 1, true]);
    await expect(
      insertBaseline(db, { agent_type: '', environment: 'Acrobot-v1', metrics: plain(1) }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      insertBaseline(db, { agent_type: 'dqn', environment: 'Acrobot-v1', metrics: plain(Number.NaN) }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('ranking stays consistent through many inserts (means drawn from a fixed list)', async () => {
    const db = t.database.db;
    // Fixed pseudo-random means (LCG x → (75x + 74) mod 65537, scaled), so the test is deterministic.
    let x = 12345;
    for (let i = 0; i < 15; i++) {
      x = (75 * x + 74) % 65537;
      await insertBaseline(db, { agent_type: 'a2c', environment: 'Pendulum-v1', metrics: plain(x / 100) });
      expectConsistent(await listBaselines(db, { agent_type: 'a2c', environment: 'Pendulum-v1' }));
    }
  });

  it('concurrent inserts from distinct connections: versions 1..10, ranks a permutation of 1..10', async () => {
    const clients: Database[] =
      backend.name === 'postgres'
        ? await Promise.all(
            Array.from({ length: 10 }, () => openDatabase({ databaseUrl: t.url, poolSize: 1 })),
          )
        : Array.from({ length: 10 }, () => t.database);
    try {
      const means = [12, 55, 31, 90, 7, 64, 48, 23, 77, 39];
      const out = await Promise.all(
        clients.map((c, i) =>
          insertBaseline(c.db, {
            agent_type: 'sac',
            environment: 'LunarLander-v3',
            metrics: plain(means[i]),
          }),
        ),
      );
      expect(out.map((o) => o.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const rows = await listBaselines(t.database.db, { agent_type: 'sac', environment: 'LunarLander-v3' });
      expect(rows).toHaveLength(10);
      expectConsistent(rows);
      // Without CIs the best after all inserts is a running maximum in version order: the record
      // with the highest mean (90) became rank 1 when inserted, and nothing later beats it.
      expect((await getBestBaseline(t.database.db, 'sac', 'LunarLander-v3'))?.mean_reward).toBe(90);
    } finally {
      if (backend.name === 'postgres') await Promise.all(clients.map((c) => c.close()));
    }
  });
});

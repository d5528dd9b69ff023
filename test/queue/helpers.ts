/** Shared set-up of the queue tests: migrated databases and small evaluation requests. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { EvaluationRequest } from '../../src/evaluation/schemas.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { getJobResults } from '../../src/store/jobs.js';
import { migrateUp } from '../../src/store/migrate.js';

export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** PPO trained briefly on CartPole and played for 5 episodes: a real evaluation in ~0.4 s. */
export function smallRequest(overrides: Partial<EvaluationRequest> = {}): EvaluationRequest {
  return {
    agent_type: 'ppo',
    environments: ['CartPole-v1'],
    num_episodes: 5,
    seed: 7,
    training: { total_timesteps: 2000, seed: 0 },
    ...overrides,
  };
}

export async function memoryDatabase(): Promise<Database> {
  const database = await openDatabase({ dataDir: 'memory://' });
  await migrateUp(database.db);
  return database;
}

/** A fresh PostgreSQL database (tars_q_<random>), migrated; `drop` removes it. */
export async function freshPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tars_q_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.href, poolSize: 2 });
  await migrateUp(database.db);
  await database.close();
  return {
    url: url.href,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function resultCount(database: Database, jobId: string): Promise<number> {
  return (await getJobResults(database.db, jobId)).length;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 25,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

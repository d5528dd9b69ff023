import { getTableColumns, getTableName, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../src/store/database.js';
import { appliedMigrations, loadMigrations, migrateDown, migrateUp } from '../../src/store/migrate.js';
import { schema } from '../../src/store/schema.js';
import { backends, type TestDatabase } from './backends.js';

const TABLES = Object.values(schema).map((t) => getTableName(t));

describe.each(backends)('migrations on $name', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await backend.open({ migrate: false });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  const tables = async () =>
    (
      await queryRows<{ table_name: string }>(
        t.database.db,
        sql`select table_name from information_schema.tables where table_schema = current_schema()`,
      )
    )
      .map((r) => r.table_name)
      .filter((n) => n !== 'tars_migrations')
      .sort();

  it('up, up again (no-op), down, up: idempotent and reversible', async () => {
    const ids = loadMigrations().map((m) => m.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(await migrateUp(t.database.db)).toEqual(ids);
    expect(await tables()).toEqual([...TABLES].sort());
    expect(await migrateUp(t.database.db)).toEqual([]);
    expect(await migrateDown(t.database.db, { steps: Number.POSITIVE_INFINITY })).toEqual([...ids].reverse());
    expect(await tables()).toEqual([]);
    expect(await appliedMigrations(t.database.db)).toEqual([]);
    expect(await migrateDown(t.database.db)).toEqual([]);
    expect(await migrateUp(t.database.db)).toEqual(ids);
    expect(await appliedMigrations(t.database.db)).toEqual(ids);
  });

  it('the SQL migrations create exactly the columns the drizzle schema declares', async () => {
    for (const table of Object.values(schema)) {
      const name = getTableName(table);
      const cols = await queryRows<{ column_name: string; is_nullable: string }>(
        t.database.db,
        sql`select column_name, is_nullable from information_schema.columns
            where table_schema = current_schema() and table_name = ${name}`,
      );
      const declared = Object.values(getTableColumns(table));
      expect(cols.map((c) => c.column_name).sort(), name).toEqual(declared.map((c) => c.name).sort());
      for (const c of declared) {
        const db = cols.find((x) => x.column_name === c.name);
        expect(db?.is_nullable === 'NO', `${name}.${c.name} not null`).toBe(c.notNull);
      }
    }
  });

  // PGlite is a single connection in one process: only a server has concurrent migrators.
  if (backend.name === 'postgres') {
    it('concurrent migrators (separate connections) apply each migration once', async () => {
      const fresh = await backend.open({ migrate: false });
      const others = await Promise.all(
        [0, 1, 2].map(() => openDatabase({ databaseUrl: fresh.url, poolSize: 1 })),
      );
      try {
        const runs = await Promise.all(others.map((o) => migrateUp(o.db)));
        const ids = loadMigrations().map((m) => m.id);
        expect(runs.flat().sort()).toEqual(ids);
        expect(await appliedMigrations(fresh.database.db)).toEqual(ids);
      } finally {
        await Promise.all(others.map((o) => o.close()));
        await fresh.dispose();
      }
    });
  }

  it('ping reports a latency', async () => {
    const p = await t.database.ping();
    expect(p.ok).toBe(true);
    expect(p.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('a transaction that throws leaves nothing behind', async () => {
    await expect(
      t.database.transaction(async (tx) => {
        await tx.execute(sql`insert into audit_log (action, entity) values ('x', 'tx-test')`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const rows = await queryRows(t.database.db, sql`select 1 from audit_log where entity = 'tx-test'`);
    expect(rows).toHaveLength(0);
  });
});

describe('PGlite on disk', () => {
  it('keeps data across a close and reopen (a pending job survives a restart)', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openDatabase, defaultDataDir, databaseConfigFromEnv } = await import(
      '../../src/store/database.js'
    );
    const { createJob, getJob } = await import('../../src/store/jobs.js');
    expect(defaultDataDir({})).toBe(join('.tars', 'pgdata'));
    expect(defaultDataDir({ TARS_DATA_DIR: '/var/lib/tars' })).toBe(join('/var/lib/tars', 'pgdata'));
    expect(databaseConfigFromEnv({ DATABASE_URL: 'postgres://h/db' })).toEqual({
      databaseUrl: 'postgres://h/db',
    });
    const dir = mkdtempSync(join(tmpdir(), 'tars-pglite-'));
    try {
      // A nested directory that does not exist yet, like ./.tars/pgdata on a fresh checkout.
      const dataDir = join(dir, 'nested', 'pgdata');
      const first = await openDatabase({ dataDir });
      await migrateUp(first.db);
      const { job } = await createJob(first.db, {
        request: { agent_type: 'dqn', environments: ['CartPole-v1'] } as never,
      });
      await first.close();
      const second = await openDatabase({ dataDir });
      expect(await migrateUp(second.db)).toEqual([]);
      expect((await getJob(second.db, job.id))?.status).toBe('pending');
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

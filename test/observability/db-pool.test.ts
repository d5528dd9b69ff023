/**
 * Database metrics against a real PostgreSQL server: the node-postgres pool's connection
 * gauges at scrape time, and query durations and errors by operation.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrapeMetrics } from '../../src/observability/scrape.js';
import { queryOperation } from '../../src/store/database.js';
import type { TestDatabase } from '../store/backends.js';
import { postgresBackend } from '../store/backends.js';
import { parseExposition, sample } from './exposition.js';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await postgresBackend.open();
}, 60_000);
afterAll(async () => tdb.dispose(), 30_000);

const pool = async () => {
  const s = parseExposition(await scrapeMetrics());
  const state = (k: string) => sample(s, 'tars_eval_db_pool_connections', { state: k }) ?? Number.NaN;
  return { total: state('total'), idle: state('idle'), waiting: state('waiting'), s };
};

describe('PostgreSQL pool metrics', () => {
  it('reports the pool connections, busy ones included, at scrape time', async () => {
    await tdb.database.db.execute(sql`select 1`);
    const idle = await pool();
    expect(idle.total).toBeGreaterThanOrEqual(1);
    expect(idle.idle).toBe(idle.total);
    expect(idle.waiting).toBe(0);
    // Inside a transaction one connection is checked out of the pool.
    const during = await tdb.database.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      return pool();
    });
    expect(during.total - during.idle).toBeGreaterThanOrEqual(1);
  });

  it('times queries and counts failures by operation', async () => {
    const before = (await pool()).s;
    await tdb.database.db.execute(sql`select 1`);
    await expect(tdb.database.db.execute(sql`select * from no_such_table`)).rejects.toThrow();
    const after = (await pool()).s;
    const delta = (name: string, operation: string) =>
      (sample(after, name, { operation }) ?? 0) - (sample(before, name, { operation }) ?? 0);
    expect(delta('tars_eval_db_query_duration_seconds_count', 'select')).toBe(2);
    expect(delta('tars_eval_db_errors_total', 'select')).toBe(1);
  });

  it('labels statements by their first keyword', () => {
    expect(queryOperation('select 1')).toBe('select');
    expect(queryOperation('  (SELECT 1)')).toBe('select');
    expect(queryOperation('insert into t values (1)')).toBe('insert');
    expect(queryOperation('UPDATE t set a = 1')).toBe('update');
    expect(queryOperation('delete from t')).toBe('delete');
    expect(queryOperation('with x as (select 1) select * from x')).toBe('other');
    expect(queryOperation('begin')).toBe('other');
    expect(queryOperation(undefined)).toBe('other');
  });
});

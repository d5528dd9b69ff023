/**
 * The two engines every store suite runs on. PGlite: a fresh in-memory instance. PostgreSQL: a
 * fresh database `tars_test_<random>` created on the server at TARS_TEST_POSTGRES_URL (default
 * the CI server, postgres://postgres@127.0.0.1:5432/test) and dropped afterwards, so runs never
 * collide. An unreachable server makes the PostgreSQL suites fail, not skip.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/store/database.js';
import { migrateUp } from '../../src/store/migrate.js';

export const POSTGRES_URL = process.env.TARS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  database: Database;
  /** connection string of the PostgreSQL test database (undefined for PGlite) */
  url?: string;
  dispose(): Promise<void>;
}

export interface Backend {
  name: 'pglite' | 'postgres';
  open(options?: { migrate?: boolean }): Promise<TestDatabase>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export const pgliteBackend: Backend = {
  name: 'pglite',
  async open({ migrate = true } = {}) {
    const database = await openDatabase({ dataDir: 'memory://' });
    if (migrate) await migrateUp(database.db);
    return { database, dispose: () => database.close() };
  },
};

export const postgresBackend: Backend = {
  name: 'postgres',
  async open({ migrate = true } = {}) {
    const name = `tars_test_${randomBytes(6).toString('hex')}`;
    await admin((c) => c.query(`create database ${name}`));
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${name}`;
    const database = await openDatabase({ databaseUrl: url.toString() });
    if (migrate) await migrateUp(database.db);
    return {
      database,
      url: url.toString(),
      async dispose() {
        await database.close();
        await admin((c) => c.query(`drop database if exists ${name} with (force)`));
      },
    };
  },
};

export const backends: Backend[] = [pgliteBackend, postgresBackend];

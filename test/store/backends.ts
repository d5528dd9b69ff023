/**
 * The two engines every store suite runs on. PGlite: a fresh in-memory instance. PostgreSQL: a
 * fresh database `tars_test_<random>` created on the server at TARS_TEST_POSTGRES_URL (default
 * the CI server, postgres://postgres@127.0.0.1:5432/test) and dropped afterwards, so runs never
 * collide. An unreachable server makes the PostgreSQL suites fail, not skip.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { type Database, fromPglite, openDatabase } from '../../src/store/database.js';
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

/** Runs `fn` on a client of the server's maintenance connection (create/drop databases). */
export async function adminQuery<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A migrated PGlite data directory, dumped once and cached in the temp directory under a key
 * of the PGlite version and the migration files: starting from it skips initdb and the
 * migrations (about 1 s instead of 4 s per instance on a busy 2-core machine).
 */
function templatePath(): string {
  const hash = createHash('sha256').update(
    readFileSync(
      fileURLToPath(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url)),
    ),
  );
  const dir = fileURLToPath(new URL('../../src/store/migrations/', import.meta.url));
  for (const m of readdirSync(dir).sort()) {
    for (const f of ['up.sql', 'down.sql']) hash.update(readFileSync(join(dir, m, f)));
  }
  return join(tmpdir(), `tars-pglite-template-${hash.digest('hex').slice(0, 16)}.tar.gz`);
}

async function openMigratedPglite(): Promise<Database> {
  const path = templatePath();
  if (existsSync(path)) {
    const client = new PGlite({ loadDataDir: new Blob([readFileSync(path)]) });
    await client.waitReady;
    const database = fromPglite(client);
    await migrateUp(database.db); // a no-op on a good template; repairs a stale one
    return database;
  }
  const client = new PGlite();
  await client.waitReady;
  const database = fromPglite(client);
  await migrateUp(database.db);
  const dump = await client.dumpDataDir('gzip');
  // Write then rename: parallel test workers never see a half-written template.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
  renameSync(tmp, path);
  return database;
}

export const pgliteBackend: Backend = {
  name: 'pglite',
  async open({ migrate = true } = {}) {
    const database = migrate ? await openMigratedPglite() : await openDatabase({ dataDir: 'memory://' });
    return { database, dispose: () => database.close() };
  },
};

export const postgresBackend: Backend = {
  name: 'postgres',
  async open({ migrate = true } = {}) {
    const name = `tars_test_${randomBytes(6).toString('hex')}`;
    await adminQuery((c) => c.query(`create database ${name}`));
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${name}`;
    const database = await openDatabase({ databaseUrl: url.toString() });
    if (migrate) await migrateUp(database.db);
    return {
      database,
      url: url.toString(),
      async dispose() {
        await database.close();
        await adminQuery((c) => c.query(`drop database if exists ${name} with (force)`));
      },
    };
  },
};

export const backends: Backend[] = [pgliteBackend, postgresBackend];

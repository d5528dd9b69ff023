/**
 * The migrator: SQL files in `migrations/NNNN_name/{up,down}.sql` (other entries are ignored),
 * applied in name order, each in its own transaction together with its row in
 * `tars_migrations`, so a migration is either fully applied and recorded or not at all. The same files serve PGlite and PostgreSQL.
 * Statements inside a file are separated by drizzle-kit's `--> statement-breakpoint` marker,
 * because a prepared statement (how PGlite's drizzle driver sends SQL) holds one statement.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { Db } from './database.js';
import { queryRows } from './database.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Arbitrary constant key of the advisory lock that serialises concurrent migrators. */
const MIGRATION_LOCK_KEY = 7_346_121;

export interface Migration {
  id: string;
  up: string[];
  down: string[];
}

function splitStatements(text: string): string[] {
  return text
    .split('--> statement-breakpoint')
    .map((s) =>
      s
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter((s) => s.length > 0);
}

/** The migrations shipped with the package, in order. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d{4}_[a-z0-9_]+$/.test(d.name))
    .map((d) => d.name)
    .sort()
    .map((id) => ({
      id,
      up: splitStatements(readFileSync(`${dir}/${id}/up.sql`, 'utf8')),
      down: splitStatements(readFileSync(`${dir}/${id}/down.sql`, 'utf8')),
    }));
}

/**
 * Creates the bookkeeping table under the migration lock: two processes starting at once (API
 * and worker) would otherwise race in CREATE TABLE IF NOT EXISTS, which PostgreSQL does not
 * make atomic (the loser fails on the pg_type unique index).
 */
async function ensureTable(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.execute(
      sql`create table if not exists tars_migrations (id text primary key, applied_at timestamptz not null default now())`,
    );
  });
}

/** Ids of the applied migrations, in order. */
export async function appliedMigrations(db: Db): Promise<string[]> {
  await ensureTable(db);
  const rows = await queryRows<{ id: string }>(db, sql`select id from tars_migrations order by id`);
  return rows.map((r) => r.id);
}

/** Applies every pending migration; returns the ids applied (none when up to date). */
export async function migrateUp(db: Db, migrations: Migration[] = loadMigrations()): Promise<string[]> {
  await ensureTable(db);
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      const seen = await queryRows<{ id: string }>(
        tx,
        sql`select id from tars_migrations where id = ${m.id}`,
      );
      if (seen.length > 0) return false;
      for (const stmt of m.up) await tx.execute(sql.raw(stmt));
      await tx.execute(sql`insert into tars_migrations (id) values (${m.id})`);
      return true;
    });
    if (done) applied.push(m.id);
  }
  return applied;
}

/**
 * Reverts the last `steps` applied migrations (default 1; `Infinity` for all); returns the ids
 * reverted, newest first.
 */
export async function migrateDown(
  db: Db,
  options: { steps?: number } = {},
  migrations: Migration[] = loadMigrations(),
): Promise<string[]> {
  await ensureTable(db);
  const steps = options.steps ?? 1;
  const reverted: string[] = [];
  while (reverted.length < steps) {
    const id = await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      const last = await queryRows<{ id: string }>(
        tx,
        sql`select id from tars_migrations order by id desc limit 1`,
      );
      if (last.length === 0) return null;
      const m = migrations.find((x) => x.id === last[0].id);
      if (!m) throw new Error(`applied migration ${last[0].id} is not known to this version of tars-eval`);
      for (const stmt of m.down) await tx.execute(sql.raw(stmt));
      await tx.execute(sql`delete from tars_migrations where id = ${m.id}`);
      return m.id;
    });
    if (id === null) break;
    reverted.push(id);
  }
  return reverted;
}

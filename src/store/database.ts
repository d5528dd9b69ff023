/**
 * One query API over two engines: PGlite (PostgreSQL compiled to WebAssembly, embedded, the
 * default — the engine runs with no server) and node-postgres against a PostgreSQL server
 * (when DATABASE_URL is set). Both sit behind drizzle, so every repository is written once
 * against `Db` and runs unchanged on either.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { UnavailableError } from '../errors.js';
import { engineMetrics } from '../observability/metrics.js';
import { addScrapeHook, DB_POOL_STATES, type DbOperation } from '../observability/scrape.js';
import { schema } from './schema.js';

export type Schema = typeof schema;

/** A drizzle database or transaction over the tars-eval schema; repositories take this. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface DatabaseConfig {
  /** postgres://… — use a PostgreSQL server through a node-postgres pool */
  databaseUrl?: string;
  /** PGlite data directory (or `memory://` for a throw-away in-memory database) */
  dataDir?: string;
  /** node-postgres pool size (default 10) */
  poolSize?: number;
}

export interface PingResult {
  ok: boolean;
  latency_ms: number;
  error?: string;
}

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** `SELECT 1` round trip, for /health. Never throws. */
  ping(): Promise<PingResult>;
  /**
   * Subscribes to NOTIFY on `channel` (LISTEN), so caches can learn of commits made by any
   * process. `onState(false)` says notifications may be missed from now on (the listening
   * connection was lost), `onState(true)` that they arrive again. Resolves once listening;
   * the returned function unsubscribes.
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    onState?: (listening: boolean) => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The PGlite directory when no DATABASE_URL is given: `$TARS_DATA_DIR/pgdata`, default `./.tars/pgdata`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.TARS_DATA_DIR ?? '.tars', 'pgdata');
}

/** Reads DATABASE_URL and TARS_DATA_DIR. */
export function databaseConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const url = env.DATABASE_URL?.trim();
  return url ? { databaseUrl: url } : { dataDir: defaultDataDir(env) };
}

type Listener = Database['listen'];

// --- Query and pool metrics ----------------------------------------------------------------
// Every query of either engine passes through `timed`: two clock reads, a look at the first
// word of the statement and one histogram observation, so the cost stays far below a round trip.

/** The statement's first keyword as a metric label (select, insert, update, delete or other). */
export function queryOperation(text: unknown): DbOperation {
  if (typeof text !== 'string') return 'other';
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) <= 32 || text[i] === '(')) i++;
  const word = text.slice(i, i + 6).toLowerCase();
  return word === 'select' || word === 'insert' || word === 'update' || word === 'delete' ? word : 'other';
}

function queryText(q: unknown): unknown {
  return q !== null && typeof q === 'object' ? (q as { text?: unknown }).text : q;
}

async function timed<T>(text: unknown, run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const operation = queryOperation(text);
  try {
    return await run();
  } catch (err) {
    engineMetrics().dbErrors.inc({ operation });
    throw err;
  } finally {
    engineMetrics().dbQueryDuration.observe({ operation }, (performance.now() - start) / 1000);
  }
}

interface PoolState {
  total: number;
  idle: number;
  waiting: number;
}

/** The connection figures of every open database of this process, summed at scrape time. */
const poolStates = new Set<() => PoolState>();
let poolHooked = false;

function watchPool(state: () => PoolState): () => void {
  poolStates.add(state);
  if (poolHooked) return unwatchPool(state);
  poolHooked = true;
  addScrapeHook(() => {
    const sum: PoolState = { total: 0, idle: 0, waiting: 0 };
    for (const s of poolStates) {
      const v = s();
      sum.total += v.total;
      sum.idle += v.idle;
      sum.waiting += v.waiting;
    }
    const gauge = engineMetrics().dbPoolConnections;
    for (const k of DB_POOL_STATES) gauge.set({ state: k }, sum[k]);
  });
  return unwatchPool(state);
}

function unwatchPool(state: () => PoolState): () => void {
  return () => {
    poolStates.delete(state);
  };
}

/** Times every query a node-postgres client runs (promise form; callback and cursor forms pass untimed). */
function instrumentPgClient(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const first = args[0] as { submit?: unknown } | undefined;
    if (typeof args[args.length - 1] === 'function' || typeof first?.submit === 'function') {
      return query(...args);
    }
    return timed(queryText(first), () => query(...args) as Promise<unknown>);
  };
}

/** Times every query of a PGlite instance and of its transactions; tracks its one connection. */
function instrumentPglite(client: PGlite): () => void {
  let inFlight = 0;
  type QueryFn = (...args: unknown[]) => Promise<unknown>;
  const wrapQuery = (target: { query: QueryFn }) => {
    const query = target.query.bind(target);
    target.query = (...args: unknown[]) => {
      inFlight++;
      return timed(args[0], () => query(...args)).finally(() => {
        inFlight--;
      });
    };
  };
  wrapQuery(client as unknown as { query: QueryFn });
  const transaction = client.transaction.bind(client);
  (client as unknown as { transaction: unknown }).transaction = (fn: (tx: unknown) => Promise<unknown>) =>
    transaction(async (tx) => {
      wrapQuery(tx as unknown as { query: QueryFn });
      return fn(tx);
    });
  // PGlite runs one statement at a time on its one connection; nothing ever waits in a pool.
  return watchPool(() => ({ total: 1, idle: inFlight === 0 ? 1 : 0, waiting: 0 }));
}

class DrizzleDatabase implements Database {
  constructor(
    readonly kind: 'pglite' | 'postgres',
    readonly db: Db,
    private readonly shutdown: () => Promise<void>,
    readonly listen: Listener,
  ) {}

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(tx as unknown as Db));
  }

  async ping(): Promise<PingResult> {
    const start = performance.now();
    try {
      await this.db.execute(sql`select 1`);
      return { ok: true, latency_ms: performance.now() - start };
    } catch (err) {
      return { ok: false, latency_ms: performance.now() - start, error: (err as Error).message };
    }
  }

  close(): Promise<void> {
    return this.shutdown();
  }
}

/** Wraps an open PGlite instance (e.g. one started from a `dumpDataDir` snapshot); `close()` closes it. */
export function fromPglite(client: PGlite): Database {
  const unwatch = instrumentPglite(client);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  // In-process: PGlite delivers its own NOTIFYs to listeners of the same instance, and there is
  // no connection to lose.
  const listen: Listener = async (channel, onNotify) => {
    const off = await client.listen(channel, onNotify);
    return async () => off();
  };
  return new DrizzleDatabase(
    'pglite',
    db,
    async () => {
      unwatch();
      await client.close();
    },
    listen,
  );
}

/** Seconds between attempts to re-establish a lost LISTEN connection. */
const RELISTEN_DELAY_MS = 1000;

/**
 * LISTEN on PostgreSQL needs a session of its own (a pooled client would be handed to other
 * queries), so each subscription holds one dedicated connection and re-opens it when lost.
 */
function postgresListener(connectionString: string): Listener {
  return async (channel, onNotify, onState) => {
    let stopped = false;
    let client: pg.Client | null = null;
    let timer: NodeJS.Timeout | undefined;
    const quoted = `"${channel.replaceAll('"', '""')}"`;
    const open = async (): Promise<void> => {
      const c = new pg.Client({ connectionString });
      c.on('notification', (m) => {
        if (m.channel === channel) onNotify(m.payload ?? '');
      });
      const lost = () => {
        if (client !== c) return;
        client = null;
        c.end().catch(() => {});
        if (stopped) return;
        onState?.(false);
        timer = setTimeout(retry, RELISTEN_DELAY_MS);
      };
      c.on('error', lost);
      c.on('end', lost);
      await c.connect();
      await c.query(`listen ${quoted}`);
      if (stopped) {
        await c.end().catch(() => {});
        return;
      }
      client = c;
    };
    const retry = () => {
      if (stopped) return;
      open().then(
        () => {
          if (!stopped) onState?.(true);
        },
        () => {
          if (!stopped) timer = setTimeout(retry, RELISTEN_DELAY_MS);
        },
      );
    };
    await open();
    return async () => {
      stopped = true;
      clearTimeout(timer);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    };
  };
}

/**
 * Opens the database: a node-postgres pool when `databaseUrl` is set, otherwise PGlite in
 * `dataDir` (default `defaultDataDir()`). Fails with UnavailableError when the server cannot
 * be reached, so callers learn at start-up rather than at the first request.
 */
export async function openDatabase(config: DatabaseConfig = databaseConfigFromEnv()): Promise<Database> {
  if (config.databaseUrl) {
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.poolSize ?? 10 });
    // An idle client losing its connection (server restart) must not crash the process.
    pool.on('error', () => {});
    pool.on('connect', instrumentPgClient);
    try {
      const client = await pool.connect();
      client.release();
    } catch (err) {
      await pool.end().catch(() => {});
      throw new UnavailableError(`cannot connect to PostgreSQL: ${(err as Error).message}`, undefined, {
        cause: err,
      });
    }
    const db = drizzleNodePg(pool, { schema }) as unknown as Db;
    const unwatch = watchPool(() => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }));
    const end = async () => {
      unwatch();
      await pool.end();
    };
    return new DrizzleDatabase('postgres', db, end, postgresListener(config.databaseUrl));
  }
  const dataDir = config.dataDir ?? defaultDataDir();
  let client: PGlite;
  try {
    if (dataDir === 'memory://') {
      client = new PGlite();
    } else {
      // PGlite creates only the last path component; `./.tars/pgdata` on a fresh checkout
      // needs `./.tars` first.
      mkdirSync(dataDir, { recursive: true });
      client = new PGlite(dataDir);
    }
    await client.waitReady;
  } catch (err) {
    throw new UnavailableError(`cannot open PGlite in ${dataDir}: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
  return fromPglite(client);
}

/** Rows of a raw `db.execute(sql…)`: both drivers return `{ rows }`. */
export async function queryRows<T>(db: Db, query: ReturnType<typeof sql>): Promise<T[]> {
  const res = (await db.execute(query)) as unknown as { rows: T[] };
  return res.rows;
}

/**
 * A server over a real database (PGlite in memory, or a fresh PostgreSQL database), with one
 * user per role, and optionally the real embedded queue running jobs on a worker thread.
 */
import type { FastifyInstance } from 'fastify';
import { createServer, type ServerDeps } from '../../src/api/index.js';
import { type Config, loadConfig } from '../../src/config.js';
import { EmbeddedQueue } from '../../src/queue/embedded.js';
import { EvaluationPool } from '../../src/queue/evaluation-pool.js';
import { createUser } from '../../src/store/index.js';
import type { Backend, TestDatabase } from '../store/backends.js';

export const PASSWORD = 'correct horse battery';
export const SECRET = 's'.repeat(48);

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: SECRET,
    RATE_LIMIT_PUBLIC: '10000',
    RATE_LIMIT_AUTH: '10000',
    RATE_LIMIT_EVALUATE: '10000',
    ...env,
  });
}

export interface Harness {
  app: FastifyInstance;
  tdb: TestDatabase;
  enqueued: string[];
  login(username: string): Promise<{ access_token: string; refresh_token: string }>;
  close(): Promise<void>;
}

export async function startHarness(
  backend: Backend,
  options: { env?: Record<string, string>; deps?: ServerDeps; realQueue?: boolean } = {},
): Promise<Harness> {
  const tdb = await backend.open();
  const db = tdb.database.db;
  for (const role of ['viewer', 'developer', 'admin'] as const) {
    await createUser(db, { username: role, password: PASSWORD, role });
  }
  const enqueued: string[] = [];
  // The real embedded queue (worker threads) when asked; otherwise ids are only recorded and
  // jobs stay pending, which is what most route tests want to observe.
  const queue = options.realQueue
    ? new EmbeddedQueue(db, { maxConcurrent: 1, pool: new EvaluationPool({ threads: 1 }), pollMs: 100 })
    : null;
  await queue?.start();
  const app = await createServer(testConfig(options.env), {
    database: tdb.database,
    logger: false,
    waitPollMs: 20,
    queue: {
      mode: 'embedded' as const,
      async enqueue(id) {
        enqueued.push(id);
        await queue?.enqueue(id);
      },
    },
    ...options.deps,
  });
  await app.ready();
  return {
    app,
    tdb,
    enqueued,
    async login(username) {
      const res = await app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { username, password: PASSWORD },
      });
      if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.statusCode} ${res.body}`);
      return res.json();
    },
    async close() {
      await app.close();
      await queue?.close();
      await tdb.dispose();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export { quickPpoRequest } from '../../bench/lib/requests.js';

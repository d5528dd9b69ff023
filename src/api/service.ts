/**
 * The running service of `tars-eval serve`: open the database the configuration names
 * (PGlite under TARS_DATA_DIR by default, PostgreSQL with DATABASE_URL), apply migrations,
 * start the queue, build the server and listen. `close()` stops in the reverse order: no new
 * requests, running jobs finish or are handed back, then the database closes.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { createQueue } from '../queue/index.js';
import { type Database, migrateUp } from '../store/index.js';
import { openConfiguredDatabase } from './database.js';
import { createServer, type ServerDeps } from './server.js';

export interface Service {
  app: FastifyInstance;
  database: Database;
  /** the address it listens on, e.g. http://127.0.0.1:8099 */
  url: string;
  close(): Promise<void>;
}

export async function startService(
  config: Config,
  deps: Omit<ServerDeps, 'database' | 'queue'> = {},
): Promise<Service> {
  const database = await openConfiguredDatabase(config);
  try {
    await migrateUp(database.db);
  } catch (err) {
    await database.close();
    throw err;
  }
  const queue = createQueue(config, database.db);
  const app = await createServer(config, { ...deps, database, queue });
  try {
    await queue.start();
    const url = await app.listen({ port: config.port, host: config.host });
    app.log.info({ queue: queue.mode, database: database.kind }, `tars-eval listening on ${url}`);
    return {
      app,
      database,
      url,
      async close() {
        await app.close();
        await queue.close();
        await database.close();
      },
    };
  } catch (err) {
    await app.close();
    await queue.close();
    await database.close();
    throw err;
  }
}

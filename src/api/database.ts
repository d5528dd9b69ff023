/** The database a configuration names: PostgreSQL with DATABASE_URL, else PGlite under TARS_DATA_DIR. */
import { join } from 'node:path';
import type { Config } from '../config.js';
import { type Database, openDatabase } from '../store/index.js';

export function openConfiguredDatabase(config: Config): Promise<Database> {
  return config.databaseUrl !== null
    ? openDatabase({ databaseUrl: config.databaseUrl })
    : openDatabase({ dataDir: join(config.dataDir, 'pgdata') });
}

/** What the routes share: the database, the queue's producer side, Redis, the configuration. */
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { UnavailableError } from '../errors.js';
import type { JobQueue as QueueJobQueue } from '../queue/types.js';
import type { Database } from '../store/index.js';

/** The producer side of the job queue (src/queue): hand a stored job's id to the workers. */
export type JobQueue = Pick<QueueJobQueue, 'mode' | 'enqueue'>;

export interface ApiContext {
  config: Config;
  /** null only when building the OpenAPI document (no route is served) */
  database: Database | null;
  queue: JobQueue | null;
  redis: Redis | null;
  startedAt: number;
  /** poll interval of `?wait=true` */
  waitPollMs: number;
}

export function requireDatabase(ctx: ApiContext): Database {
  if (ctx.database === null) throw new UnavailableError('no database is configured');
  return ctx.database;
}

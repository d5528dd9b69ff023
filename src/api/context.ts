/** What the routes share: the database, the queue's producer side, Redis, the configuration. */
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { UnavailableError } from '../errors.js';
import type { Database } from '../store/index.js';

/** The producer side of the job queue: hand a stored job's id to the workers. */
export interface JobQueue {
  readonly mode: 'embedded' | 'bullmq' | string;
  enqueue(jobId: string): Promise<void> | void;
}

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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ValidationError } from '../../src/errors.js';
import { createQueue, createWorker } from '../../src/queue/index.js';
import type { Database } from '../../src/store/database.js';
import { memoryDatabase, REDIS_URL } from './helpers.js';

let database: Database;
beforeAll(async () => {
  database = await memoryDatabase();
});
afterAll(async () => {
  await database.close();
});

describe('createQueue', () => {
  it('is embedded without REDIS_URL and distributed with it', async () => {
    const embedded = createQueue(loadConfig({ EVAL_MAX_CONCURRENT: '2' }), database.db);
    expect(embedded.mode).toBe('embedded');
    await embedded.close();
    const distributed = createQueue(loadConfig({ REDIS_URL }), database.db, {
      distributed: { queueName: 'tars-q-create-test', sweepMs: 0 },
    });
    expect(distributed.mode).toBe('distributed');
    const stats = await distributed.stats();
    expect(stats.depth.pending).toBe(0);
    expect(stats.running).toBe(0);
    await distributed.close();
  });

  it('refuses to build a worker without REDIS_URL, naming the variable', () => {
    expect(() => createWorker(loadConfig({}), database.db)).toThrow(ValidationError);
    expect(() => createWorker(loadConfig({}), database.db)).toThrow(/REDIS_URL/);
  });
});

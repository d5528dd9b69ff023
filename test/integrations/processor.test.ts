/**
 * The integrations wired into the real job processor: a real evaluation on a worker thread,
 * PGlite in memory, and real HTTP receivers on 127.0.0.1.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationResult } from '../../src/evaluation/schemas.js';
import {
  type CallbackPayload,
  IntegrationOutcomes,
  Integrations,
  verifySignature,
} from '../../src/integrations/index.js';
import { EvaluationPool } from '../../src/queue/evaluation-pool.js';
import { type ProcessorDeps, processJob } from '../../src/queue/processor.js';
import { insertBaseline } from '../../src/store/baselines.js';
import type { Database } from '../../src/store/database.js';
import { createJob, getJob } from '../../src/store/jobs.js';
import { memoryDatabase, smallRequest } from '../queue/helpers.js';
import { type Receiver, startReceiver } from './receiver.js';

let database: Database;
let pool: EvaluationPool;
const receivers: Receiver[] = [];
const secret = 'processor-test-secret-0123456789abcdef';

beforeAll(async () => {
  database = await memoryDatabase();
  pool = new EvaluationPool({ threads: 1 });
  // A CartPole baseline at the 500 cap: a PPO trained for 2,000 steps is far below it, a
  // critical regression, so the result says should_rollback.
  const returns = Array.from({ length: 30 }, (_, i) => 498 + (i % 3));
  await insertBaseline(database.db, {
    agent_type: 'ppo',
    environment: 'CartPole-v1',
    metrics: { num_episodes: 30, mean_reward: 499, std_reward: 0.8165, episode_returns: returns },
  });
});
afterAll(async () => {
  await pool.close();
  await database.close();
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

function deps(integrations: Integrations): ProcessorDeps {
  return {
    db: database.db,
    pool,
    owner: 'integrations-test',
    leaseMs: 10_000,
    backoff: () => 0,
    integrations,
  };
}

describe('processor with integrations', () => {
  it('a failing HyperSync and callback leave the job completed with its result', async () => {
    const hs = await startReceiver([{ status: 500 }]);
    const cb = await startReceiver([{ status: 503 }]);
    receivers.push(hs, cb);
    const outcomes = new IntegrationOutcomes();
    const integrations = new Integrations({
      hypersyncUrl: hs.url,
      callbackSecret: secret,
      production: false,
      policy: { timeoutMs: 2000, maxRetries: 2, baseDelayMs: 5, maxDelayMs: 10 },
      outcomes,
      log: () => {},
    });
    const { job } = await createJob(database.db, {
      request: smallRequest({ trial_id: 'trial-42', callback_url: `${cb.url}/done` }),
      trial_id: 'trial-42',
      callback_url: `${cb.url}/done`,
    });
    const r = await processJob(job.id, deps(integrations));
    expect(r.outcome).toBe('completed');
    await integrations.idle();

    // Every attempt failed: 3 each (1 + 2 retries), counted as one failure per target.
    expect(hs.received).toHaveLength(3);
    expect(cb.received).toHaveLength(3);
    expect(outcomes.snapshot()).toEqual({
      hypersync: { success: 0, failure: 1, attempts: 3 },
      automl: { success: 0, failure: 1, attempts: 3 },
    });

    const row = await getJob(database.db, job.id);
    expect(row?.status).toBe('completed');
    expect(row?.trial_id).toBe('trial-42');
    const result = row?.result as EvaluationResult;
    expect(result.overall.should_rollback).toBe(true);
    expect(result.results['CartPole-v1'].metrics.num_episodes).toBe(5);

    const rollback = JSON.parse(hs.received[0].raw.toString()) as Record<string, unknown>;
    expect(rollback).toMatchObject({
      job_id: job.id,
      agent_type: 'ppo',
      environment: 'CartPole-v1',
      trial_id: 'trial-42',
    });
    expect(rollback.reason).toBe(`CartPole-v1: ${result.results['CartPole-v1'].regression?.details}`);
    expect(rollback.severity).toBe(result.overall.max_severity);

    const sent = cb.received[0];
    expect(verifySignature(secret, sent.raw, sent.headers)).toEqual({ valid: true });
    const payload = JSON.parse(sent.raw.toString()) as CallbackPayload;
    expect(payload).toMatchObject({ job_id: job.id, trial_id: 'trial-42', status: 'completed' });
    expect(payload.result).toEqual(result);
  });

  it('a listener that throws does not change the outcome; a failed job is reported once', async () => {
    const thrown: string[] = [];
    const exploding = {
      jobFinished: () => {
        throw new Error('listener broke');
      },
    } as unknown as Integrations;
    const { job } = await createJob(database.db, { request: smallRequest({ num_episodes: 3 }) });
    const r = await processJob(job.id, {
      ...deps(exploding),
      onInternalError: (err) => thrown.push((err as Error).message),
    });
    expect(r.outcome).toBe('completed');
    expect(thrown).toEqual(['listener broke']);
    expect((await getJob(database.db, job.id))?.status).toBe('completed');

    // An invalid request fails for good on its first attempt: one callback, status failed.
    const cb = await startReceiver([{ status: 200 }]);
    receivers.push(cb);
    const integrations = new Integrations({
      hypersyncUrl: null,
      callbackSecret: secret,
      production: false,
      policy: { timeoutMs: 2000, maxRetries: 0 },
      outcomes: new IntegrationOutcomes(),
      log: () => {},
    });
    const bad = await createJob(database.db, {
      request: smallRequest({ environments: ['NoSuchEnv-v0'] }),
      callback_url: cb.url,
    });
    const f = await processJob(bad.job.id, deps(integrations));
    expect(f.outcome).toBe('failed');
    // Delivered again (a duplicate delivery of the job id): skipped, no second callback.
    expect((await processJob(bad.job.id, deps(integrations))).outcome).toBe('skipped');
    await integrations.idle();
    expect(cb.received).toHaveLength(1);
    const payload = JSON.parse(cb.received[0].raw.toString()) as CallbackPayload;
    expect(payload).toMatchObject({ job_id: bad.job.id, status: 'failed', result: null });
    expect(payload.error?.error).toBe('validation_error');
  });
});

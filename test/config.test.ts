import { describe, expect, it } from 'vitest';
import { loadConfig, regressionThresholds } from '../src/config.js';
import { ValidationError } from '../src/errors.js';

function failure(env: Record<string, string>): ValidationError {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('loadConfig', () => {
  it('has safe local defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8099);
    expect(c.databaseUrl).toBeNull();
    expect(c.redisUrl).toBeNull();
    expect(c.dataDir).toBe('./.tars');
    expect(c.evaluation).toMatchObject({
      failureRate: 0.15,
      rewardDropPct: 10,
      varianceMultiplier: 2.5,
      defaultEpisodes: 100,
      quickModeEpisodes: 50,
      envCacheSize: 50,
    });
    expect(c.rateLimits).toEqual({ public: 30, auth: 10, evaluate: 5 });
    expect(regressionThresholds(c)).toMatchObject({ failureRate: 0.15, rollbackSeverity: 'high' });
  });

  it('reads every variable', () => {
    const c = loadConfig({
      PORT: '9000',
      DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
      REDIS_URL: 'redis://127.0.0.1:6379',
      EVAL_DEFAULT_EPISODES: '200',
      EVAL_FAILURE_RATE: '0.2',
      TRACE_SAMPLE_RATE: '0.1',
      EVAL_ROLLBACK_SEVERITY: 'critical',
    });
    expect(c.port).toBe(9000);
    expect(c.databaseUrl).toBe('postgres://u@127.0.0.1:5432/db');
    expect(c.evaluation.defaultEpisodes).toBe(200);
    expect(c.evaluation.failureRate).toBe(0.2);
    expect(c.evaluation.rollbackSeverity).toBe('critical');
    expect(c.traceSampleRate).toBe(0.1);
  });

  it('fails fast naming the variable', () => {
    expect(failure({ PORT: 'eighty' }).message).toMatch(/^PORT must be a number/);
    expect(failure({ EVAL_FAILURE_RATE: '1.5' }).details).toEqual({ field: 'EVAL_FAILURE_RATE' });
    expect(failure({ DATABASE_URL: 'mysql://x' }).message).toMatch(/DATABASE_URL must use postgres:/);
    expect(failure({ EVAL_DEFAULT_EPISODES: '2.5' }).message).toMatch(/must be an integer/);
    expect(failure({ LOG_LEVEL: 'loud' }).message).toMatch(/LOG_LEVEL must be one of/);
  });

  it('is strict in production', () => {
    expect(failure({ NODE_ENV: 'production' }).message).toMatch(/JWT_SECRET is required/);
    expect(failure({ NODE_ENV: 'production', JWT_SECRET: 'short' }).message).toMatch(/at least 32/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).jwtSecret).toBe('x'.repeat(32));
  });
});

/**
 * Configuration: read from the environment once, validated, typed. Safe defaults for local
 * use; strict in production (NODE_ENV=production refuses to start without JWT_SECRET). A bad
 * value fails fast with a message naming the variable. DESIGN.md section 8.
 */

import { ValidationError } from './errors.js';
import { SEVERITIES, type Severity } from './evaluation/schemas.js';

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** PostgreSQL connection string; absent → embedded PGlite under dataDir. */
  databaseUrl: string | null;
  /** Embedded data directory (TARS_DATA_DIR). */
  dataDir: string;
  /** Redis for BullMQ and shared rate limits; absent → embedded queue, in-process limits. */
  redisUrl: string | null;
  /** HS256 secret; null in development means "generate one and warn". */
  jwtSecret: string | null;
  otelEndpoint: string | null;
  traceSampleRate: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Port of a worker process's own /metrics (distributed mode). */
  metricsPort: number;
  hypersyncUrl: string | null;
  /** Per-attempt timeout of outbound integration requests (HyperSync, AutoML callbacks). */
  hypersyncTimeoutMs: number;
  /** Retries after the first attempt of an outbound integration request. */
  hypersyncMaxRetries: number;
  /**
   * HMAC-SHA256 key signing AutoML callbacks (the scheme is in src/integrations/automl.ts). Null: callbacks go
   * unsigned in development and test, and are not sent in production.
   */
  automlCallbackSecret: string | null;
  /**
   * AUTOML_CALLBACK_ALLOWED_HOSTS: the hosts a request's callback_url may name (comma-separated;
   * `host`, `host:port` or `*.domain` for any subdomain); null: any host.
   */
  automlCallbackAllowedHosts: string[] | null;
  evaluation: {
    failureRate: number;
    rewardDropPct: number;
    lossTrendWindow: number;
    lossTrendTolerance: number;
    varianceMultiplier: number;
    rollbackSeverity: Severity;
    defaultEpisodes: number;
    quickModeEpisodes: number;
    maxConcurrent: number;
    envCacheSize: number;
    /** Worker threads for episodes (0: on the calling thread). */
    threads: number;
  };
  rateLimits: { public: number; auth: number; evaluate: number };
}

type Env = Readonly<Record<string, string | undefined>>;

function fail(name: string, message: string): never {
  throw new ValidationError(`${name} ${message}`, { field: name });
}

function str(env: Env, name: string): string | null {
  const v = env[name];
  return v === undefined || v.trim() === '' ? null : v.trim();
}

function num(
  env: Env,
  name: string,
  def: number,
  opts: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const raw = str(env, name);
  if (raw === null) return def;
  const v = Number(raw);
  if (!Number.isFinite(v)) fail(name, `must be a number, got '${raw}'`);
  if (opts.integer && !Number.isInteger(v)) fail(name, `must be an integer, got '${raw}'`);
  if (opts.min !== undefined && v < opts.min) fail(name, `must be ≥ ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) fail(name, `must be ≤ ${opts.max}, got ${v}`);
  return v;
}

function url(env: Env, name: string, protocols: readonly string[]): string | null {
  const raw = str(env, name);
  if (raw === null) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    fail(name, `must be a URL, got '${raw}'`);
  }
  if (!protocols.includes(u.protocol)) fail(name, `must use ${protocols.join(' or ')}, got '${u.protocol}'`);
  return raw;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], def: T): T {
  const raw = str(env, name);
  if (raw === null) return def;
  if (!(values as readonly string[]).includes(raw))
    fail(name, `must be one of ${values.join(', ')}, got '${raw}'`);
  return raw as T;
}

/** A comma-separated list of host patterns (`host`, `host:port`, `*.domain`), lower-cased. */
function hostList(env: Env, name: string): string[] | null {
  const raw = str(env, name);
  if (raw === null) return null;
  const hosts = raw
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  for (const h of hosts) {
    if (!/^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$|^\[[0-9a-f:.]+\](:[0-9]{1,5})?$/.test(h)) {
      fail(name, `'${h}' is not a host, host:port or *.domain`);
    }
  }
  if (hosts.length === 0) fail(name, 'names no host');
  return hosts;
}

/** Reads and validates the configuration from `env` (default process.env). */
export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const jwtSecret = str(env, 'JWT_SECRET');
  const automlCallbackSecret = str(env, 'AUTOML_CALLBACK_SECRET');
  if (nodeEnv === 'production' && automlCallbackSecret !== null && automlCallbackSecret.length < 32) {
    fail('AUTOML_CALLBACK_SECRET', 'must be at least 32 characters when NODE_ENV=production');
  }
  if (nodeEnv === 'production') {
    if (jwtSecret === null) fail('JWT_SECRET', 'is required when NODE_ENV=production');
    if (jwtSecret.length < 32) fail('JWT_SECRET', 'must be at least 32 characters when NODE_ENV=production');
  }
  return {
    nodeEnv,
    port: num(env, 'PORT', 8099, { min: 0, max: 65535, integer: true }),
    host: str(env, 'HOST') ?? '127.0.0.1',
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: str(env, 'TARS_DATA_DIR') ?? './.tars',
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    jwtSecret,
    otelEndpoint: url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']),
    traceSampleRate: num(env, 'TRACE_SAMPLE_RATE', 1, { min: 0, max: 1 }),
    logLevel: oneOf(
      env,
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      'info',
    ),
    metricsPort: num(env, 'METRICS_PORT', 9464, { min: 0, max: 65535, integer: true }),
    hypersyncUrl: url(env, 'HYPERSYNC_URL', ['http:', 'https:']),
    hypersyncTimeoutMs: num(env, 'HYPERSYNC_TIMEOUT_MS', 5000, { min: 1, max: 600_000, integer: true }),
    hypersyncMaxRetries: num(env, 'HYPERSYNC_MAX_RETRIES', 3, { min: 0, max: 20, integer: true }),
    automlCallbackSecret,
    automlCallbackAllowedHosts: hostList(env, 'AUTOML_CALLBACK_ALLOWED_HOSTS'),
    evaluation: {
      failureRate: num(env, 'EVAL_FAILURE_RATE', 0.15, { min: 0, max: 1 }),
      rewardDropPct: num(env, 'EVAL_REWARD_DROP_PCT', 10, { min: 0, max: 100 }),
      lossTrendWindow: num(env, 'EVAL_LOSS_TREND_WINDOW', 10, { min: 2, max: 10_000, integer: true }),
      lossTrendTolerance: num(env, 'EVAL_LOSS_TREND_TOLERANCE', 0.01, { min: 0, max: 10 }),
      varianceMultiplier: num(env, 'EVAL_VARIANCE_MULTIPLIER', 2.5, { min: 1, max: 1000 }),
      rollbackSeverity: oneOf(env, 'EVAL_ROLLBACK_SEVERITY', SEVERITIES, 'high'),
      defaultEpisodes: num(env, 'EVAL_DEFAULT_EPISODES', 100, { min: 1, max: 10_000, integer: true }),
      quickModeEpisodes: num(env, 'EVAL_QUICK_MODE_EPISODES', 50, { min: 1, max: 10_000, integer: true }),
      maxConcurrent: num(env, 'EVAL_MAX_CONCURRENT', 1, { min: 1, max: 64, integer: true }),
      envCacheSize: num(env, 'EVAL_ENV_CACHE_SIZE', 50, { min: 0, max: 10_000, integer: true }),
      threads: num(env, 'EVAL_THREADS', 2, { min: 0, max: 64, integer: true }),
    },
    rateLimits: {
      public: num(env, 'RATE_LIMIT_PUBLIC', 30, { min: 1, max: 1_000_000, integer: true }),
      auth: num(env, 'RATE_LIMIT_AUTH', 10, { min: 1, max: 1_000_000, integer: true }),
      evaluate: num(env, 'RATE_LIMIT_EVALUATE', 5, { min: 1, max: 1_000_000, integer: true }),
    },
  };
}

/** The regression thresholds of a configuration, in the detector's terms. */
export function regressionThresholds(config: Config): {
  failureRate: number;
  rewardDropPct: number;
  lossTrendTolerance: number;
  varianceMultiplier: number;
  rollbackSeverity: Severity;
} {
  const e = config.evaluation;
  return {
    failureRate: e.failureRate,
    rewardDropPct: e.rewardDropPct,
    lossTrendTolerance: e.lossTrendTolerance,
    varianceMultiplier: e.varianceMultiplier,
    rollbackSeverity: e.rollbackSeverity,
  };
}

/**
 * Every environment variable `loadConfig` reads, found by running it on an environment that
 * records each name asked for (every variable is read whatever the others hold), so tools
 * that check deployment files against the configuration cannot drift from it.
 */
export function configVariables(): Set<string> {
  const read = new Set<string>();
  const recording = new Proxy({} as Env, {
    get(_target, name) {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
  });
  loadConfig(recording);
  return read;
}

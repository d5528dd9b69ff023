/**
 * The Prometheus registry of the engine (prom-client) and its catalogue of metrics: every
 * name the alert rules (observability/alerts) and the Grafana dashboard
 * (observability/dashboards) read is declared here, once, with its help text and labels
 * (DESIGN.md section 7). One registry per process, created on first use.
 *
 * Label values are bounded so cardinality cannot explode: HTTP routes are route templates
 * (never raw URLs), `agent_type` is one of the four agent types and `environment` one of the
 * registered environment ids (anything else is recorded as "other", see `boundedLabel`),
 * and every other label has a fixed set of values listed in its help text.
 *
 * Who records what. The process that runs a job (the API process in embedded mode, each
 * `tars-eval worker` in distributed mode) records the evaluation, job, worker and
 * integration metrics; the API process records HTTP, rate-limit, auth, queue-depth and
 * baseline metrics (the last two read from the database at scrape time, so they are true
 * across processes; `baselineUpdates` is counted by whichever process writes a baseline).
 * Every process records database, Redis, dependency and Node process metrics and its build
 * info. Where each is recorded: src/queue/job-metrics.ts (jobs, evaluations, env cache,
 * integrations), src/api/routes/metrics.ts (scrape-time gauges), src/store/database.ts (queries
 * and pool), src/observability/scrape.ts (scrape hooks, series created at zero), and
 * docs/observability/metrics.md (the table of them all). A worker serves its registry on
 * METRICS_PORT (src/observability/metrics-server.ts).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds buckets for whole evaluations and jobs (a quick check to an hour of training). */
export const EVALUATION_SECONDS_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** Seconds buckets for HTTP requests. */
export const HTTP_SECONDS_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
/** Seconds buckets for database queries. */
export const QUERY_SECONDS_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
/** Seconds buckets for a job's wait in the queue. */
export const WAIT_SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

export const AGENT_TYPE_VALUES = ['dqn', 'a2c', 'ppo', 'ddpg'] as const;
export const OTHER_LABEL = 'other';

/** `value` when it is one of `allowed`, else "other": keeps a label's values bounded. */
export function boundedLabel(value: unknown, allowed: readonly string[]): string {
  return typeof value === 'string' && allowed.includes(value) ? value : OTHER_LABEL;
}

export interface EngineMetrics {
  registry: Registry;

  // --- HTTP (API process) -------------------------------------------------------------
  /** requests by method, route template ("unmatched" for 404s) and status code */
  httpRequests: Counter<'method' | 'route' | 'status_code'>;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  /** 429s by rate-limit class: public | auth | evaluate */
  rateLimitRejections: Counter<'class'>;
  /** refused logins, refreshes, and access tokens of disabled/deleted accounts: bad_credentials | disabled | invalid_token | token_reuse | expired */
  authFailures: Counter<'reason'>;

  // --- Evaluations (the process that runs the job) ------------------------------------
  /** one per (job, environment) at the end of a job: status completed | failed */
  evaluations: Counter<'agent_type' | 'environment' | 'status'>;
  /** seconds spent on one environment of an evaluation (training included) */
  evaluationDuration: Histogram<'agent_type' | 'environment'>;
  /** evaluation episodes played */
  episodes: Counter<'agent_type' | 'environment'>;
  /** environment steps spent training agents for evaluations without agent_state */
  trainingTimesteps: Counter<'agent_type' | 'environment'>;
  /** regression verdicts: verdict regression | no_regression | improvement | inconclusive */
  regressionChecks: Counter<'agent_type' | 'environment' | 'verdict'>;
  /** verdicts "regression", by severity low | medium | high | critical */
  regressionDetected: Counter<'agent_type' | 'environment' | 'severity'>;
  /** regressions whose report says should_rollback */
  rollbacksRecommended: Counter<'agent_type' | 'environment'>;
  /** mean return of the latest completed evaluation */
  currentMeanReward: Gauge<'agent_type' | 'environment'>;
  /** success rate (0–1) of the latest completed evaluation */
  currentSuccessRate: Gauge<'agent_type' | 'environment'>;
  /** Nash conflict score (0–1) of the latest evaluation */
  nashConflictScore: Gauge<'agent_type' | 'environment'>;
  /** Nash stability score (0–1) of the latest evaluation */
  nashStabilityScore: Gauge<'agent_type' | 'environment'>;
  /** the candidate's regret against the equilibrium mixture, latest evaluation */
  nashDeviation: Gauge<'agent_type' | 'environment'>;
  /** Nash recommendations: accept | review | reject */
  nashRecommendations: Counter<'agent_type' | 'recommendation'>;
  /** environments held by the evaluation workers' environment caches */
  envCacheSize: Gauge;
  envCacheHits: Counter;
  envCacheMisses: Counter;

  // --- Jobs, queue and workers --------------------------------------------------------
  /** job attempts by outcome: completed | failed | retry | released | lost_lease */
  jobs: Counter<'outcome'>;
  /** transient failures sent back to pending for another attempt */
  jobRetries: Counter;
  /** seconds from creation to the first claim */
  jobWait: Histogram;
  /** seconds from claim to the end of an attempt, by outcome */
  jobDuration: Histogram<'outcome'>;
  /** expired leases the sweeper handed back (a worker died or stalled) */
  jobLeasesExpired: Counter;
  /** jobs in the database by status pending | running (API process, read at scrape) */
  queueDepth: Gauge<'status'>;
  /** age in seconds of the oldest pending job that is due (0 when none; API process) */
  queueOldestPendingAge: Gauge;
  /** evaluation slots of this process */
  workerSlots: Gauge;
  /** slots running a job now */
  workerBusy: Gauge;

  // --- Baselines (API process, read from the database at scrape) ----------------------
  /** mean reward of the rank-1 baseline */
  baselineMeanReward: Gauge<'agent_type' | 'environment'>;
  /** unix seconds of the rank-1 baseline's last change */
  baselineLastUpdate: Gauge<'agent_type' | 'environment'>;
  /** version of the rank-1 baseline */
  baselineVersion: Gauge<'agent_type' | 'environment'>;
  /** baseline writes by action: set | rollback */
  baselineUpdates: Counter<'agent_type' | 'environment' | 'action'>;

  // --- Integrations (the process that runs the job) ----------------------------------
  /** AutoML callback deliveries by outcome: success | failure */
  automlRequests: Counter<'outcome'>;
  /** HyperSync rollback calls by outcome: success | failure */
  hypersyncRollbacks: Counter<'outcome'>;
  /** HyperSync rollback calls that failed after their retries */
  hypersyncRollbackFailures: Counter;

  // --- Dependencies (every process) ---------------------------------------------------
  /** database connections by state: total | idle | waiting (PGlite: one, never waiting) */
  dbPoolConnections: Gauge<'state'>;
  /** database query duration by operation: select | insert | update | delete | other */
  dbQueryDuration: Histogram<'operation'>;
  /** database queries that raised */
  dbErrors: Counter<'operation'>;
  /** Redis errors by client: ratelimit | health | queue | worker */
  redisErrors: Counter<'client'>;
  /** 1 when the dependency answered its last check: dependency postgres | redis */
  dependencyUp: Gauge<'dependency'>;
  /** seconds the last check of a dependency took */
  dependencyLatency: Gauge<'dependency'>;

  /** always 1; labels: version, node_version, mode (api | worker) */
  buildInfo: Gauge<'version' | 'node_version' | 'mode'>;
}

let metrics: EngineMetrics | null = null;

/** The process-wide registry and metric catalogue (created once). */
export function engineMetrics(): EngineMetrics {
  if (metrics !== null) return metrics;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const counter = <T extends string>(name: string, help: string, labelNames: readonly T[] = []) =>
    new Counter<T>({ name, help, labelNames, registers });
  const gauge = <T extends string>(name: string, help: string, labelNames: readonly T[] = []) =>
    new Gauge<T>({ name, help, labelNames, registers });
  const histogram = <T extends string>(
    name: string,
    help: string,
    buckets: number[],
    labelNames: readonly T[] = [],
  ) => new Histogram<T>({ name, help, labelNames, buckets, registers });
  const agentEnv = ['agent_type', 'environment'] as const;

  metrics = {
    registry,
    httpRequests: counter(
      'tars_eval_http_requests_total',
      'HTTP requests by method, route template and status code',
      ['method', 'route', 'status_code'],
    ),
    httpDuration: histogram(
      'tars_eval_http_request_duration_seconds',
      'HTTP request duration in seconds by method, route template and status code',
      HTTP_SECONDS_BUCKETS,
      ['method', 'route', 'status_code'],
    ),
    rateLimitRejections: counter(
      'tars_eval_rate_limit_rejections_total',
      'Requests rejected with 429 by rate-limit class (public, auth, evaluate)',
      ['class'],
    ),
    authFailures: counter(
      'tars_eval_auth_failures_total',
      'Refused logins, refreshes and access tokens of disabled or deleted accounts, by reason (bad_credentials, disabled, invalid_token, token_reuse, expired)',
      ['reason'],
    ),

    evaluations: counter(
      'tars_eval_evaluations_total',
      'Environment evaluations finished, by agent type, environment and status (completed, failed)',
      ['agent_type', 'environment', 'status'],
    ),
    evaluationDuration: histogram(
      'tars_eval_duration_seconds',
      'Seconds spent evaluating one environment (training included), by agent type and environment',
      EVALUATION_SECONDS_BUCKETS,
      agentEnv,
    ),
    episodes: counter('tars_eval_episodes_total', 'Evaluation episodes played', agentEnv),
    trainingTimesteps: counter(
      'tars_eval_training_timesteps_total',
      'Environment steps spent training agents for evaluations that carried no agent_state',
      agentEnv,
    ),
    regressionChecks: counter(
      'tars_eval_regression_checks_total',
      'Regression verdicts against the rank-1 baseline (regression, no_regression, improvement, inconclusive)',
      ['agent_type', 'environment', 'verdict'],
    ),
    regressionDetected: counter(
      'tars_eval_regression_detected_total',
      'Regressions detected, by severity (low, medium, high, critical)',
      ['agent_type', 'environment', 'severity'],
    ),
    rollbacksRecommended: counter(
      'tars_eval_rollbacks_recommended_total',
      'Regressions whose report recommends rolling the deployment back',
      agentEnv,
    ),
    currentMeanReward: gauge(
      'tars_eval_current_mean_reward',
      'Mean return of the latest completed evaluation',
      agentEnv,
    ),
    currentSuccessRate: gauge(
      'tars_eval_current_success_rate',
      'Success rate (0-1) of the latest completed evaluation',
      agentEnv,
    ),
    nashConflictScore: gauge(
      'tars_eval_nash_conflict_score',
      'Nash conflict score (0-1) of the latest evaluation: how far the environments disagree about the best agent',
      agentEnv,
    ),
    nashStabilityScore: gauge(
      'tars_eval_nash_stability_score',
      'Nash stability score (0-1) of the latest evaluation: robustness of the equilibrium',
      agentEnv,
    ),
    nashDeviation: gauge(
      'tars_eval_nash_deviation_from_equilibrium',
      "The candidate's regret against the equilibrium mixture, latest evaluation",
      agentEnv,
    ),
    nashRecommendations: counter(
      'tars_eval_nash_recommendations_total',
      'Nash scoring recommendations (accept, review, reject)',
      ['agent_type', 'recommendation'],
    ),
    envCacheSize: gauge('tars_eval_env_cache_size', 'Environments held by the evaluation environment caches'),
    envCacheHits: counter('tars_eval_env_cache_hits_total', 'Environment cache hits'),
    envCacheMisses: counter('tars_eval_env_cache_misses_total', 'Environment cache misses'),

    jobs: counter(
      'tars_eval_jobs_total',
      'Job attempts by outcome (completed, failed, retry, released, lost_lease)',
      ['outcome'],
    ),
    jobRetries: counter(
      'tars_eval_job_retries_total',
      'Transient job failures sent back for another attempt',
    ),
    jobWait: histogram(
      'tars_eval_job_wait_seconds',
      'Seconds from job creation to its first claim by a worker',
      WAIT_SECONDS_BUCKETS,
    ),
    jobDuration: histogram(
      'tars_eval_job_duration_seconds',
      'Seconds from claim to the end of a job attempt, by outcome',
      EVALUATION_SECONDS_BUCKETS,
      ['outcome'],
    ),
    jobLeasesExpired: counter(
      'tars_eval_job_leases_expired_total',
      'Expired job leases handed back by the sweeper (a worker died or stalled)',
    ),
    queueDepth: gauge('tars_eval_queue_depth', 'Jobs in the database by status (pending, running)', [
      'status',
    ]),
    queueOldestPendingAge: gauge(
      'tars_eval_queue_oldest_pending_age_seconds',
      'Age in seconds of the oldest due pending job (0 when none)',
    ),
    workerSlots: gauge('tars_eval_worker_slots', 'Evaluation slots (concurrent jobs) of this process'),
    workerBusy: gauge('tars_eval_worker_busy', 'Evaluation slots of this process running a job now'),

    baselineMeanReward: gauge(
      'tars_eval_baseline_mean_reward',
      'Mean reward of the rank-1 baseline',
      agentEnv,
    ),
    baselineLastUpdate: gauge(
      'tars_eval_baseline_last_update_timestamp',
      "Unix time in seconds of the rank-1 baseline's last change",
      agentEnv,
    ),
    baselineVersion: gauge('tars_eval_baseline_version', 'Version of the rank-1 baseline', agentEnv),
    baselineUpdates: counter(
      'tars_eval_baseline_updates_total',
      'Baseline writes by action (set, rollback)',
      ['agent_type', 'environment', 'action'],
    ),

    automlRequests: counter(
      'tars_eval_automl_requests_total',
      'AutoML callback deliveries by outcome (success, failure)',
      ['outcome'],
    ),
    hypersyncRollbacks: counter(
      'tars_eval_hypersync_rollbacks_total',
      'HyperSync rollback calls by outcome (success, failure)',
      ['outcome'],
    ),
    hypersyncRollbackFailures: counter(
      'tars_eval_hypersync_rollback_failures_total',
      'HyperSync rollback calls that failed after their retries',
    ),

    dbPoolConnections: gauge(
      'tars_eval_db_pool_connections',
      'Database connections by state (total, idle, waiting)',
      ['state'],
    ),
    dbQueryDuration: histogram(
      'tars_eval_db_query_duration_seconds',
      'Database query duration in seconds by operation (select, insert, update, delete, other)',
      QUERY_SECONDS_BUCKETS,
      ['operation'],
    ),
    dbErrors: counter('tars_eval_db_errors_total', 'Database queries that raised, by operation', [
      'operation',
    ]),
    redisErrors: counter(
      'tars_eval_redis_errors_total',
      'Redis errors by client (ratelimit, health, queue, worker)',
      ['client'],
    ),
    dependencyUp: gauge(
      'tars_eval_dependency_up',
      '1 when the dependency (postgres, redis) answered its last check, else 0',
      ['dependency'],
    ),
    dependencyLatency: gauge(
      'tars_eval_dependency_latency_seconds',
      'Seconds the last check of a dependency (postgres, redis) took',
      ['dependency'],
    ),
    buildInfo: gauge('tars_eval_build_info', 'Always 1; the running version and mode', [
      'version',
      'node_version',
      'mode',
    ]),
  };
  return metrics;
}

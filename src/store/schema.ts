/**
 * The relational schema of tars-eval, as drizzle pg-core tables. The same tables are created
 * by the SQL migrations in `./migrations/` (one set for PGlite and PostgreSQL); this file gives
 * drizzle the column types for typed queries, and `test/store/schema.test.ts` checks that the
 * two agree column by column.
 *
 * Records defined by the evaluation layer (requests, results, metrics, regression reports,
 * Nash scores) are stored whole as jsonb with their snake_case fields, typed with the TypeBox
 * `Static<>` types from `src/evaluation/schemas.ts`; no second definition of them exists here.
 */
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type {
  BaselineMetrics,
  EvaluationRequest,
  EvaluationResult,
  MetricsResult,
  NashScores,
  RegressionReport,
} from '../evaluation/schemas.js';

export const ROLES = ['viewer', 'developer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const JOB_STATUSES = ['pending', 'running', 'completed', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** The error recorded on a failed (or retried) job. */
export interface JobError {
  error: string;
  message: string;
  details?: Record<string, unknown>;
  /** false for invalid requests: retrying cannot help */
  retryable?: boolean;
}

/** W3C trace context carried from the HTTP request to the worker (traceparent, tracestate). */
export type TraceContext = Record<string, string>;

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    username: text('username').notNull(),
    password_hash: text('password_hash').notNull(),
    role: text('role').$type<Role>().notNull(),
    disabled: boolean('disabled').notNull().default(false),
    created_at: ts('created_at').notNull().defaultNow(),
    updated_at: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('users_username_key').on(t.username),
    check('users_role_check', sql`${t.role} in ('viewer', 'developer', 'admin')`),
  ],
);

export const refresh_tokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    user_id: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    family_id: uuid('family_id').notNull(),
    token_hash: text('token_hash').notNull(),
    expires_at: ts('expires_at').notNull(),
    revoked_at: ts('revoked_at'),
    replaced_by: uuid('replaced_by'),
    created_at: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('refresh_tokens_token_hash_key').on(t.token_hash),
    index('refresh_tokens_family_idx').on(t.family_id),
    index('refresh_tokens_user_idx').on(t.user_id),
  ],
);

export const evaluation_jobs = pgTable(
  'evaluation_jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    status: text('status').$type<JobStatus>().notNull().default('pending'),
    progress: doublePrecision('progress').notNull().default(0),
    request: jsonb('request').$type<EvaluationRequest>().notNull(),
    result: jsonb('result').$type<EvaluationResult>(),
    error: jsonb('error').$type<JobError>(),
    attempts: integer('attempts').notNull().default(0),
    max_attempts: integer('max_attempts').notNull().default(3),
    idempotency_key: text('idempotency_key'),
    submitter: uuid('submitter').references(() => users.id, { onDelete: 'set null' }),
    trial_id: text('trial_id'),
    callback_url: text('callback_url'),
    trace_context: jsonb('trace_context').$type<TraceContext>(),
    run_after: ts('run_after').notNull().defaultNow(),
    lease_owner: text('lease_owner'),
    lease_expires_at: ts('lease_expires_at'),
    created_at: ts('created_at').notNull().defaultNow(),
    started_at: ts('started_at'),
    finished_at: ts('finished_at'),
    updated_at: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('evaluation_jobs_submitter_idempotency_key').on(t.submitter, t.idempotency_key),
    index('evaluation_jobs_pending_idx').on(t.status, t.run_after, t.created_at),
    index('evaluation_jobs_lease_idx').on(t.status, t.lease_expires_at),
    check('evaluation_jobs_status_check', sql`${t.status} in ('pending', 'running', 'completed', 'failed')`),
    check('evaluation_jobs_progress_check', sql`${t.progress} >= 0 and ${t.progress} <= 1`),
  ],
);

export const evaluation_results = pgTable(
  'evaluation_results',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    job_id: uuid('job_id')
      .notNull()
      .references(() => evaluation_jobs.id, { onDelete: 'cascade' }),
    environment: text('environment').notNull(),
    metrics: jsonb('metrics').$type<MetricsResult>().notNull(),
    regression: jsonb('regression').$type<RegressionReport>(),
    nash: jsonb('nash').$type<NashScores>(),
    episode_returns: jsonb('episode_returns').$type<number[]>().notNull(),
    created_at: ts('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('evaluation_results_job_env_key').on(t.job_id, t.environment)],
);

export const baselines = pgTable(
  'baselines',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    agent_type: text('agent_type').notNull(),
    environment: text('environment').notNull(),
    version: integer('version').notNull(),
    /** 1 = the current baseline; null once retired by a rollback */
    rank: integer('rank'),
    metrics: jsonb('metrics').$type<BaselineMetrics>().notNull(),
    mean_reward: doublePrecision('mean_reward').notNull(),
    hyperparameters: jsonb('hyperparameters').$type<Record<string, unknown>>().notNull().default({}),
    source_job_id: uuid('source_job_id').references(() => evaluation_jobs.id, { onDelete: 'set null' }),
    created_by: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    /** the rank-1 record this one displaced when it became rank 1 (what a rollback restores) */
    previous_best_id: uuid('previous_best_id'),
    retired_at: ts('retired_at'),
    created_at: ts('created_at').notNull().defaultNow(),
    updated_at: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('baselines_agent_env_version_key').on(t.agent_type, t.environment, t.version),
    index('baselines_agent_env_rank_idx').on(t.agent_type, t.environment, t.rank),
  ],
);

export const audit_log = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ts('at').notNull().defaultNow(),
    actor: text('actor'),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entity_id: text('entity_id'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('audit_log_entity_idx').on(t.entity, t.entity_id), index('audit_log_at_idx').on(t.at)],
);

export const schema = { users, refresh_tokens, evaluation_jobs, evaluation_results, baselines, audit_log };

export type User = typeof users.$inferSelect;
export type RefreshToken = typeof refresh_tokens.$inferSelect;
export type EvaluationJob = typeof evaluation_jobs.$inferSelect;
export type EvaluationResultRow = typeof evaluation_results.$inferSelect;
export type Baseline = typeof baselines.$inferSelect;
export type AuditEntry = typeof audit_log.$inferSelect;

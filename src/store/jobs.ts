/**
 * Evaluation jobs: the durable queue that PostgreSQL (or PGlite) is the source of truth for.
 *
 * Life of a job: `pending` → claimed by a worker with a lease (`running`, attempts + 1) →
 * `completed` with its result, or `failed` with its error — or back to `pending` for a retry
 * (after `run_after`) while attempts remain. A worker extends its lease while it works
 * (heartbeat); a worker that dies stops doing so, and `reclaimExpiredLeases` hands the job
 * back. Completion is exactly-once: the per-environment result rows have a unique
 * (job_id, environment) key and are inserted with ON CONFLICT DO NOTHING, and only the first
 * completion changes the job, so a job run twice (a slow worker whose lease was reclaimed)
 * is recorded once.
 *
 * All times come from the database clock (`now()`), so workers on several machines agree.
 */
import { and, asc, desc, eq, inArray, lt, lte, or, sql } from 'drizzle-orm';
import { NotFoundError, ValidationError } from '../errors.js';
import type { EvaluationRequest, EvaluationResult } from '../evaluation/schemas.js';
import type { Db } from './database.js';
import { queryRows } from './database.js';
import {
  type EvaluationJob,
  type EvaluationResultRow,
  evaluation_jobs,
  evaluation_results,
  JOB_STATUSES,
  type JobError,
  type JobStatus,
  type TraceContext,
} from './schema.js';

export interface NewJob {
  request: EvaluationRequest;
  submitter?: string | null;
  idempotency_key?: string | null;
  trial_id?: string | null;
  callback_url?: string | null;
  trace_context?: TraceContext | null;
  max_attempts?: number;
}

const seconds = (ms: number) => sql`make_interval(secs => ${ms / 1000}::double precision)`;

/**
 * Creates a job, or — when the same submitter already sent the same idempotency key —
 * returns the existing one with `created: false`. The unique (submitter, idempotency_key)
 * index makes this hold under concurrent submissions too.
 */
export async function createJob(db: Db, input: NewJob): Promise<{ job: EvaluationJob; created: boolean }> {
  const maxAttempts = input.max_attempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new ValidationError('max_attempts must be a positive integer', { field: 'max_attempts' });
  }
  const values = {
    request: input.request,
    submitter: input.submitter ?? null,
    idempotency_key: input.idempotency_key ?? null,
    trial_id: input.trial_id ?? null,
    callback_url: input.callback_url ?? null,
    trace_context: input.trace_context ?? null,
    max_attempts: maxAttempts,
  };
  if (values.idempotency_key === null || values.submitter === null) {
    const [job] = await db.insert(evaluation_jobs).values(values).returning();
    return { job, created: true };
  }
  const [job] = await db
    .insert(evaluation_jobs)
    .values(values)
    .onConflictDoNothing({ target: [evaluation_jobs.submitter, evaluation_jobs.idempotency_key] })
    .returning();
  if (job) return { job, created: true };
  const [existing] = await db
    .select()
    .from(evaluation_jobs)
    .where(
      and(
        eq(evaluation_jobs.submitter, values.submitter),
        eq(evaluation_jobs.idempotency_key, values.idempotency_key),
      ),
    );
  return { job: existing, created: false };
}

export async function getJob(db: Db, id: string): Promise<EvaluationJob | null> {
  const [row] = await db.select().from(evaluation_jobs).where(eq(evaluation_jobs.id, id));
  return row ?? null;
}

/** What a status read shows of a job: the request reduced to its agent type and environments. */
export type JobSummary = Pick<
  EvaluationJob,
  | 'id'
  | 'status'
  | 'progress'
  | 'attempts'
  | 'trial_id'
  | 'created_at'
  | 'started_at'
  | 'finished_at'
  | 'result'
  | 'error'
> & { request: Pick<EvaluationRequest, 'agent_type' | 'environments'> };

function summaryQuery(db: Db) {
  const j = evaluation_jobs;
  return db
    .select({
      id: j.id,
      status: j.status,
      progress: j.progress,
      // Two fields of the request, extracted by the database: the whole request carries the
      // agent's state dict (up to 10 MB), which a client polling a job would otherwise have
      // fetched and parsed on every read.
      request: sql<
        JobSummary['request']
      >`jsonb_build_object('agent_type', ${j.request}->'agent_type', 'environments', ${j.request}->'environments')`,
      attempts: j.attempts,
      trial_id: j.trial_id,
      created_at: j.created_at,
      started_at: j.started_at,
      finished_at: j.finished_at,
      result: j.result,
      error: j.error,
    })
    .from(j)
    .where(eq(j.id, sql.placeholder('id')))
    .prepare('tars_job_summary');
}

/** Prepared once per database handle (a named statement on PostgreSQL: parsed once per connection). */
const summaryQueries = new WeakMap<Db, ReturnType<typeof summaryQuery>>();

/** The job as a status read shows it (GET /v1/jobs/{id}); one primary-key lookup. */
export async function getJobSummary(db: Db, id: string): Promise<JobSummary | null> {
  let q = summaryQueries.get(db);
  if (q === undefined) {
    q = summaryQuery(db);
    summaryQueries.set(db, q);
  }
  const [row] = await q.execute({ id });
  return row ?? null;
}

export async function getJobResults(db: Db, job_id: string): Promise<EvaluationResultRow[]> {
  return db
    .select()
    .from(evaluation_results)
    .where(eq(evaluation_results.job_id, job_id))
    .orderBy(asc(evaluation_results.environment));
}

export interface LeaseOptions {
  /** who holds the lease (worker id: host, pid, thread) */
  owner: string;
  /** lease length; the worker must heartbeat before it runs out */
  leaseMs: number;
}

function leaseSet(opts: LeaseOptions) {
  return {
    status: 'running' as const,
    lease_owner: opts.owner,
    lease_expires_at: sql`now() + ${seconds(opts.leaseMs)}`,
    attempts: sql`${evaluation_jobs.attempts} + 1`,
    started_at: sql`coalesce(${evaluation_jobs.started_at}, now())`,
    updated_at: sql`now()`,
  };
}

/**
 * Claims the oldest pending job that is due, or null. `FOR UPDATE SKIP LOCKED` lets many
 * workers claim concurrently without waiting on or double-claiming the same row.
 */
export async function claimNextJob(db: Db, opts: LeaseOptions): Promise<EvaluationJob | null> {
  const next = db
    .select({ id: evaluation_jobs.id })
    .from(evaluation_jobs)
    .where(and(eq(evaluation_jobs.status, 'pending'), lte(evaluation_jobs.run_after, sql`now()`)))
    .orderBy(asc(evaluation_jobs.created_at), asc(evaluation_jobs.id))
    .limit(1)
    .for('update', { skipLocked: true });
  const [row] = await db
    .update(evaluation_jobs)
    .set(leaseSet(opts))
    .where(inArray(evaluation_jobs.id, next))
    .returning();
  return row ?? null;
}

/**
 * Claims a given job (a worker told its id, e.g. by BullMQ): succeeds when it is pending, or
 * running under a lease that has expired; null otherwise (someone else holds it, or it ended).
 */
export async function claimJob(db: Db, id: string, opts: LeaseOptions): Promise<EvaluationJob | null> {
  const [row] = await db
    .update(evaluation_jobs)
    .set(leaseSet(opts))
    .where(
      and(
        eq(evaluation_jobs.id, id),
        or(
          eq(evaluation_jobs.status, 'pending'),
          and(eq(evaluation_jobs.status, 'running'), lt(evaluation_jobs.lease_expires_at, sql`now()`)),
        ),
      ),
    )
    .returning();
  return row ?? null;
}

const heldBy = (id: string, owner: string) =>
  and(
    eq(evaluation_jobs.id, id),
    eq(evaluation_jobs.status, 'running'),
    eq(evaluation_jobs.lease_owner, owner),
  );

/** Extends the lease; false when the caller no longer holds it (it must stop working on the job). */
export async function heartbeat(db: Db, id: string, opts: LeaseOptions): Promise<boolean> {
  const rows = await db
    .update(evaluation_jobs)
    .set({ lease_expires_at: sql`now() + ${seconds(opts.leaseMs)}`, updated_at: sql`now()` })
    .where(heldBy(id, opts.owner))
    .returning({ id: evaluation_jobs.id });
  return rows.length === 1;
}

/** Records progress in [0, 1] (and extends nothing); false when the caller lost the lease. */
export async function updateProgress(db: Db, id: string, owner: string, progress: number): Promise<boolean> {
  if (!(progress >= 0 && progress <= 1)) {
    throw new ValidationError('progress must be in [0, 1]', { field: 'progress', value: progress });
  }
  const rows = await db
    .update(evaluation_jobs)
    .set({ progress, updated_at: sql`now()` })
    .where(heldBy(id, owner))
    .returning({ id: evaluation_jobs.id });
  return rows.length === 1;
}

/**
 * Hands back running jobs whose lease has expired (their worker died or hung): to `pending`
 * while attempts remain, else `failed` with error `lease_expired`. Returns the ids of each.
 */
export async function reclaimExpiredLeases(db: Db): Promise<{ requeued: string[]; failed: string[] }> {
  const expired = and(
    eq(evaluation_jobs.status, 'running'),
    lt(evaluation_jobs.lease_expires_at, sql`now()`),
  );
  const requeued = await db
    .update(evaluation_jobs)
    .set({ status: 'pending', lease_owner: null, lease_expires_at: null, updated_at: sql`now()` })
    .where(and(expired, lt(evaluation_jobs.attempts, evaluation_jobs.max_attempts)))
    .returning({ id: evaluation_jobs.id });
  const error: JobError = {
    error: 'lease_expired',
    message: 'the worker running this job stopped renewing its lease on the last allowed attempt',
    retryable: false,
  };
  const failed = await db
    .update(evaluation_jobs)
    .set({
      status: 'failed',
      error,
      lease_owner: null,
      lease_expires_at: null,
      finished_at: sql`now()`,
      updated_at: sql`now()`,
    })
    .where(expired)
    .returning({ id: evaluation_jobs.id });
  return { requeued: requeued.map((r) => r.id), failed: failed.map((r) => r.id) };
}

/**
 * Completes a job with its result, exactly once. Result rows go in with ON CONFLICT DO
 * NOTHING and the job changes only if it has not completed yet; `first` says whether this
 * call was the one that completed it. A completion from a worker whose lease was reclaimed is
 * still accepted (the work is done and correct); a job already failed for good is not revived.
 */
export async function completeJob(
  db: Db,
  id: string,
  result: EvaluationResult,
): Promise<{ job: EvaluationJob; first: boolean }> {
  return db.transaction(async (txx) => {
    const tx = txx as unknown as Db;
    const [locked] = await tx.select().from(evaluation_jobs).where(eq(evaluation_jobs.id, id)).for('update');
    if (!locked) throw new NotFoundError(`job ${id} not found`, { id });
    if (locked.status === 'completed' || locked.status === 'failed') return { job: locked, first: false };
    const rows = Object.entries(result.results).map(([environment, r]) => ({
      job_id: id,
      environment,
      metrics: r.metrics,
      regression: r.regression,
      nash: r.nash_scores,
      episode_returns: r.metrics.episode_returns,
    }));
    if (rows.length > 0) {
      await tx
        .insert(evaluation_results)
        .values(rows)
        .onConflictDoNothing({ target: [evaluation_results.job_id, evaluation_results.environment] });
    }
    const [job] = await tx
      .update(evaluation_jobs)
      .set({
        status: 'completed',
        progress: 1,
        result,
        error: null,
        lease_owner: null,
        lease_expires_at: null,
        finished_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where(eq(evaluation_jobs.id, id))
      .returning();
    return { job, first: true };
  });
}

/**
 * Records a failure. With `retry` and attempts left, the job goes back to `pending`, due after
 * `backoffMs`; otherwise it is `failed` for good. Only the lease holder may fail a running job
 * (false when it no longer holds it).
 */
export async function failJob(
  db: Db,
  id: string,
  owner: string,
  error: JobError,
  options: { retry?: boolean; backoffMs?: number } = {},
): Promise<{ job: EvaluationJob | null; retried: boolean }> {
  const retry = options.retry ?? error.retryable ?? false;
  if (retry) {
    const [job] = await db
      .update(evaluation_jobs)
      .set({
        status: 'pending',
        error,
        lease_owner: null,
        lease_expires_at: null,
        run_after: sql`now() + ${seconds(options.backoffMs ?? 0)}`,
        updated_at: sql`now()`,
      })
      .where(and(heldBy(id, owner), lt(evaluation_jobs.attempts, evaluation_jobs.max_attempts)))
      .returning();
    if (job) return { job, retried: true };
  }
  const [job] = await db
    .update(evaluation_jobs)
    .set({
      status: 'failed',
      error,
      lease_owner: null,
      lease_expires_at: null,
      finished_at: sql`now()`,
      updated_at: sql`now()`,
    })
    .where(heldBy(id, owner))
    .returning();
  return { job: job ?? null, retried: false };
}

/** Most recently failed jobs, newest first. */
export async function listRecentFailures(db: Db, limit = 20): Promise<EvaluationJob[]> {
  return db
    .select()
    .from(evaluation_jobs)
    .where(eq(evaluation_jobs.status, 'failed'))
    .orderBy(desc(evaluation_jobs.finished_at), desc(evaluation_jobs.id))
    .limit(limit);
}

/** Jobs per status (every status present, zero when none). */
export async function queueDepth(db: Db): Promise<Record<JobStatus, number>> {
  const rows = await queryRows<{ status: JobStatus; n: number | string }>(
    db,
    sql`select status, count(*)::int as n from evaluation_jobs group by status`,
  );
  const depth = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  for (const r of rows) depth[r.status] = Number(r.n);
  return depth;
}

/** Ids of pending jobs, oldest first (the embedded queue re-enqueues these at start-up). */
export async function listPendingJobIds(db: Db, limit = 1000): Promise<string[]> {
  const rows = await db
    .select({ id: evaluation_jobs.id })
    .from(evaluation_jobs)
    .where(eq(evaluation_jobs.status, 'pending'))
    .orderBy(asc(evaluation_jobs.created_at))
    .limit(limit);
  return rows.map((r) => r.id);
}

/**
 * The job processor: one evaluation job from claim to completion, shared by the embedded and
 * the distributed queue. PostgreSQL is the source of truth; whatever delivers a job id (the
 * in-process scheduler, BullMQ, a sweeper) only asks this function to try it.
 *
 *   claim (lease) → fetch baselines and the Nash population → evaluate() on a worker thread
 *   (heartbeats extend the lease meanwhile; progress written to the row, throttled) →
 *   completeJob (results exactly once) | failJob (invalid request: no retry; anything else:
 *   retry after an exponential backoff while attempts remain)
 *
 * A job id delivered twice is harmless: the second claim finds the job running under a live
 * lease or finished and does nothing. A worker that loses its lease (it stalled past the
 * lease, and a sweeper handed the job to someone else) stops and writes nothing.
 */
import { performance } from 'node:perf_hooks';
import { and, eq, sql } from 'drizzle-orm';
import type { BaselineRecord } from '../evaluation/evaluate.js';
import type { PopulationAgent } from '../evaluation/nash-scoring.js';
import type { EvaluationRequest } from '../evaluation/schemas.js';
import type { JobFinishedListener } from '../integrations/index.js';
import { getBestBaseline, listBaselines } from '../store/baselines.js';
import type { Db } from '../store/database.js';
import { claimJob, completeJob, failJob, heartbeat, updateProgress } from '../store/jobs.js';
import { type EvaluationJob, evaluation_jobs, type JobError } from '../store/schema.js';
import type { EvaluationPool } from './evaluation-pool.js';
import type { ProgressMessage, WorkerError } from './evaluation-worker.js';
import { recordAttempt, recordClaim } from './job-metrics.js';

export interface ProcessorDeps {
  db: Db;
  pool: EvaluationPool;
  /** Lease owner id: unique per process (host:pid:random). */
  owner: string;
  /** Lease length (default 30 s). A worker that stops heartbeating loses the job after this. */
  leaseMs?: number;
  /** Heartbeat period (default a third of the lease, so two can be missed). */
  heartbeatMs?: number;
  /** At most one progress write per this many ms (default 500). */
  progressIntervalMs?: number;
  /** Delay before retry number `attempt` (≥ 1) of a transient failure (default `exponentialBackoff()`). */
  backoff?: (attempt: number) => number;
  /** Aborted at shutdown: the running evaluation stops and the job is handed back. */
  signal?: AbortSignal;
  /** Called for errors that are not the job's own (a failed heartbeat or progress write). */
  onInternalError?: (err: unknown, context: string) => void;
  /**
   * Told when a job reaches its final state (completed the first time, or failed for good),
   * after that state is stored: HyperSync rollback and AutoML callback (src/integrations).
   */
  integrations?: JobFinishedListener;
}

export type ProcessResult =
  /** completed; `first` false when an earlier delivery had already completed it */
  | { outcome: 'completed'; job: EvaluationJob; first: boolean }
  /** transient failure, back to pending, due after `backoffMs` */
  | { outcome: 'retry'; job: EvaluationJob; error: JobError; backoffMs: number }
  /** failed for good: invalid request, or a transient failure on the last attempt */
  | { outcome: 'failed'; job: EvaluationJob | null; error: JobError }
  /** handed back at shutdown: pending again, the attempt not counted */
  | { outcome: 'released'; job: EvaluationJob | null }
  /** the lease ran out and the job went to another worker; nothing written */
  | { outcome: 'lost_lease' }
  /** not claimable: running under another worker's live lease, or already finished */
  | { outcome: 'skipped'; job: EvaluationJob | null };

export const DEFAULT_LEASE_MS = 30_000;

/** base × 2^(attempt − 1), capped: 1 s, 2 s, 4 s … (BullMQ's "exponential" backoff, same numbers). */
export function exponentialBackoff(baseMs = 1000, capMs = 300_000): (attempt: number) => number {
  return (attempt) => Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/** Claims job `jobId` and runs it (see the module comment). */
export async function processJob(jobId: string, deps: ProcessorDeps): Promise<ProcessResult> {
  const job = await claimJob(deps.db, jobId, {
    owner: deps.owner,
    leaseMs: deps.leaseMs ?? DEFAULT_LEASE_MS,
  });
  if (job === null) {
    const [current] = await deps.db.select().from(evaluation_jobs).where(eq(evaluation_jobs.id, jobId));
    return { outcome: 'skipped', job: current ?? null };
  }
  return runClaimedJob(job, deps);
}

/**
 * Runs a job this worker has just claimed (holds the lease of), and records the attempt in
 * the job metrics (src/queue/job-metrics.ts): wait on the first claim, a busy slot while it
 * runs, then its outcome, duration and — once per job — the evaluation's figures.
 */
export async function runClaimedJob(job: EvaluationJob, deps: ProcessorDeps): Promise<ProcessResult> {
  const start = performance.now();
  recordClaim(job);
  let result: ProcessResult | null = null;
  try {
    result = await runAttempt(job, deps);
    return result;
  } finally {
    recordAttempt(job, result, (performance.now() - start) / 1000);
  }
}

async function runAttempt(job: EvaluationJob, deps: ProcessorDeps): Promise<ProcessResult> {
  const { db, owner } = deps;
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const lease = { owner, leaseMs };
  const internalError = deps.onInternalError ?? (() => {});
  const stop = new AbortController();
  let lostLease = false;
  const loseLease = () => {
    lostLease = true;
    stop.abort(new Error('lease lost'));
  };
  const onShutdown = () => stop.abort(deps.signal?.reason);
  if (deps.signal?.aborted) onShutdown();
  else deps.signal?.addEventListener('abort', onShutdown, { once: true });

  // Heartbeats and progress writes run one at a time, so they never race each other.
  let writes: Promise<void> = Promise.resolve();
  const write = (context: string, fn: () => Promise<boolean>) => {
    writes = writes.then(async () => {
      if (lostLease) return;
      try {
        if (!(await fn())) loseLease();
      } catch (err) {
        // A database blip: the next heartbeat tries again before the lease runs out.
        internalError(err, context);
      }
    });
  };
  const beat = setInterval(
    () => write('heartbeat', () => heartbeat(db, job.id, lease)),
    deps.heartbeatMs ?? leaseMs / 3,
  );
  let latest: number | null = null;
  let written = job.progress;
  const flush = () => {
    if (latest === null || latest === written) return;
    const p = latest;
    written = p;
    write('progress', () => updateProgress(db, job.id, owner, p));
  };
  const progressTimer = setInterval(flush, deps.progressIntervalMs ?? 500);
  const onProgress = (m: ProgressMessage) => {
    // The fraction can dip as environments start at different times; the row only rises.
    if (Number.isFinite(m.fraction)) latest = Math.max(latest ?? 0, Math.min(1, Math.max(0, m.fraction)));
  };

  try {
    let outcome: Awaited<ReturnType<EvaluationPool['run']>>;
    try {
      const inputs = await loadInputs(db, job.request);
      outcome = await deps.pool.run({ request: job.request, ...inputs }, onProgress, stop.signal);
    } catch (err) {
      outcome = { ok: false, error: toWorkerError(err) };
    }
    clearInterval(beat);
    clearInterval(progressTimer);
    await writes;
    if (lostLease) return { outcome: 'lost_lease' };
    if (outcome.ok) {
      const { job: done, first } = await completeJob(db, job.id, outcome.result);
      // Only the first completion notifies: a second delivery of the same job already did.
      if (first) notifyFinished(deps, done);
      return { outcome: 'completed', job: done, first };
    }
    if (stop.signal.aborted) {
      return { outcome: 'released', job: await releaseJob(db, job.id, owner) };
    }
    const error = jobError(outcome.error);
    if (error.retryable) {
      const backoffMs = (deps.backoff ?? exponentialBackoff())(job.attempts);
      const { job: after, retried } = await failJob(db, job.id, owner, error, { retry: true, backoffMs });
      if (retried && after !== null) return { outcome: 'retry', job: after, error, backoffMs };
      if (after === null) return { outcome: 'lost_lease' };
      notifyFinished(deps, after);
      return { outcome: 'failed', job: after, error };
    }
    const { job: after } = await failJob(db, job.id, owner, error, { retry: false });
    if (after === null) return { outcome: 'lost_lease' };
    notifyFinished(deps, after);
    return { outcome: 'failed', job: after, error };
  } finally {
    clearInterval(beat);
    clearInterval(progressTimer);
    deps.signal?.removeEventListener('abort', onShutdown);
  }
}

/**
 * Tells the integrations about a finished, stored job. They run in the background; an error
 * here is reported as internal and never changes the job's outcome.
 */
function notifyFinished(deps: ProcessorDeps, job: EvaluationJob): void {
  if (deps.integrations === undefined) return;
  try {
    deps.integrations.jobFinished(job);
  } catch (err) {
    deps.onInternalError?.(err, `integrations for job ${job.id}`);
  }
}

/**
 * Hands a job back without counting the attempt (the worker is shutting down; the job did
 * nothing wrong). Only the lease holder may; returns the job, or null when it no longer held it.
 */
export async function releaseJob(db: Db, id: string, owner: string): Promise<EvaluationJob | null> {
  const [row] = await db
    .update(evaluation_jobs)
    .set({
      status: 'pending',
      lease_owner: null,
      lease_expires_at: null,
      attempts: sql`greatest(${evaluation_jobs.attempts} - 1, 0)`,
      run_after: sql`now()`,
      updated_at: sql`now()`,
    })
    .where(
      and(
        eq(evaluation_jobs.id, id),
        eq(evaluation_jobs.status, 'running'),
        eq(evaluation_jobs.lease_owner, owner),
      ),
    )
    .returning();
  return row ?? null;
}

/**
 * What evaluate() asks its caller for, fetched here because the worker thread has no
 * database: the rank-1 baseline of the agent type on each environment, and the rank-1
 * baselines of the other agent types as the Nash population. A malformed request fetches
 * nothing; evaluate() then rejects it with the field named.
 */
async function loadInputs(
  db: Db,
  request: EvaluationRequest,
): Promise<{
  baselines: Record<string, BaselineRecord | null>;
  population: Record<string, PopulationAgent[]>;
}> {
  const baselines: Record<string, BaselineRecord | null> = {};
  const population: Record<string, PopulationAgent[]> = {};
  const envs = Array.isArray(request?.environments)
    ? request.environments.filter((e) => typeof e === 'string')
    : [];
  const agentType = typeof request?.agent_type === 'string' ? request.agent_type : '';
  for (const env of envs) {
    const best = await getBestBaseline(db, agentType, env);
    baselines[env] =
      best === null
        ? null
        : { metrics: best.metrics, source: `baseline ${best.agent_type} v${best.version} (${best.id})` };
    population[env] = (await listBaselines(db, { environment: env }))
      .filter((b) => b.rank === 1 && b.agent_type !== agentType)
      .map((b) => {
        const returns = b.metrics.episode_returns;
        return {
          id: `baseline:${b.agent_type}`,
          kind: 'other' as const,
          agent_type: b.agent_type,
          perEnvMeanReturn: { [env]: b.mean_reward },
          ...(returns && returns.length > 0 ? { perEnvReturns: { [env]: returns } } : {}),
          perEnvStdError: { [env]: b.metrics.std_reward / Math.sqrt(Math.max(1, b.metrics.num_episodes)) },
        };
      });
  }
  return { baselines, population };
}

function toWorkerError(err: unknown): WorkerError {
  const e = err instanceof Error ? err : new Error(String(err));
  const kind = (e as { kind?: unknown }).kind;
  const details = (e as { details?: unknown }).details;
  return {
    name: e.name,
    kind: typeof kind === 'string' ? kind : null,
    message: e.message,
    details:
      details !== null && typeof details === 'object' ? (details as Record<string, unknown>) : undefined,
    stack: e.stack,
  };
}

/** The error recorded on the job. Invalid requests are final; everything else may pass (retry). */
function jobError(e: WorkerError): JobError {
  if (e.kind === 'validation') {
    return {
      error: 'validation_error',
      message: e.message,
      ...(e.details ? { details: e.details } : {}),
      retryable: false,
    };
  }
  return {
    error: e.kind === null ? 'internal_error' : `${e.kind}_error`,
    message: e.message,
    ...(e.details ? { details: e.details } : {}),
    retryable: true,
  };
}

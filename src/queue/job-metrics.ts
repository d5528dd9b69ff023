/**
 * The metrics of the process that runs jobs (the API process in embedded mode, each
 * `tars-eval worker` in distributed mode): job attempts, waits and durations, worker slots,
 * and per environment the figures of every finished evaluation — recorded once per job, from
 * the first completion only (a second delivery of a completed job records nothing), or from
 * the final failure.
 *
 * `agent_type` and `environment` labels are bounded with `boundedLabel` (the four agent types
 * and the registered environment ids; anything else is "other"), so a malformed request can
 * never create a new series.
 */
import { inArray, sql } from 'drizzle-orm';
import type { EvaluationRequest, EvaluationResult } from '../evaluation/schemas.js';
import { type IntegrationOutcomes, integrationOutcomes } from '../integrations/outcomes.js';
import { agentLabel, environmentLabel } from '../observability/labels.js';
import { boundedLabel, engineMetrics } from '../observability/metrics.js';
import type { Db } from '../store/database.js';
import { type EvaluationJob, evaluation_jobs } from '../store/schema.js';
import type { ProcessResult } from './processor.js';

/** Outcomes of `tars_eval_jobs_total` (every ProcessResult but "skipped", which ran nothing). */
export const JOB_OUTCOMES = ['completed', 'failed', 'retry', 'released', 'lost_lease'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];
const INTEGRATION_OUTCOMES = ['success', 'failure'] as const;
const VERDICTS = ['regression', 'no_regression', 'improvement', 'inconclusive'] as const;
const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
const RECOMMENDATIONS = ['accept', 'review', 'reject'] as const;

const connected = new WeakSet<IntegrationOutcomes>();

/**
 * Creates the job and integration series at zero and forwards integration outcomes (HyperSync
 * rollbacks, AutoML callbacks) to their counters. Idempotent; called by every job runner.
 */
export function initJobRunnerMetrics(outcomes: IntegrationOutcomes = integrationOutcomes): void {
  const m = engineMetrics();
  for (const outcome of JOB_OUTCOMES) m.jobs.inc({ outcome }, 0);
  m.jobRetries.inc(0);
  m.jobLeasesExpired.inc(0);
  m.envCacheHits.inc(0);
  m.envCacheMisses.inc(0);
  for (const outcome of INTEGRATION_OUTCOMES) {
    m.automlRequests.inc({ outcome }, 0);
    m.hypersyncRollbacks.inc({ outcome }, 0);
  }
  m.hypersyncRollbackFailures.inc(0);
  if (connected.has(outcomes)) return;
  connected.add(outcomes);
  outcomes.onOutcome((target, result) => {
    if (target === 'automl') {
      m.automlRequests.inc({ outcome: result });
    } else {
      m.hypersyncRollbacks.inc({ outcome: result });
      if (result === 'failure') m.hypersyncRollbackFailures.inc();
    }
  });
}

/** Slots this process offers (its job concurrency); several runners in one process add up. */
export function addWorkerSlots(n: number): void {
  engineMetrics().workerSlots.inc(n);
}

/**
 * A job was claimed. The first claim of a job sets `started_at` in the same statement that
 * sets `updated_at` (both `now()`), so equal times mark it; its wait is started − created.
 */
export function recordClaim(job: EvaluationJob): void {
  const m = engineMetrics();
  m.workerBusy.inc();
  const { created_at, started_at, updated_at } = job;
  if (started_at !== null && started_at.getTime() === updated_at.getTime()) {
    m.jobWait.observe(Math.max(0, (started_at.getTime() - created_at.getTime()) / 1000));
  }
}

/**
 * An attempt ended (`seconds` since its claim); records the job and, once, the evaluation.
 * `result` is null when the attempt threw (the database failed under it): the slot is free
 * again, and the outcome is left to the lease sweeper that will hand the job back.
 */
export function recordAttempt(job: EvaluationJob, result: ProcessResult | null, seconds: number): void {
  const m = engineMetrics();
  m.workerBusy.dec();
  if (result === null || result.outcome === 'skipped') return;
  m.jobs.inc({ outcome: result.outcome });
  m.jobDuration.observe({ outcome: result.outcome }, seconds);
  if (result.outcome === 'retry') m.jobRetries.inc();
  if (result.outcome === 'completed' && result.first && result.job.result !== null) {
    recordEvaluation(result.job.result);
  } else if (result.outcome === 'failed') {
    recordFailedEvaluation(job.request);
  }
}

/** Per environment, the figures of a completed evaluation. */
export function recordEvaluation(result: EvaluationResult): void {
  const m = engineMetrics();
  const agent_type = agentLabel(result.agent_type);
  for (const [envId, r] of Object.entries(result.results)) {
    const labels = { agent_type, environment: environmentLabel(envId) };
    m.evaluations.inc({ ...labels, status: 'completed' });
    m.evaluationDuration.observe(labels, r.seconds);
    m.episodes.inc(labels, r.metrics.num_episodes);
    if (r.training !== null) m.trainingTimesteps.inc(labels, r.training.total_timesteps);
    m.currentMeanReward.set(labels, r.metrics.mean_reward);
    m.currentSuccessRate.set(labels, r.metrics.success_rate);
    const report = r.regression;
    if (report !== null) {
      m.regressionChecks.inc({ ...labels, verdict: boundedLabel(report.verdict, VERDICTS) });
      if (report.verdict === 'regression') {
        m.regressionDetected.inc({ ...labels, severity: boundedLabel(report.severity, SEVERITIES) });
        if (report.should_rollback) m.rollbacksRecommended.inc(labels);
      }
    }
    const nash = r.nash_scores;
    if (nash !== null) {
      m.nashConflictScore.set(labels, nash.conflict_score);
      m.nashStabilityScore.set(labels, nash.stability_score);
      m.nashDeviation.set(labels, nash.deviation_from_equilibrium);
    }
  }
  const overall = result.overall.nash_scores;
  if (overall !== null) {
    m.nashRecommendations.inc({
      agent_type,
      recommendation: boundedLabel(overall.recommendation, RECOMMENDATIONS),
    });
  }
}

/** A job failed for good: one failed evaluation per requested environment. */
export function recordFailedEvaluation(request: EvaluationRequest | null | undefined): void {
  const m = engineMetrics();
  const agent_type = agentLabel(request?.agent_type);
  const envs = Array.isArray(request?.environments) ? request.environments : [];
  // A request too malformed to name its environments still failed one evaluation.
  const labels = envs.length > 0 ? [...new Set(envs.map(environmentLabel))] : ['other'];
  for (const environment of labels) m.evaluations.inc({ agent_type, environment, status: 'failed' });
}

/**
 * A lease sweep handed back `requeued` jobs and failed `failed` ones for good (their last
 * attempt's worker died): every one is an expired lease, and each failed job counts a failed
 * evaluation per requested environment (its request is read back for the labels).
 */
export async function recordLeaseSweep(
  db: Db,
  swept: { requeued: string[]; failed: string[] },
): Promise<void> {
  const m = engineMetrics();
  m.jobLeasesExpired.inc(swept.requeued.length + swept.failed.length);
  if (swept.failed.length === 0) return;
  const rows = await db
    .select({
      agent_type: sql<unknown>`${evaluation_jobs.request}->'agent_type'`,
      environments: sql<unknown>`${evaluation_jobs.request}->'environments'`,
    })
    .from(evaluation_jobs)
    .where(inArray(evaluation_jobs.id, swept.failed));
  for (const r of rows) recordFailedEvaluation(r as unknown as EvaluationRequest);
}

/** The environment-cache figures an evaluation thread reports with each outcome. */
export interface EnvCacheReport {
  /** The worker thread's id (its cache lives as long as the thread). */
  thread: number;
  /** Hits and misses since the thread's previous report. */
  hits: number;
  misses: number;
  /** Idle environments the thread's cache holds now. */
  size: number;
}

const cacheSizes = new Map<number, number>();

export function recordEnvCache(report: EnvCacheReport): void {
  const m = engineMetrics();
  m.envCacheHits.inc(report.hits);
  m.envCacheMisses.inc(report.misses);
  cacheSizes.set(report.thread, report.size);
  setCacheSizeGauge();
}

/** A thread ended: its cache is gone. */
export function forgetEnvCache(thread: number): void {
  if (cacheSizes.delete(thread)) setCacheSizeGauge();
}

function setCacheSizeGauge(): void {
  let total = 0;
  for (const n of cacheSizes.values()) total += n;
  engineMetrics().envCacheSize.set(total);
}

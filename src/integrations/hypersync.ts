/**
 * HyperSync, the deployment service: told to roll back when an evaluation confirms a
 * regression bad enough (`overall.should_rollback`, i.e. some environment's regression
 * severity reached EVAL_ROLLBACK_SEVERITY).
 *
 *   POST ${HYPERSYNC_URL}/rollback
 *   Content-Type: application/json
 *   Idempotency-Key: rollback:<job_id>     (the same on every retry, so HyperSync can dedupe)
 *
 *   { "job_id", "agent_type", "environment", "environments", "severity", "reason",
 *     "trial_id"?, "requested_at" }
 *
 * `environments` lists the environments whose report asked for the rollback (`environment`
 * is the first of them, for receivers that take one); `severity` is the evaluation's maximum
 * severity; `reason` joins those environments' regression details sentences. Any 2xx is
 * success. The retry policy is in delivery.ts.
 */
import type { EvaluationResult } from '../evaluation/schemas.js';
import type { EvaluationJob } from '../store/schema.js';
import { type DeliveryEnv, type DeliveryOutcome, deliver, type RetryPolicy } from './delivery.js';

export interface RollbackRequest {
  job_id: string;
  agent_type: string;
  environment: string;
  environments: string[];
  severity: EvaluationResult['overall']['max_severity'];
  reason: string;
  trial_id?: string;
  /** ISO 8601, when the engine decided. */
  requested_at: string;
}

/** The rollback request for a completed job, or null when its result does not ask for one. */
export function rollbackRequestFor(job: EvaluationJob, now: Date = new Date()): RollbackRequest | null {
  const result = job.result;
  if (job.status !== 'completed' || result === null || result.overall.should_rollback !== true) return null;
  const envs = result.environments.filter((e) => result.results[e]?.regression?.should_rollback === true);
  // overall.should_rollback is the OR of the per-environment flags; keep every environment
  // named even if a result was produced by a version that set only the overall flag.
  const environments = envs.length > 0 ? envs : [...result.environments];
  const reason = environments
    .map((e) => {
      const details = result.results[e]?.regression?.details;
      return details ? `${e}: ${details}` : e;
    })
    .join(' | ');
  const trialId = job.trial_id ?? job.request.trial_id ?? null;
  return {
    job_id: job.id,
    agent_type: result.agent_type,
    environment: environments[0] ?? '',
    environments,
    severity: result.overall.max_severity,
    reason: reason === '' ? result.overall.summary : reason,
    ...(trialId !== null ? { trial_id: trialId } : {}),
    requested_at: now.toISOString(),
  };
}

/** `${base}/rollback`, tolerating a trailing slash on the configured URL. */
export function rollbackUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/rollback`;
}

/** Sends one rollback request under the retry policy. */
export function sendRollback(
  baseUrl: string,
  body: RollbackRequest,
  policy: RetryPolicy,
  env: DeliveryEnv = {},
): Promise<DeliveryOutcome> {
  return deliver(
    {
      url: rollbackUrl(baseUrl),
      body: JSON.stringify(body),
      headers: { 'idempotency-key': `rollback:${body.job_id}` },
    },
    policy,
    env,
  );
}

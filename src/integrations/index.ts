/**
 * Outbound integrations run when a job ends: the HyperSync rollback request (a completed job
 * whose result says `should_rollback`, when HYPERSYNC_URL is set) and the AutoML callback (a
 * job whose request carried `callback_url`, completed or failed for good).
 *
 * The job processor calls `jobFinished(job)` after the job's final state is stored, and does
 * not wait: deliveries run in the background with their own timeouts and retries, so a slow
 * or dead receiver never holds a worker slot, and nothing here can change the stored result.
 * Every delivery ends in exactly one outcome, counted in `integrationOutcomes` and logged.
 * Delivery is at most once per job end (a process that dies mid-retry does not resume it);
 * HyperSync gets an Idempotency-Key so that retries are safe to apply once.
 */
import type { Config } from '../config.js';
import { loggerForLibrary } from '../observability/logger.js';
import type { EvaluationJob } from '../store/schema.js';
import { callbackHostAllowed, callbackPayloadFor, callbackUrlOf, signatureHeaders } from './automl.js';
import { type DeliveryEnv, type DeliveryOutcome, deliver, type RetryPolicy } from './delivery.js';
import { rollbackRequestFor, sendRollback } from './hypersync.js';
import { type IntegrationOutcomes, type IntegrationTarget, integrationOutcomes } from './outcomes.js';

export {
  type CallbackPayload,
  type CallbackSummary,
  callbackPayloadFor,
  DEFAULT_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  signatureHeaders,
  TIMESTAMP_HEADER,
  type VerifyResult,
  verifySignature,
} from './automl.js';
export {
  type AttemptRecord,
  backoffDelay,
  type DeliveryEnv,
  type DeliveryOutcome,
  type DeliveryRequest,
  deliver,
  parseRetryAfter,
  type RetryPolicy,
} from './delivery.js';
export { type RollbackRequest, rollbackRequestFor, rollbackUrl, sendRollback } from './hypersync.js';
export {
  IntegrationOutcomes,
  type IntegrationResult,
  type IntegrationTarget,
  integrationOutcomes,
  type OutcomeCounts,
  type OutcomeListener,
} from './outcomes.js';

export type IntegrationLogLevel = 'info' | 'warn' | 'error';
export type IntegrationLog = (
  level: IntegrationLogLevel,
  event: string,
  fields: Record<string, unknown>,
) => void;

export interface IntegrationsOptions {
  /** HyperSync base URL; null: no rollback requests. */
  hypersyncUrl: string | null;
  /** HMAC key for AutoML callbacks; null: unsigned (development) or not sent (production). */
  callbackSecret: string | null;
  /**
   * Hosts a callback may go to (AUTOML_CALLBACK_ALLOWED_HOSTS; null or absent: any). Checked
   * at submission by the API and again here, in case the list changed while the job waited.
   */
  callbackAllowedHosts?: readonly string[] | null;
  /** Production refuses to send unsigned callbacks. */
  production: boolean;
  policy: RetryPolicy;
  /** Where outcomes are counted (default the process-wide `integrationOutcomes`). */
  outcomes?: IntegrationOutcomes;
  /** Structured log sink (default: the process's pino logger, see processIntegrationLog). */
  log?: IntegrationLog;
  /** Jitter source and sleep, for tests. */
  delivery?: Omit<DeliveryEnv, 'signal'>;
  now?: () => Date;
}

/** What the job processor needs: a notification that a job reached its final state. */
export interface JobFinishedListener {
  jobFinished(job: EvaluationJob): void;
}

export class Integrations implements JobFinishedListener {
  readonly #options: IntegrationsOptions;
  readonly #outcomes: IntegrationOutcomes;
  readonly #log: IntegrationLog;
  readonly #pending = new Set<Promise<void>>();
  readonly #stop = new AbortController();

  constructor(options: IntegrationsOptions) {
    this.#options = options;
    this.#outcomes = options.outcomes ?? integrationOutcomes;
    this.#log = options.log ?? processIntegrationLog('warn');
  }

  /** Starts the deliveries a finished job calls for; returns at once and never throws. */
  jobFinished(job: EvaluationJob): void {
    try {
      const rollback = this.#options.hypersyncUrl === null ? null : rollbackRequestFor(job, this.#now());
      if (rollback !== null && this.#options.hypersyncUrl !== null) {
        const base = this.#options.hypersyncUrl;
        this.#track('hypersync', job.id, () =>
          sendRollback(base, rollback, this.#options.policy, this.#env()),
        );
      }
      const url = callbackUrlOf(job);
      if (url !== null) this.#callback(job, url);
    } catch (err) {
      // A malformed stored row must not take the worker down; it is logged and counted.
      this.#log('error', 'integration_error', { job_id: job.id, message: (err as Error).message });
    }
  }

  /** Resolves when every delivery started so far has finished. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /**
   * Lets deliveries in progress finish for up to `graceMs`, then aborts the rest (their
   * outcome is recorded as a failure).
   */
  async close(graceMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
      timer.unref();
    });
    await Promise.race([this.idle(), grace]);
    clearTimeout(timer);
    this.#stop.abort(new Error('integrations closed'));
    await this.idle();
  }

  #callback(job: EvaluationJob, url: string): void {
    const payload = callbackPayloadFor(job);
    if (payload === null) return;
    if (!callbackHostAllowed(url, this.#options.callbackAllowedHosts ?? null)) {
      this.#outcomes.record('automl', 'failure', 0);
      this.#log('error', 'automl_callback_not_sent', {
        job_id: job.id,
        reason: 'the callback host is not one AUTOML_CALLBACK_ALLOWED_HOSTS allows',
      });
      return;
    }
    const secret = this.#options.callbackSecret;
    if (secret === null && this.#options.production) {
      this.#outcomes.record('automl', 'failure', 0);
      this.#log('error', 'automl_callback_not_sent', {
        job_id: job.id,
        reason: 'AUTOML_CALLBACK_SECRET is not set; unsigned callbacks are not sent in production',
      });
      return;
    }
    const body = JSON.stringify(payload);
    const headers = secret === null ? {} : () => signatureHeaders(secret, body, this.#now().getTime() / 1000);
    this.#track('automl', job.id, () => deliver({ url, body, headers }, this.#options.policy, this.#env()));
  }

  #track(target: IntegrationTarget, jobId: string, send: () => Promise<DeliveryOutcome>): void {
    const run = (async () => {
      let outcome: DeliveryOutcome;
      try {
        outcome = await send();
      } catch (err) {
        outcome = { ok: false, status: null, error: (err as Error).message, attempts: [] };
      }
      const attempts = outcome.attempts.length;
      this.#outcomes.record(target, outcome.ok ? 'success' : 'failure', attempts);
      if (outcome.ok) {
        this.#log('info', `${target}_delivered`, { job_id: jobId, status: outcome.status, attempts });
      } else {
        this.#log('error', `${target}_failed`, {
          job_id: jobId,
          status: outcome.status,
          attempts,
          error: outcome.error,
        });
      }
    })();
    this.#pending.add(run);
    void run.finally(() => this.#pending.delete(run));
  }

  #env(): DeliveryEnv {
    return { ...this.#options.delivery, signal: this.#stop.signal };
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }
}

/**
 * The process's pino logger (or, outside `serve`/`worker`, one on stderr at `minLevel`) as an
 * integration log sink: the lines carry trace_id/span_id of the job's trace and go through
 * the same redaction as the API's.
 */
export function processIntegrationLog(minLevel: Config['logLevel']): IntegrationLog {
  const logger = loggerForLibrary(minLevel);
  return (level, event, fields) => logger[level](fields, event);
}

/** The integrations a configuration asks for (HYPERSYNC_*, AUTOML_CALLBACK_SECRET). */
export function integrationsFromConfig(
  config: Config,
  overrides: Partial<IntegrationsOptions> = {},
): Integrations {
  return new Integrations({
    hypersyncUrl: config.hypersyncUrl,
    callbackSecret: config.automlCallbackSecret,
    callbackAllowedHosts: config.automlCallbackAllowedHosts,
    production: config.nodeEnv === 'production',
    policy: { timeoutMs: config.hypersyncTimeoutMs, maxRetries: config.hypersyncMaxRetries },
    log: processIntegrationLog(config.logLevel),
    ...overrides,
  });
}

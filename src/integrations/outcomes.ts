/**
 * Counts of outbound integration deliveries by target and outcome, kept in-process. The
 * Prometheus layer reads these (`tars_eval_hypersync_rollback_failures_total`,
 * `tars_eval_automl_requests_total`, DESIGN.md section 7) through `snapshot()` or a listener;
 * this module does not depend on a metrics library.
 */

export type IntegrationTarget = 'hypersync' | 'automl';
export type IntegrationResult = 'success' | 'failure';

export interface OutcomeCounts {
  success: number;
  failure: number;
  /** HTTP attempts made, retries included. */
  attempts: number;
}

export type OutcomeListener = (
  target: IntegrationTarget,
  result: IntegrationResult,
  attempts: number,
) => void;

const zero = (): OutcomeCounts => ({ success: 0, failure: 0, attempts: 0 });

export class IntegrationOutcomes {
  #counts: Record<IntegrationTarget, OutcomeCounts> = { hypersync: zero(), automl: zero() };
  readonly #listeners = new Set<OutcomeListener>();

  record(target: IntegrationTarget, result: IntegrationResult, attempts: number): void {
    const c = this.#counts[target];
    c[result] += 1;
    c.attempts += attempts;
    for (const l of this.#listeners) l(target, result, attempts);
  }

  /** A copy of the counts. */
  snapshot(): Record<IntegrationTarget, OutcomeCounts> {
    return { hypersync: { ...this.#counts.hypersync }, automl: { ...this.#counts.automl } };
  }

  /** Called on every recorded outcome; returns the unsubscribe function. */
  onOutcome(listener: OutcomeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  reset(): void {
    this.#counts = { hypersync: zero(), automl: zero() };
  }
}

/** The process-wide counters every integration records into by default. */
export const integrationOutcomes = new IntegrationOutcomes();

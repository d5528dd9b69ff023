/**
 * Spans of the evaluation pipeline, through `@opentelemetry/api` only: the process (or
 * worker thread) that calls `evaluate()` decides whether a tracer provider is registered.
 * Without one the API's no-op tracer answers and these cost a few allocations; attributes that
 * take work to compute are only computed for a recording span.
 *
 *   evaluate_agent_in_env        one evaluate() call
 *     train_agent | load_agent   per environment (ml.environment)
 *     run_episodes               per environment
 *     compute_metrics            per environment
 *     detect_regression          the verdicts (Holm across environments; per environment in adaptive mode)
 *     nash_scoring               over the population
 */
import { type Attributes, type Span, SpanStatusCode, trace } from '@opentelemetry/api';

export const TRACER_NAME = 'tars-eval.evaluation';

const tracer = () => trace.getTracer(TRACER_NAME);

function fail(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/** Runs `fn` inside a child span of the active one; the span ends when `fn` (or its promise) does. */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => T): T {
  return tracer().startActiveSpan(name, { attributes }, (span) => {
    let result: T;
    try {
      result = fn(span);
    } catch (err) {
      fail(span, err);
      span.end();
      throw err;
    }
    if (result instanceof Promise) {
      return result.then(
        (v) => {
          span.end();
          return v;
        },
        (err: unknown) => {
          fail(span, err);
          span.end();
          throw err;
        },
      ) as T;
    }
    span.end();
    return result;
  });
}

const MAX_SUMMARY_CHARS = 512;

/**
 * A short, stable text of the hyperparameters (keys sorted, JSON, at most 512 characters) for
 * the `ml.hyperparameters` attribute: enough to tell runs apart, never a tensor dump.
 */
export function hyperparameterSummary(hp: Record<string, unknown>): string {
  const keys = Object.keys(hp).sort();
  const parts: string[] = [];
  for (const k of keys) {
    const v = hp[k];
    const text =
      v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string'
        ? JSON.stringify(v)
        : Array.isArray(v) && v.length <= 8 && v.every((x) => typeof x === 'number')
          ? JSON.stringify(v)
          : `<${Array.isArray(v) ? 'array' : typeof v}>`;
    parts.push(`${k}=${text}`);
  }
  const s = parts.join(',');
  return s.length <= MAX_SUMMARY_CHARS ? s : `${s.slice(0, MAX_SUMMARY_CHARS - 1)}…`;
}

/**
 * The span of one job run (`process_job`), parented by the trace context the API stored in the
 * job row when the job was submitted: the evaluation a worker runs minutes later, on another
 * machine, lands in the trace of the POST /v1/evaluate that asked for it. The evaluation's own
 * spans (evaluate_agent_in_env …) are children of this one; its context crosses to the worker
 * thread as a W3C traceparent carrier.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { extractTraceContext, injectTraceContext } from '../observability/tracing.js';
import type { EvaluationJob } from '../store/schema.js';

const tracer = () => trace.getTracer('tars-eval.queue');

/**
 * Runs `fn` inside a `process_job` span; `fn` gets the span's context as a carrier for the
 * worker thread (null when tracing is off). The span records the outcome `fn` returns.
 */
export async function withJobSpan<T extends { outcome: string }>(
  job: Pick<EvaluationJob, 'id' | 'attempts' | 'trace_context' | 'request'>,
  fn: (traceContext: Record<string, string> | null) => Promise<T>,
): Promise<T> {
  const parent = extractTraceContext(job.trace_context);
  const span = tracer().startSpan(
    'process_job',
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'tars.job.id': job.id,
        'tars.job.attempt': job.attempts,
        ...(typeof job.request?.agent_type === 'string' ? { 'ml.agent_type': job.request.agent_type } : {}),
      },
    },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  try {
    const result = await context.with(ctx, () => fn(injectTraceContext(ctx)));
    span.setAttribute('tars.job.outcome', result.outcome);
    if (result.outcome === 'failed' || result.outcome === 'retry') {
      const error = (result as { error?: { message?: string } }).error;
      span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message ?? result.outcome });
    }
    return result;
  } catch (err) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}

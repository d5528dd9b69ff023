/**
 * Request tracing: when this process traces (src/observability/tracing.ts), the @fastify/otel
 * plugin gives every request a span (a child of instrumentation-http's server span, or of the
 * caller's `traceparent`) and a span per lifecycle hook and handler, so the route's work —
 * and the job it submits — lands in the request's trace. With tracing off it registers nothing.
 *
 * Registered first, before any hook or route, because it wraps the hooks and routes added
 * after it.
 */
import type { FastifyInstance } from 'fastify';
import { fastifyTracingPlugin } from '../../observability/tracing.js';

export async function registerTracing(app: FastifyInstance): Promise<void> {
  const plugin = fastifyTracingPlugin();
  if (plugin !== null) await app.register(plugin);
}

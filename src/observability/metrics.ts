/**
 * The Prometheus registry of the engine (prom-client): Node process metrics (CPU, memory,
 * event-loop lag, GC, handles) and HTTP request count and duration by route template and
 * status. One registry per process, created on first use; label values are bounded (route
 * templates, never raw URLs). The domain metrics of DESIGN section 7 are registered here too
 * as they are instrumented.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface EngineMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status_code'>;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
}

let metrics: EngineMetrics | null = null;

/** The process-wide registry and HTTP metrics (created once). */
export function engineMetrics(): EngineMetrics {
  if (metrics !== null) return metrics;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: 'tars_eval_http_requests_total',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'tars_eval_http_request_duration_seconds',
    help: 'HTTP request duration in seconds by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  metrics = { registry, httpRequests, httpDuration };
  return metrics;
}

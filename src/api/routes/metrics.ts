/**
 * GET /metrics: Prometheus exposition of the process registry, and the hook that records
 * every request's count and duration by route template (the matched route's URL pattern, or
 * "unmatched" for 404s, so label cardinality stays bounded).
 */
import type { FastifyInstance } from 'fastify';
import { engineMetrics } from '../../observability/metrics.js';
import type { ApiContext } from '../context.js';
import { rateLimitClasses } from '../plugins/rate-limit.js';
import { ErrorEnvelope } from '../schemas.js';

export async function metricsRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const m = engineMetrics();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, status_code: String(reply.statusCode) };
    m.httpRequests.inc(labels);
    m.httpDuration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
  app.get(
    '/metrics',
    {
      config: { rateLimit: rateLimitClasses(ctx.config).public },
      schema: {
        summary: 'Prometheus metrics',
        description: 'Prometheus text exposition (version 0.0.4) of the engine and process metrics.',
        tags: ['operations'],
        produces: ['text/plain'],
        response: {
          200: { type: 'string', description: 'Prometheus exposition format' },
          429: {
            description: 'Too many requests',
            content: { 'application/json': { schema: ErrorEnvelope } },
          },
        },
      },
    },
    async (_request, reply) => {
      reply.header('content-type', m.registry.contentType);
      return m.registry.metrics();
    },
  );
}

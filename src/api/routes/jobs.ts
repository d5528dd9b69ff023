/** POST /v1/evaluate (submit; optionally wait) and GET /v1/jobs/{job_id}. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { NotFoundError } from '../../errors.js';
import { EvaluationRequest } from '../../evaluation/schemas.js';
import { injectTraceContext } from '../../observability/tracing.js';
import { createJob, type EvaluationJob, getJob, getJobSummary, type JobSummary } from '../../store/index.js';
import { type ApiContext, requireDatabase } from '../context.js';
import { rateLimitClasses } from '../plugins/rate-limit.js';
import { RecentReads, ResponseCache } from '../read-cache.js';
import { ErrorEnvelope, EvaluateHeaders, EvaluateQuery, Job, JobParams } from '../schemas.js';
import { checkEvaluationRequest } from '../validate-request.js';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** The stored job as the API shows it. */
export function jobView(job: EvaluationJob | JobSummary): Job {
  return {
    job_id: job.id,
    status: job.status,
    progress: job.progress,
    agent_type: job.request.agent_type,
    environments: job.request.environments,
    attempts: job.attempts,
    trial_id: job.trial_id,
    created_at: job.created_at.toISOString(),
    started_at: iso(job.started_at),
    finished_at: iso(job.finished_at),
    result: job.status === 'completed' ? job.result : null,
    error:
      job.error === null
        ? null
        : { error: job.error.error, message: job.error.message, details: job.error.details },
  };
}

const DEFAULT_WAIT_SECONDS = 30;
const done = (job: Pick<EvaluationJob, 'status'>) => job.status === 'completed' || job.status === 'failed';

/**
 * Serialised views of finished jobs, by id. A job that has completed or failed for good never
 * changes again (store/jobs.ts: completion and failure apply only to a running job, and a
 * finished one is never revived), so its response can be served without a database round trip
 * — and with PGlite's single connection, without waiting behind other queries. 32 M characters
 * at most (a result with learning curves is tens of kB).
 */
const FINISHED_CACHE_CHARS = 32 * 1024 * 1024;

/**
 * A pending or running job is read from the database at most once per ACTIVE_VIEW_MS, and once
 * for all concurrent requests: clients poll the jobs they wait for, often many at once, and a
 * progress value changes at most every 500 ms anyway (src/queue/processor.ts). A view is at most
 * this much older than the row; a job's completion is seen within it.
 */
export const ACTIVE_VIEW_MS = 250;
const ACTIVE_VIEW_ENTRIES = 10_000;
const JSON_TYPE = 'application/json; charset=utf-8';

export async function jobRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const limits = rateLimitClasses(ctx.config);
  const finished = new ResponseCache(FINISHED_CACHE_CHARS);
  const active = new RecentReads<JobSummary>(ACTIVE_VIEW_MS, ACTIVE_VIEW_ENTRIES);

  app.post<{
    Body: EvaluationRequest;
    Querystring: Static<typeof EvaluateQuery>;
    Headers: Static<typeof EvaluateHeaders>;
  }>(
    '/v1/evaluate',
    {
      onRequest: app.requireRole('developer'),
      config: { rateLimit: limits.evaluate },
      schema: {
        tags: ['evaluation'],
        summary: 'Submit an evaluation; 202 with the job, or 200 with the finished job when wait=true',
        security: [{ bearerAuth: [] }],
        headers: EvaluateHeaders,
        querystring: EvaluateQuery,
        body: EvaluationRequest,
        response: {
          200: Job,
          202: Job,
          400: ErrorEnvelope,
          401: ErrorEnvelope,
          403: ErrorEnvelope,
          413: ErrorEnvelope,
          429: ErrorEnvelope,
          503: ErrorEnvelope,
        },
      },
    },
    async (request, reply) => {
      const db = requireDatabase(ctx).db;
      const agentType = checkEvaluationRequest(request.body, ctx.config);
      const { job, created } = await createJob(db, {
        request: { ...request.body, agent_type: agentType },
        submitter: request.user.sub,
        idempotency_key: request.headers['idempotency-key'] ?? null,
        trial_id: request.body.trial_id ?? null,
        callback_url: request.body.callback_url ?? null,
        // The request's trace continues in whichever worker runs the job (src/queue/job-span.ts).
        trace_context: injectTraceContext(),
      });
      if (created && ctx.queue !== null) await ctx.queue.enqueue(job.id);
      reply.header('location', `/v1/jobs/${job.id}`);
      let current = job;
      if (request.query.wait === true && !done(current)) {
        const deadline = Date.now() + 1000 * (request.query.timeout ?? DEFAULT_WAIT_SECONDS);
        while (!done(current) && Date.now() < deadline) {
          await sleep(Math.min(ctx.waitPollMs, Math.max(1, deadline - Date.now())));
          current = (await getJob(db, job.id)) ?? current;
        }
      }
      return reply.code(done(current) ? 200 : 202).send(jobView(current));
    },
  );

  app.get<{ Params: Static<typeof JobParams> }>(
    '/v1/jobs/:job_id',
    {
      onRequest: app.requireRole('viewer'),
      config: { rateLimit: limits.public },
      schema: {
        tags: ['evaluation'],
        summary: 'Status, progress, result or error of a job',
        description:
          'A finished job never changes. The view of a pending or running job may be up to ' +
          `${ACTIVE_VIEW_MS} ms older than the stored row (polls are served from one read).`,
        security: [{ bearerAuth: [] }],
        params: JobParams,
        response: {
          200: Job,
          400: ErrorEnvelope,
          401: ErrorEnvelope,
          403: ErrorEnvelope,
          404: ErrorEnvelope,
        },
      },
    },
    async (request, reply) => {
      const id = request.params.job_id;
      const cached = finished.get(id);
      if (cached !== undefined) return reply.type(JSON_TYPE).send(cached);
      const job = await active.get(id, () => getJobSummary(requireDatabase(ctx).db, id));
      if (job === null) throw new NotFoundError(`job ${id} not found`, { job_id: id });
      if (!done(job)) return jobView(job);
      active.forget(id);
      // The route's compiled 200 serialiser: the cached text is what it would send each time.
      const body = String(reply.serialize(jobView(job)));
      finished.set(id, body);
      return reply.type(JSON_TYPE).send(body);
    },
  );
}

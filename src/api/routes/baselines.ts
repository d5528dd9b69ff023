/** GET /v1/baselines/{agent_type} (rank 1 + history) and POST /v1/baselines (insert, re-rank). */
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { parseAgentType } from '../../agents/index.js';
import { describeEnv } from '../../envs/registry.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import {
  BASELINE_CHANNEL,
  type Baseline as BaselineRow,
  getBaselineHistory,
  getJob,
  insertBaseline,
} from '../../store/index.js';
import { type ApiContext, requireDatabase } from '../context.js';
import { rateLimitClasses } from '../plugins/rate-limit.js';
import { ResponseCache } from '../read-cache.js';
import {
  type Baseline,
  BaselineInserted,
  BaselineParams,
  BaselineQuery,
  BaselineView,
  ErrorEnvelope,
  NewBaseline,
} from '../schemas.js';

export function baselineView(row: BaselineRow): Baseline {
  return {
    id: row.id,
    agent_type: row.agent_type,
    environment: row.environment,
    version: row.version,
    rank: row.rank,
    metrics: row.metrics,
    hyperparameters: row.hyperparameters,
    source_job_id: row.source_job_id,
    created_by: row.created_by,
    created_at: row.created_at.toISOString(),
  };
}

function checkEnvironment(envId: string, field: string): void {
  try {
    describeEnv(envId);
  } catch (err) {
    throw new ValidationError(`${field}: ${(err as Error).message}`, { field });
  }
}

/** Characters of serialised baseline responses kept (a response is a few kB). */
const BASELINE_CACHE_CHARS = 8 * 1024 * 1024;
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Serialised `GET /v1/baselines/{type}` answers, kept until the baselines of any key change.
 * Every change commits with a NOTIFY on BASELINE_CHANNEL (store/baselines.ts), which reaches
 * this process whichever process made it (another API instance, `tars-eval baseline set`), so
 * reads need no database round trip until then. A read stores its answer only when no change
 * was announced while it ran (the generation check), so an answer read before a commit cannot
 * outlive that commit's notification. While not listening — before the subscription, or after
 * its connection is lost and until it is back — nothing is served from or kept in the cache.
 */
class BaselineReadCache {
  private readonly responses = new ResponseCache(BASELINE_CACHE_CHARS);
  private generation = 0;
  private listening = false;

  invalidate(): void {
    this.generation++;
    this.responses.clear();
  }

  setListening(on: boolean): void {
    this.listening = on;
    this.invalidate();
  }

  get(key: string): string | undefined {
    return this.listening ? this.responses.get(key) : undefined;
  }

  /** The generation to hand back to `set` once the answer is read. */
  begin(): number {
    return this.generation;
  }

  set(key: string, body: string, generation: number): void {
    if (this.listening && generation === this.generation) this.responses.set(key, body);
  }
}

export async function baselineRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const limit = rateLimitClasses(ctx.config).public;
  const cache = new BaselineReadCache();
  const database = ctx.database;
  if (database !== null) {
    try {
      const unlisten = await database.listen(
        BASELINE_CHANNEL,
        () => cache.invalidate(),
        (on) => cache.setListening(on),
      );
      cache.setListening(true);
      app.addHook('onClose', async () => {
        cache.setListening(false);
        await unlisten();
      });
    } catch (err) {
      app.log.warn({ err }, 'cannot LISTEN for baseline changes; baseline reads are not cached');
    }
  }

  app.get<{ Params: Static<typeof BaselineParams>; Querystring: Static<typeof BaselineQuery> }>(
    '/v1/baselines/:agent_type',
    {
      onRequest: app.requireRole('viewer'),
      config: { rateLimit: limit },
      schema: {
        tags: ['baselines'],
        summary: 'The rank-1 baseline of an agent type on an environment, with the top_n history',
        security: [{ bearerAuth: [] }],
        params: BaselineParams,
        querystring: BaselineQuery,
        response: {
          200: BaselineView,
          400: ErrorEnvelope,
          401: ErrorEnvelope,
          403: ErrorEnvelope,
          404: ErrorEnvelope,
        },
      },
    },
    async (request, reply) => {
      const db = requireDatabase(ctx).db;
      const agentType = parseAgentType(request.params.agent_type);
      const { environment } = request.query;
      checkEnvironment(environment, 'environment');
      const topN = request.query.top_n ?? 10;
      const cacheKey = `${agentType}\u001f${environment}\u001f${topN}`;
      const cached = cache.get(cacheKey);
      if (cached !== undefined) return reply.type(JSON_TYPE).send(cached);
      const generation = cache.begin();
      // One query: the history is the active records by rank, so its first row is the rank-1
      // record when there is one (top_n ≥ 1) — the same row getBestBaseline would read.
      const history = await getBaselineHistory(db, agentType, environment, topN);
      const best = history.length > 0 && history[0].rank === 1 ? history[0] : null;
      if (best === null) {
        throw new NotFoundError(`no baseline for ${agentType} on ${environment}`, {
          agent_type: agentType,
          environment,
        });
      }
      // The route's compiled 200 serialiser: the cached text is what it would send each time.
      const body = String(
        reply.serialize({
          agent_type: agentType,
          environment,
          best: baselineView(best),
          history: history.map(baselineView),
        }),
      );
      cache.set(cacheKey, body, generation);
      return reply.type(JSON_TYPE).send(body);
    },
  );

  app.post<{ Body: NewBaseline }>(
    '/v1/baselines',
    {
      onRequest: app.requireRole('admin'),
      config: { rateLimit: limit },
      schema: {
        tags: ['baselines'],
        summary: 'Insert a baseline record; it is versioned, ranked, and audited',
        description:
          'The new record becomes rank 1 only when the lower bound of its mean-reward CI (or, without a CI, ' +
          'its mean) exceeds the current best mean; otherwise it takes its rank by mean reward.',
        security: [{ bearerAuth: [] }],
        body: NewBaseline,
        response: {
          201: BaselineInserted,
          400: ErrorEnvelope,
          401: ErrorEnvelope,
          403: ErrorEnvelope,
          429: ErrorEnvelope,
        },
      },
    },
    async (request, reply) => {
      const db = requireDatabase(ctx).db;
      const body = request.body;
      const agentType = parseAgentType(body.agent_type);
      checkEnvironment(body.environment, 'environment');
      if (body.source_job_id !== undefined && (await getJob(db, body.source_job_id)) === null) {
        throw new ValidationError(`source_job_id ${body.source_job_id} is not a known job`, {
          field: 'source_job_id',
        });
      }
      const inserted = await insertBaseline(
        db,
        {
          agent_type: agentType,
          environment: body.environment,
          metrics: body.metrics,
          hyperparameters: body.hyperparameters,
          source_job_id: body.source_job_id ?? null,
          created_by: request.user.sub,
        },
        request.user.username,
      );
      // The NOTIFY reaches this process too, but only after the commit's round trip; drop the
      // cached answers now so that this client's next read sees its own write.
      cache.invalidate();
      return reply.code(201).send({
        baseline: baselineView(inserted.baseline),
        rank: inserted.rank,
        version: inserted.version,
        is_new_best: inserted.is_new_best,
      });
    },
  );
}

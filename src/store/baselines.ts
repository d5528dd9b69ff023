/**
 * Baselines: the reference performance of an agent type on an environment, versioned and
 * ranked per (agent_type, environment). The rules are written up in docs/store/baselines.md.
 *
 * Ranking rule. Rank 1 is "the" baseline regression detection compares against. A new record
 * becomes rank 1 only when it is convincingly better than the current rank 1:
 *   - when its metrics carry a confidence interval for the mean (`mean_ci`, as every
 *     MetricsResult does): its lower bound must exceed the current best's mean reward;
 *   - without a CI: its mean reward must exceed the current best's (ties keep the incumbent).
 * Why: one noisy lucky run must not displace a baseline — if it did, every later evaluation
 * would be compared against an inflated bar and flagged as a regression. Requiring the CI's
 * lower bound above the incumbent's mean is a one-sided test at the CI's level that the new
 * agent's true mean exceeds the incumbent's observed one; it needs no CI on the incumbent
 * (older records may have none). Records that do not become rank 1 take ranks 2… among the
 * other active records in order of mean reward (higher first; equal means: newer first). So a
 * record can have a higher mean than rank 1 and still rank 2 — promotion needs evidence.
 *
 * Versions count 1, 2, 3… per (agent_type, environment), never reused. Insert and rollback
 * serialise on a transaction-scoped advisory lock for their (agent_type, environment), so
 * versions are gap-free and ranks a permutation under concurrent inserts.
 *
 * Rollback makes the record that was rank 1 before the current one rank 1 again; the current
 * one is retired (rank null, `retired_at` set): kept for history and audit, never ranked or
 * promoted again.
 */

import { and, asc, desc, eq, isNotNull, isNull, lte, sql } from 'drizzle-orm';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { BaselineMetrics, ConfidenceInterval } from '../evaluation/schemas.js';
import { agentLabel, environmentLabel } from '../observability/labels.js';
import { engineMetrics } from '../observability/metrics.js';
import { appendAudit } from './audit.js';
import type { Db } from './database.js';
import { type Baseline, baselines } from './schema.js';

/**
 * NOTIFY channel of baseline changes: every transaction that changes the baselines of an
 * (agent_type, environment) sends its key (`agent_type` U+001F `environment`), delivered when
 * it commits, so that read caches in any process (src/api) drop what they hold.
 */
export const BASELINE_CHANNEL = 'tars_baselines';

async function announce(tx: Db, agent_type: string, environment: string): Promise<void> {
  await tx.execute(sql`select pg_notify(${BASELINE_CHANNEL}, ${`${agent_type}\u001f${environment}`})`);
}

/** First key of the two-key advisory lock: a constant naming the "baseline" lock class. */
const BASELINE_LOCK_CLASS = 0x7a_b1;

export interface NewBaseline {
  agent_type: string;
  environment: string;
  metrics: BaselineMetrics;
  hyperparameters?: Record<string, unknown>;
  source_job_id?: string | null;
  created_by?: string | null;
}

export interface InsertedBaseline {
  baseline: Baseline;
  rank: number;
  version: number;
  is_new_best: boolean;
}

function meanCi(metrics: BaselineMetrics): ConfidenceInterval | null {
  const ci = (metrics as { mean_ci?: unknown }).mean_ci as Partial<ConfidenceInterval> | undefined;
  return ci && typeof ci.low === 'number' && Number.isFinite(ci.low) ? (ci as ConfidenceInterval) : null;
}

/** The promotion rule above: is `candidate` convincingly better than the current best? */
export function beatsBest(candidate: BaselineMetrics, best: { mean_reward: number }): boolean {
  const ci = meanCi(candidate);
  return ci ? ci.low > best.mean_reward : candidate.mean_reward > best.mean_reward;
}

const key = (agent_type: string, environment: string) =>
  and(eq(baselines.agent_type, agent_type), eq(baselines.environment, environment));

async function lockKey(tx: Db, agent_type: string, environment: string): Promise<void> {
  // hashtext collisions only make two keys share a lock (extra waiting), never break ranking.
  const name = `${agent_type}\u001f${environment}`;
  await tx.execute(sql`select pg_advisory_xact_lock(${BASELINE_LOCK_CLASS}::int4, hashtext(${name}))`);
}

async function currentBest(tx: Db, agent_type: string, environment: string): Promise<Baseline | null> {
  const [row] = await tx
    .select()
    .from(baselines)
    .where(and(key(agent_type, environment), eq(baselines.rank, 1), isNull(baselines.retired_at)));
  return row ?? null;
}

/** Rewrites ranks of the active records of a key: `champion` 1, the rest by mean reward. */
async function rerank(tx: Db, agent_type: string, environment: string, champion: string): Promise<void> {
  await tx.execute(sql`
    update baselines b set rank = r.new_rank, updated_at = now()
    from (
      select id, row_number() over (
        order by (id = ${champion}::uuid) desc, mean_reward desc, version desc
      )::int as new_rank
      from baselines
      where agent_type = ${agent_type} and environment = ${environment} and retired_at is null
    ) r
    where b.id = r.id and b.rank is distinct from r.new_rank`);
}

/** Inserts a baseline, assigns the next version, re-ranks; one transaction. */
export async function insertBaseline(
  db: Db,
  input: NewBaseline,
  actor: string | null = null,
): Promise<InsertedBaseline> {
  if (!input.agent_type || !input.environment) {
    throw new ValidationError('agent_type and environment are required', {
      field: input.agent_type ? 'environment' : 'agent_type',
    });
  }
  const mean = input.metrics.mean_reward;
  if (typeof mean !== 'number' || !Number.isFinite(mean)) {
    throw new ValidationError('metrics.mean_reward must be a finite number', {
      field: 'metrics.mean_reward',
    });
  }
  const inserted = await db.transaction(async (txx) => {
    const tx = txx as unknown as Db;
    await lockKey(tx, input.agent_type, input.environment);
    const [{ max }] = await tx
      .select({ max: sql<number>`coalesce(max(${baselines.version}), 0)::int` })
      .from(baselines)
      .where(key(input.agent_type, input.environment));
    const version = Number(max) + 1;
    const best = await currentBest(tx, input.agent_type, input.environment);
    const is_new_best = best === null || beatsBest(input.metrics, best);
    const [row] = await tx
      .insert(baselines)
      .values({
        agent_type: input.agent_type,
        environment: input.environment,
        version,
        metrics: input.metrics,
        mean_reward: mean,
        hyperparameters: input.hyperparameters ?? {},
        source_job_id: input.source_job_id ?? null,
        created_by: input.created_by ?? null,
        previous_best_id: is_new_best && best ? best.id : null,
      })
      .returning();
    await rerank(tx, input.agent_type, input.environment, is_new_best ? row.id : (best as Baseline).id);
    await announce(tx, input.agent_type, input.environment);
    const [baseline] = await tx.select().from(baselines).where(eq(baselines.id, row.id));
    await appendAudit(tx, {
      actor,
      action: 'baseline.insert',
      entity: 'baseline',
      entity_id: baseline.id,
      details: {
        agent_type: baseline.agent_type,
        environment: baseline.environment,
        version,
        rank: baseline.rank,
        is_new_best,
        mean_reward: mean,
        previous_best_id: baseline.previous_best_id,
      },
    });
    return { baseline, rank: baseline.rank as number, version, is_new_best };
  });
  countBaselineUpdate(input.agent_type, input.environment, 'set');
  return inserted;
}

/** `tars_eval_baseline_updates_total`, counted once the write has committed. */
function countBaselineUpdate(agent_type: string, environment: string, action: 'set' | 'rollback'): void {
  engineMetrics().baselineUpdates.inc({
    agent_type: agentLabel(agent_type),
    environment: environmentLabel(environment),
    action,
  });
}

/** The rank-1 baseline of (agent_type, environment), or null when there is none. */
export function getBestBaseline(db: Db, agent_type: string, environment: string): Promise<Baseline | null> {
  return currentBest(db, agent_type, environment);
}

/** The top `top_n` active records by rank (rank 1 first). */
export async function getBaselineHistory(
  db: Db,
  agent_type: string,
  environment: string,
  top_n = 10,
): Promise<Baseline[]> {
  return db
    .select()
    .from(baselines)
    .where(and(key(agent_type, environment), isNull(baselines.retired_at), lte(baselines.rank, top_n)))
    .orderBy(asc(baselines.rank));
}

/** Every record (retired ones too when asked), by agent type, environment, then version (newest first). */
export async function listBaselines(
  db: Db,
  filter: { agent_type?: string; environment?: string; include_retired?: boolean } = {},
): Promise<Baseline[]> {
  const conds = [];
  if (filter.agent_type !== undefined) conds.push(eq(baselines.agent_type, filter.agent_type));
  if (filter.environment !== undefined) conds.push(eq(baselines.environment, filter.environment));
  if (!filter.include_retired) conds.push(isNull(baselines.retired_at));
  return db
    .select()
    .from(baselines)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(asc(baselines.agent_type), asc(baselines.environment), desc(baselines.version));
}

/**
 * Rolls back the rank-1 baseline: the record it displaced becomes rank 1 again, the current
 * one is retired, the rest re-ranked, and an audit entry written. NotFoundError when there is
 * no baseline; ConflictError when the current one displaced nothing (nothing to return to).
 */
export async function rollbackBaseline(
  db: Db,
  agent_type: string,
  environment: string,
  actor: string | null = null,
  reason?: string,
): Promise<{ restored: Baseline; retired: Baseline }> {
  const done = await db.transaction(async (txx) => {
    const tx = txx as unknown as Db;
    await lockKey(tx, agent_type, environment);
    const current = await currentBest(tx, agent_type, environment);
    if (!current)
      throw new NotFoundError(`no baseline for ${agent_type} on ${environment}`, { agent_type, environment });
    // The displaced record is active by construction (only a rank-1 record is ever retired,
    // and a displaced one is not rank 1); walk past retired ones anyway, defensively.
    let prevId = current.previous_best_id;
    let previous: Baseline | null = null;
    while (prevId) {
      const [p] = await tx.select().from(baselines).where(eq(baselines.id, prevId));
      if (!p) break;
      if (p.retired_at === null) {
        previous = p;
        break;
      }
      prevId = p.previous_best_id;
    }
    if (!previous) {
      throw new ConflictError(
        `baseline v${current.version} of ${agent_type} on ${environment} has no predecessor to roll back to`,
        {
          agent_type,
          environment,
          version: current.version,
        },
      );
    }
    await tx
      .update(baselines)
      .set({ rank: null, retired_at: sql`now()`, updated_at: sql`now()` })
      .where(eq(baselines.id, current.id));
    await rerank(tx, agent_type, environment, previous.id);
    await announce(tx, agent_type, environment);
    const [restored] = await tx.select().from(baselines).where(eq(baselines.id, previous.id));
    const [retired] = await tx.select().from(baselines).where(eq(baselines.id, current.id));
    await appendAudit(tx, {
      actor,
      action: 'baseline.rollback',
      entity: 'baseline',
      entity_id: restored.id,
      details: {
        agent_type,
        environment,
        restored_version: restored.version,
        retired_version: retired.version,
        retired_id: retired.id,
        ...(reason ? { reason } : {}),
      },
    });
    return { restored, retired };
  });
  countBaselineUpdate(agent_type, environment, 'rollback');
  return done;
}

/** Retired records of a key, newest retirement first. */
export async function listRetiredBaselines(
  db: Db,
  agent_type: string,
  environment: string,
): Promise<Baseline[]> {
  return db
    .select()
    .from(baselines)
    .where(and(key(agent_type, environment), isNotNull(baselines.retired_at)))
    .orderBy(desc(baselines.retired_at));
}

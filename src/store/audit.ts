/** The audit log: an append-only record of baseline and user changes (who, what, when). */
import { and, desc, eq } from 'drizzle-orm';
import type { Db } from './database.js';
import { type AuditEntry, audit_log } from './schema.js';

export interface AuditInput {
  /** user id or name of whoever acted; null for the system itself */
  actor?: string | null;
  /** dotted verb, e.g. `baseline.insert`, `user.create` */
  action: string;
  entity: string;
  entity_id?: string | null;
  details?: Record<string, unknown>;
}

export async function appendAudit(db: Db, entry: AuditInput): Promise<AuditEntry> {
  const [row] = await db
    .insert(audit_log)
    .values({
      actor: entry.actor ?? null,
      action: entry.action,
      entity: entry.entity,
      entity_id: entry.entity_id ?? null,
      details: entry.details ?? {},
    })
    .returning();
  return row;
}

/** Newest first. */
export async function listAudit(
  db: Db,
  filter: { entity?: string; entity_id?: string; limit?: number } = {},
): Promise<AuditEntry[]> {
  const conds = [];
  if (filter.entity !== undefined) conds.push(eq(audit_log.entity, filter.entity));
  if (filter.entity_id !== undefined) conds.push(eq(audit_log.entity_id, filter.entity_id));
  return db
    .select()
    .from(audit_log)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(audit_log.id))
    .limit(filter.limit ?? 100);
}

/**
 * The bounded `agent_type` and `environment` label values: the four agent types and the ids
 * of the registered environments (`listEnvs()`); anything else is recorded as "other", so a
 * malformed request or a stray database row can never create a new series.
 */
import { listEnvs } from '../envs/registry.js';
import { AGENT_TYPE_VALUES, boundedLabel } from './metrics.js';

let envIds: string[] | null = null;

/** The registered environment ids (the allowed `environment` label values). */
export function environmentLabels(): readonly string[] {
  envIds ??= listEnvs().map((e) => e.id);
  return envIds;
}

export function agentLabel(value: unknown): string {
  return boundedLabel(value, AGENT_TYPE_VALUES);
}

export function environmentLabel(value: unknown): string {
  return boundedLabel(value, environmentLabels());
}

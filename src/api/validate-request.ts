/**
 * The checks an evaluation request passes before it becomes a job, so that bad input gets a
 * 400 naming the field at submission instead of a failed job later: the agent type, every
 * environment id, the hyperparameters against the agent type's schema, the size and shape of
 * agent_state (it must parse as a state dict and fit each environment's spaces), and seeds
 * against num_episodes. The schema itself (types, ranges, unknown fields) has already been
 * checked by the route's body schema. Beyond the size limit, these are the checks
 * `evaluate()` itself runs first (`validateEvaluationRequest`).
 */

import type { AgentType } from '../agents/hyperparameters.js';
import type { Config } from '../config.js';
import { TarsError, ValidationError } from '../errors.js';
import { validateEvaluationRequest } from '../evaluation/evaluate.js';
import type { EvaluationRequest } from '../evaluation/schemas.js';
import { callbackHostAllowed } from '../integrations/automl.js';

/** DESIGN 6: agent_state is at most 10 MB (decoded bytes for safetensors, JSON text otherwise). */
export const MAX_AGENT_STATE_BYTES = 10 * 1024 * 1024;

/** Body limit: a 10 MB safetensors file is 13.4 MB as base64, plus the rest of the request. */
export const BODY_LIMIT_BYTES = 14 * 1024 * 1024;

export class PayloadTooLargeError extends TarsError {
  readonly statusCode = 413;
  constructor(message: string, details: Record<string, unknown>) {
    // 'validation' kind for the CLI; the API maps this class to 413 by its statusCode.
    super('validation', message, details);
  }
}

function agentStateBytes(state: unknown): number {
  if (
    state !== null &&
    typeof state === 'object' &&
    (state as { format?: unknown }).format === 'safetensors'
  ) {
    const b64 = (state as { data_base64?: unknown }).data_base64;
    if (typeof b64 === 'string') {
      const padding = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
      return Math.floor((b64.length * 3) / 4) - padding;
    }
  }
  return Buffer.byteLength(JSON.stringify(state));
}

/** Throws ValidationError (400) or PayloadTooLargeError (413) naming the field; returns the agent type. */
export function checkEvaluationRequest(req: EvaluationRequest, config: Config): AgentType {
  if (req.agent_state !== undefined) {
    const bytes = agentStateBytes(req.agent_state);
    if (bytes > MAX_AGENT_STATE_BYTES) {
      throw new PayloadTooLargeError(`agent_state is ${bytes} bytes; the limit is ${MAX_AGENT_STATE_BYTES}`, {
        field: 'agent_state',
        bytes,
        limit: MAX_AGENT_STATE_BYTES,
      });
    }
  }
  if (
    req.callback_url !== undefined &&
    !callbackHostAllowed(req.callback_url, config.automlCallbackAllowedHosts)
  ) {
    throw new ValidationError(
      `callback_url: host '${hostOf(req.callback_url)}' is not one AUTOML_CALLBACK_ALLOWED_HOSTS allows`,
      { field: 'callback_url', allowed: config.automlCallbackAllowedHosts },
    );
  }
  return validateEvaluationRequest(req, {
    defaultEpisodes: config.evaluation.defaultEpisodes,
    quickModeEpisodes: config.evaluation.quickModeEpisodes,
  }).agentType;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * AutoML callbacks: a request that carries `callback_url` gets the job's outcome POSTed there
 * when the job ends — completed, or failed for good (not on a retry).
 *
 * Signature scheme (when AUTOML_CALLBACK_SECRET is set):
 *
 *   X-Tars-Timestamp: <t>                    unix seconds when the body was signed
 *   X-Tars-Signature: sha256=<hex>           HMAC-SHA256(secret, "<t>.<raw body>")
 *
 * Binding the timestamp into the signed bytes means an attacker who captured one callback
 * cannot re-send it later: the receiver rejects timestamps outside its tolerance (default
 * 5 minutes), and changing the timestamp breaks the signature. Receivers must verify over
 * the raw bytes received, before parsing the JSON (`verifySignature`). Retries re-sign with
 * a fresh timestamp, so a retry after a long Retry-After still verifies.
 *
 * Without a secret, development and test send callbacks unsigned (no signature headers);
 * production does not send them at all (counted as a failure and logged), so an
 * unauthenticated result never leaves a production deployment.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EvaluationResult } from '../evaluation/schemas.js';
import type { EvaluationJob, JobError } from '../store/schema.js';

export const SIGNATURE_HEADER = 'x-tars-signature';
export const TIMESTAMP_HEADER = 'x-tars-timestamp';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export interface CallbackSummary {
  /** Mean episode return per environment. */
  mean_reward: Record<string, number>;
  regression_detected: boolean;
  should_rollback: boolean;
  max_severity: EvaluationResult['overall']['max_severity'];
  total_seconds: number;
}

export interface CallbackPayload {
  job_id: string;
  trial_id: string | null;
  status: 'completed' | 'failed';
  agent_type: string;
  environments: string[];
  attempts: number;
  finished_at: string | null;
  summary: CallbackSummary | null;
  result: EvaluationResult | null;
  error: { error: string; message: string; details?: Record<string, unknown> } | null;
}

/** The callback body for a finished job, or null when the job is not finished. */
export function callbackPayloadFor(job: EvaluationJob): CallbackPayload | null {
  if (job.status !== 'completed' && job.status !== 'failed') return null;
  const result = job.status === 'completed' ? job.result : null;
  const err: JobError | null = job.status === 'failed' ? job.error : null;
  return {
    job_id: job.id,
    trial_id: job.trial_id ?? job.request.trial_id ?? null,
    status: job.status,
    agent_type: job.request.agent_type,
    environments: job.request.environments,
    attempts: job.attempts,
    finished_at: job.finished_at === null ? null : job.finished_at.toISOString(),
    summary:
      result === null
        ? null
        : {
            mean_reward: Object.fromEntries(
              result.environments.map((e) => [e, result.results[e]?.metrics.mean_reward ?? Number.NaN]),
            ),
            regression_detected: result.overall.regression_detected,
            should_rollback: result.overall.should_rollback,
            max_severity: result.overall.max_severity,
            total_seconds: result.timings.total_seconds,
          },
    result,
    error:
      err === null
        ? null
        : { error: err.error, message: err.message, ...(err.details ? { details: err.details } : {}) },
  };
}

/** The callback URL of a job: the column, else the request field. */
export function callbackUrlOf(job: EvaluationJob): string | null {
  return job.callback_url ?? job.request.callback_url ?? null;
}

function hmacHex(secret: string, timestamp: string, body: string | Uint8Array): string {
  // Over the bytes: a string body is its UTF-8 encoding, exactly what goes on the wire.
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The signature headers for `body` signed at `nowSeconds`. */
export function signatureHeaders(
  secret: string,
  body: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const t = String(Math.floor(nowSeconds));
  return { [TIMESTAMP_HEADER]: t, [SIGNATURE_HEADER]: `sha256=${hmacHex(secret, t, body)}` };
}

export type VerifyResult =
  | { valid: true }
  | { valid: false; reason: 'missing_headers' | 'malformed' | 'stale' | 'mismatch' };

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : headers[key];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Checks a received callback: `body` is the raw request body (string or bytes, exactly as
 * received), `headers` a Fetch `Headers` or Node's `IncomingHttpHeaders`. Valid when the
 * timestamp is within `toleranceSeconds` of `nowSeconds` and the HMAC matches (compared in
 * constant time).
 */
export function verifySignature(
  secret: string,
  body: string | Uint8Array,
  headers: HeaderBag,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): VerifyResult {
  const t = header(headers, TIMESTAMP_HEADER);
  const sig = header(headers, SIGNATURE_HEADER);
  if (t === undefined || sig === undefined) return { valid: false, reason: 'missing_headers' };
  const m = /^sha256=([0-9a-f]{64})$/.exec(sig.trim());
  if (!/^\d{1,12}$/.test(t.trim()) || m === null) return { valid: false, reason: 'malformed' };
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - Number(t.trim())) > tolerance) return { valid: false, reason: 'stale' };
  const expected = Buffer.from(hmacHex(secret, t.trim(), body), 'hex');
  const given = Buffer.from(m[1], 'hex');
  return timingSafeEqual(expected, given) ? { valid: true } : { valid: false, reason: 'mismatch' };
}

/**
 * Whether `url`'s host is one the AUTOML_CALLBACK_ALLOWED_HOSTS patterns allow (null: any).
 * A pattern is `host` (any port), `host:port` (that port; the scheme's default when the URL
 * names none) or `*.domain` (any subdomain of domain, not domain itself). A URL that does not
 * parse is not allowed. Guards against callbacks aimed at internal services.
 */
export function callbackHostAllowed(url: string, allowed: readonly string[] | null): boolean {
  if (allowed === null) return true;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const host = u.hostname.toLowerCase();
  const port = u.port !== '' ? u.port : u.protocol === 'https:' ? '443' : '80';
  return allowed.some((pattern) => {
    if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(pattern);
    if (m === null) return false;
    return m[1] === host && (m[2] === undefined || m[2] === port);
  });
}

/**
 * One outbound JSON POST with a timeout and a bounded retry policy, shared by the HyperSync
 * rollback request and the AutoML callback.
 *
 *   - Retried: network errors (refused, reset, DNS), timeouts, 5xx, 429 and 408.
 *   - Not retried: every other 4xx — the receiver understood and refused; sending the same
 *     bytes again cannot succeed.
 *   - Delay before retry n (n ≥ 1): the server's `Retry-After` when it sent one (seconds or
 *     an HTTP-date, RFC 9110 §10.2.3); otherwise exponential backoff with "full jitter"
 *     (Brooker, "Exponential Backoff and Jitter", AWS Architecture Blog 2015):
 *     uniform(0, min(maxDelayMs, baseDelayMs · 2^(n−1))). Jitter spreads the retries of many
 *     workers that failed together, so they do not hit a recovering receiver in lockstep.
 *   - A `Retry-After` longer than `maxRetryAfterMs` ends the attempts: the receiver asked for
 *     a pause beyond what a finished job should wait for.
 *
 * The jitter draws come from an injectable `random()` (a seeded src/rng Generator in tests)
 * and the waits from an injectable `sleep`, so the policy is testable without wall-clock waits.
 *
 * Each attempt is an OpenTelemetry client span (`POST`, kind CLIENT) under the active span, and
 * carries the trace to the receiver in a W3C `traceparent` header; instrumentation-http does
 * not see `fetch`, so the span is made here. Without a registered tracer both are no-ops.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { npRandom } from '../rng/index.js';

export interface RetryPolicy {
  /** Per-attempt timeout (headers and body), ms. */
  timeoutMs: number;
  /** Retries after the first attempt (0: one attempt only). */
  maxRetries: number;
  /** Backoff scale, ms (default 500). */
  baseDelayMs?: number;
  /** Backoff cap, ms (default 30 s). */
  maxDelayMs?: number;
  /** Longest Retry-After honoured, ms (default 60 s); longer ones end the attempts. */
  maxRetryAfterMs?: number;
}

export interface DeliveryEnv {
  /** Uniform [0, 1) draws for the jitter (default: a Generator seeded from OS entropy). */
  random?: () => number;
  /** Waits between attempts (default: a timer; honours `signal`). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Aborts the waits and the request in flight (shutdown). */
  signal?: AbortSignal;
}

export interface DeliveryRequest {
  url: string;
  /** The exact bytes sent (callers that sign compute the signature over these). */
  body: string;
  /** Extra headers; a function is called before every attempt (a fresh signature timestamp). */
  headers?: Record<string, string> | (() => Record<string, string>);
}

export interface AttemptRecord {
  /** HTTP status, or null when no response arrived (network error, timeout). */
  status: number | null;
  error: string | null;
  /** Wait before the next attempt, ms; null after the last one. */
  waitMs: number | null;
}

export type DeliveryOutcome =
  | { ok: true; status: number; attempts: AttemptRecord[] }
  | { ok: false; status: number | null; error: string; attempts: AttemptRecord[] };

export const DEFAULT_BASE_DELAY_MS = 500;
export const DEFAULT_MAX_DELAY_MS = 30_000;
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

/** Full-jitter exponential backoff before retry `retry` (≥ 1); `u` is a uniform [0, 1) draw. */
export function backoffDelay(retry: number, u: number, baseMs: number, capMs: number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(u * ceiling);
}

/**
 * `Retry-After` in ms: delay-seconds (a non-negative integer) or an HTTP-date relative to
 * `nowMs`; null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

const retryableStatus = (s: number) => s >= 500 || s === 429 || s === 408;

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, signal ? { signal } : undefined);
}

/** POSTs `req` under `policy`; never throws (the outcome says what happened). */
export async function deliver(
  req: DeliveryRequest,
  policy: RetryPolicy,
  env: DeliveryEnv = {},
): Promise<DeliveryOutcome> {
  const random = env.random ?? defaultRandom();
  const sleep = env.sleep ?? defaultSleep;
  const base = policy.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const cap = policy.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const maxRetryAfter = policy.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const attempts: AttemptRecord[] = [];
  for (let attempt = 0; ; attempt++) {
    let status: number | null = null;
    let error: string | null = null;
    let retryAfterMs: number | null = null;
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const signal = env.signal ? AbortSignal.any([timeout, env.signal]) : timeout;
    const span = clientSpan(req.url, attempt);
    try {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...(typeof req.headers === 'function' ? req.headers() : req.headers),
      };
      propagation.inject(trace.setSpan(context.active(), span), headers);
      const res = await fetch(req.url, {
        method: 'POST',
        headers,
        body: req.body,
        signal,
        redirect: 'manual',
      });
      status = res.status;
      span.setAttribute('http.response.status_code', status);
      retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), Date.now());
      // Read the body so the connection can be reused; its content is not needed.
      await res.arrayBuffer();
      if (res.ok) {
        span.end();
        attempts.push({ status, error: null, waitMs: null });
        return { ok: true, status, attempts };
      }
      error = `HTTP ${status}`;
      span.setAttribute('error.type', String(status));
    } catch (err) {
      error = timeout.aborted
        ? `timed out after ${policy.timeoutMs} ms`
        : err instanceof Error
          ? describeFetchError(err)
          : String(err);
      span.setAttribute('error.type', timeout.aborted ? 'timeout' : 'network');
    }
    span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    span.end();
    const canRetry =
      attempt < policy.maxRetries &&
      !env.signal?.aborted &&
      (status === null || retryableStatus(status)) &&
      (retryAfterMs === null || retryAfterMs <= maxRetryAfter);
    if (!canRetry) {
      if (retryAfterMs !== null && retryAfterMs > maxRetryAfter && attempt < policy.maxRetries) {
        error = `${error}; Retry-After ${retryAfterMs} ms exceeds ${maxRetryAfter} ms`;
      }
      attempts.push({ status, error, waitMs: null });
      return { ok: false, status, error: error ?? 'failed', attempts };
    }
    const waitMs = retryAfterMs ?? backoffDelay(attempt + 1, random(), base, cap);
    attempts.push({ status, error, waitMs });
    try {
      await sleep(waitMs, env.signal);
    } catch {
      return { ok: false, status, error: `${error}; aborted while waiting to retry`, attempts };
    }
  }
}

/**
 * The client span of one attempt. The URL is recorded without its query string and user info,
 * which may carry credentials.
 */
function clientSpan(url: string, attempt: number) {
  let attributes: Record<string, string | number> = { 'http.request.method': 'POST' };
  try {
    const u = new URL(url);
    attributes = {
      ...attributes,
      'url.full': `${u.origin}${u.pathname}`,
      'server.address': u.hostname,
      'server.port': Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
    };
  } catch {
    // an unparsable URL fails in fetch and is reported there
  }
  if (attempt > 0) attributes['http.request.resend_count'] = attempt;
  return trace
    .getTracer('tars-eval.integrations')
    .startSpan('POST', { kind: SpanKind.CLIENT, attributes }, context.active());
}

/** undici wraps the socket error in `cause`; that is the informative part. */
function describeFetchError(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return err.message;
}

let sharedRandom: (() => number) | null = null;
function defaultRandom(): () => number {
  if (sharedRandom === null) {
    const { rng } = npRandom();
    sharedRandom = () => rng.random();
  }
  return sharedRandom;
}

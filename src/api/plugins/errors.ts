/**
 * Errors → HTTP, in one place. Every failure leaves as the envelope
 * `{ error, message, details?, trace_id? }`:
 *
 *   TarsError kinds: validation 400, unauthorized 401, forbidden 403, not_found 404,
 *   conflict 409, rate_limited 429 (with Retry-After), unavailable 503;
 *   Fastify's own client errors: malformed JSON 400, body too large 413, wrong content type
 *   415 …; anything else 500 with a generic message (the cause is logged, never sent).
 *
 * Request validation goes through TypeBox's compiled checker; its first error becomes a
 * ValidationError whose `details.field` names the offending field (`environments[0]`,
 * `job_id`), so a client learns what to fix.
 */
import { context, type Span, trace } from '@opentelemetry/api';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaCompiler,
} from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';
import { type ErrorKind, RateLimitedError, TarsError, ValidationError } from '../../errors.js';
import { fieldOf } from '../../evaluation/validate.js';
import { traceIds } from '../../observability/tracing.js';
import type { ErrorEnvelope } from '../schemas.js';
import { PayloadTooLargeError } from '../validate-request.js';
import { globalPlugin } from './global.js';

export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
};

/** Envelope `error` names of the HTTP statuses Fastify itself raises. */
const KIND_OF_STATUS: Record<number, string> = {
  400: 'validation',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/** A ValidationError naming the field of the first (most specific) schema violation. */
export function schemaError(schema: TSchema, value: unknown, part: string): ValidationError {
  const errors = [...Value.Errors(schema, value)];
  const pick =
    errors.find((e) => e.keyword === 'additionalProperties') ??
    errors.find((e) => e.keyword === 'required') ??
    errors.find((e) => e.keyword !== 'boolean' && e.keyword !== 'anyOf') ??
    errors[0];
  const params = pick?.params as
    | { additionalProperties?: string[]; requiredProperties?: string[] }
    | undefined;
  const base = fieldOf(pick?.instancePath ?? '');
  const join = (name: string) => (base === '' ? name : `${base}.${name}`);
  if (pick?.keyword === 'additionalProperties' && params?.additionalProperties?.[0] !== undefined) {
    const field = join(params.additionalProperties[0]);
    return new ValidationError(`${part}: unknown field '${field}'`, { field, location: part });
  }
  if (pick?.keyword === 'required' && params?.requiredProperties?.[0] !== undefined) {
    const field = join(params.requiredProperties[0]);
    return new ValidationError(`${part}: '${field}' is required`, { field, location: part });
  }
  const field = base === '' ? part : base;
  return new ValidationError(`${part}: ${field} ${pick?.message ?? 'is invalid'}`, { field, location: part });
}

/**
 * Fastify validator compiler over TypeBox's JIT checker. Query strings and params are
 * converted first (`?top_n=5` → 5, `?wait=true` → true); bodies are checked as sent.
 */
export const typeboxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema);
  const part = httpPart ?? 'body';
  return (value: unknown) => {
    // Fastify's parsed query and params are null-prototype objects; Convert wants plain ones.
    const converted = part === 'body' ? value : Value.Convert(schema, { ...(value as object) });
    if (check.Check(converted)) return { value: converted };
    return { error: schemaError(schema, converted, part) };
  };
};

export function envelope(
  error: string,
  message: string,
  details: Record<string, unknown> | undefined,
  traceId: string,
): ErrorEnvelope {
  return details === undefined || Object.keys(details).length === 0
    ? { error, message, trace_id: traceId }
    : { error, message, details, trace_id: traceId };
}

/**
 * The envelope's `trace_id`: the OpenTelemetry trace id of the request when it is traced (the
 * id to look up in the tracing backend), else the request id (X-Request-Id, found in the logs).
 */
export function traceIdOf(request: FastifyRequest): string {
  // @fastify/otel's request decorator holds the request span while the request runs.
  const otel = (request as { opentelemetry?: () => { span: Span | null } }).opentelemetry;
  const span = typeof otel === 'function' ? (otel.call(request).span ?? undefined) : undefined;
  return traceIds(span ?? trace.getSpan(context.active()))?.trace_id ?? request.id;
}

function sendError(request: FastifyRequest, reply: FastifyReply, err: FastifyError | Error): FastifyReply {
  if (err instanceof PayloadTooLargeError) {
    return reply.code(413).send(envelope('payload_too_large', err.message, err.details, traceIdOf(request)));
  }
  if (err instanceof TarsError) {
    const status = STATUS_OF_KIND[err.kind];
    if (err instanceof RateLimitedError) reply.header('retry-after', String(err.retryAfterSeconds));
    if (status >= 500) request.log.warn({ err }, 'service unavailable');
    return reply.code(status).send(envelope(err.kind, err.message, err.details, traceIdOf(request)));
  }
  const status = (err as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = (err as FastifyError).code;
    const details: Record<string, unknown> = {};
    let message = err.message;
    if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
      details.field = 'body';
      message = `body is not valid JSON: ${err.message}`;
    } else if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      details.field = 'body';
    } else if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      details.field = 'body';
    }
    return reply
      .code(status)
      .send(envelope(KIND_OF_STATUS[status] ?? 'bad_request', message, details, traceIdOf(request)));
  }
  request.log.error({ err }, 'unhandled error');
  return reply
    .code(500)
    .send(
      envelope(
        'internal',
        'internal error; quote the trace_id when reporting it',
        undefined,
        traceIdOf(request),
      ),
    );
}

export const errorsPlugin = globalPlugin(async (app: FastifyInstance) => {
  app.setValidatorCompiler(typeboxValidatorCompiler);
  app.setErrorHandler((err: FastifyError, request, reply) => sendError(request, reply, err));
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(
        envelope(
          'not_found',
          `no route ${request.method} ${request.url.split('?')[0]}`,
          undefined,
          traceIdOf(request),
        ),
      ),
  );
});

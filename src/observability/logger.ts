/**
 * The process logger: pino JSON lines, one logger per process, shared by Fastify (as its
 * `loggerInstance`) and by the `serve` and `worker` commands.
 *
 * Every line written while a span is active carries `trace_id` and `span_id` (a mixin reads the
 * active OpenTelemetry context), so a log search and a trace search meet. Fastify's request
 * lines carry `request_id` (the X-Request-Id answered to the client).
 *
 * Never logged: credentials and request bodies. The request serializer writes method, URL
 * (query values of credential-like parameters masked), route and addresses, never headers or
 * body; redaction removes authorization headers, cookies, passwords, access/refresh tokens and
 * secrets wherever a caller puts them in a log object (top level, or nested up to two levels).
 */
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import type { Config } from '../config.js';

export type LogLevel = Config['logLevel'];

export const REDACTED = '[redacted]';

/** Keys whose values are never written, at any of the levels redaction covers. */
export const SECRET_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'new_password',
  'current_password',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'accessToken',
  'refreshToken',
  'secret',
  'jwt_secret',
  'jwtSecret',
  'client_secret',
  'callback_secret',
  'automlCallbackSecret',
  'api_key',
  'apiKey',
  // Request bodies: a body holds whatever the client sent, including credentials and weights.
  'body',
  'payload',
] as const;

/** pino redaction paths: each secret key at the top level and one or two objects down. */
export function redactPaths(keys: readonly string[] = SECRET_KEYS): string[] {
  const paths: string[] = [];
  for (const k of keys) {
    const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
    const dot = key.startsWith('[') ? '' : '.';
    paths.push(key, `*${dot}${key}`, `*.*${dot}${key}`);
  }
  return paths;
}

const SECRET_QUERY = /^(?:access_token|refresh_token|token|password|secret|api_key|apikey|code|signature)$/i;

/** A URL with the values of credential-like query parameters masked. */
export function maskUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((p) => {
      const eq = p.indexOf('=');
      const name = decodeURIComponent(eq < 0 ? p : p.slice(0, eq));
      return eq >= 0 && SECRET_QUERY.test(name) ? `${p.slice(0, eq)}=${REDACTED}` : p;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

interface RequestLike {
  method?: string;
  url?: string;
  routeOptions?: { url?: string };
  hostname?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** What a request line says about its request: no headers, no body. */
function requestSerializer(req: RequestLike): Record<string, unknown> {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? maskUrl(req.url) : req.url,
    route: req.routeOptions?.url,
    host: req.hostname,
    remote_address: req.ip,
    remote_port: req.socket?.remotePort,
  };
}

function responseSerializer(res: { statusCode?: number }): Record<string, unknown> {
  return { status_code: res.statusCode };
}

/** trace_id and span_id of the active span, for every line written inside a trace. */
export function traceMixin(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId };
}

export interface LoggerSettings {
  level: LogLevel;
  /** Fields on every line (e.g. the process role). */
  base?: Record<string, unknown>;
  /** Where lines go (default stdout). */
  destination?: DestinationStream;
}

/** The pino options of a tars-eval logger (exported so Fastify-only uses share them). */
export function loggerOptions(settings: Pick<LoggerSettings, 'level' | 'base'>): LoggerOptions {
  return {
    level: settings.level,
    base: { service: 'tars-eval', pid: process.pid, ...settings.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceMixin,
    redact: { paths: redactPaths(), censor: REDACTED },
    serializers: {
      req: requestSerializer,
      res: responseSerializer,
      err: pino.stdSerializers.err,
    },
  };
}

/** A logger at `settings.level` writing JSON lines to `settings.destination` (default stdout). */
export function createLogger(settings: LoggerSettings): Logger {
  const options = loggerOptions(settings);
  return settings.destination === undefined ? pino(options) : pino(options, settings.destination);
}

let processLogger: Logger | null = null;

/**
 * The process's logger, created by the first call (`serve` and `worker` call this once at
 * start): LOG_LEVEL, on stdout (`fd` 1) or stderr (2). Later calls return the same logger.
 */
export function processLoggerFor(level: LogLevel, options: { fd?: 1 | 2 } = {}): Logger {
  processLogger ??= createLogger({
    level,
    destination: pino.destination({ fd: options.fd ?? 1, sync: true }),
  });
  return processLogger;
}

/**
 * The process's logger when `serve` or `worker` has created it, else a logger of its own at
 * `level` on stderr (library use, tests): library code logs through this.
 */
export function loggerForLibrary(level: LogLevel): Logger {
  return processLogger ?? createLogger({ level, destination: pino.destination({ fd: 2, sync: true }) });
}

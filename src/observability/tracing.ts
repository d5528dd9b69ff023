/**
 * OpenTelemetry tracing for a tars-eval process (DESIGN.md section 7).
 *
 *   OTEL_EXPORTER_OTLP_ENDPOINT  base URL of an OTLP/HTTP receiver; spans go to `<base>/v1/traces`
 *                                as OTLP JSON. Unset: tracing is off.
 *   TRACE_SAMPLE_RATE            ParentBased(TraceIdRatioBased(rate)): a new trace is kept with
 *                                probability `rate`; a span with a parent follows its parent's
 *                                decision, so a trace is kept or dropped whole.
 *
 * `initTracing` runs once per process (the `serve` and `worker` commands, and every evaluation
 * worker thread, which has its own globals). With tracing off nothing is loaded or registered:
 * the SDK is imported only when an endpoint is configured, and `@opentelemetry/api` stays on its
 * no-op tracer, whose spans cost a few allocations.
 *
 * The main process also instruments incoming and outgoing HTTP (instrumentation-http) and
 * Fastify's lifecycle (@fastify/otel, registered by src/api/plugins/tracing.ts). Outbound
 * `fetch` calls are not covered by instrumentation-http; src/integrations/delivery.ts makes its
 * own client spans.
 *
 * A trace crosses the queue and the thread boundary as a W3C `traceparent` string
 * (`injectTraceContext` / `extractTraceContext`), stored in the job row's `trace_context`.
 */
import { createRequire } from 'node:module';
import {
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  trace,
} from '@opentelemetry/api';
import type { FastifyPluginCallback } from 'fastify';
import { packageVersion } from '../version.js';

/** What a process needs to export spans; plain data, so it can cross to a worker thread. */
export interface TracingSettings {
  /** OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT). */
  endpoint: string;
  /** TRACE_SAMPLE_RATE in [0, 1]. */
  sampleRate: number;
  serviceName: string;
  serviceVersion: string;
}

export interface TracingInitOptions {
  /** Instrument HTTP (server and client) and prepare the Fastify plugin (default true). */
  instrument?: boolean;
  /** Delay of the batch span processor, ms (default 1000). */
  scheduledDelayMillis?: number;
}

interface FlushableProvider {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

interface Instrumentation {
  disable(): void;
}

interface Active {
  settings: TracingSettings;
  provider: FlushableProvider;
  instrumentations: Instrumentation[];
  fastifyPlugin: FastifyPluginCallback | null;
}

let active: Active | null = null;
let starting: Promise<Active | null> | null = null;

export const SERVICE_NAME = 'tars-eval';

/** The tracing settings of a configuration; null when no endpoint is configured (tracing off). */
export function tracingSettingsFrom(config: {
  otelEndpoint: string | null;
  traceSampleRate: number;
}): TracingSettings | null {
  if (config.otelEndpoint === null) return null;
  return {
    endpoint: config.otelEndpoint,
    sampleRate: config.traceSampleRate,
    serviceName: SERVICE_NAME,
    serviceVersion: packageVersion(),
  };
}

/** `<base>/v1/traces`, the OTLP/HTTP traces path under the base endpoint (OTLP exporter spec). */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts tracing in this process (or thread) with `settings`; null leaves tracing off. A second
 * call while tracing runs returns the same settings without starting anything.
 */
export async function initTracing(
  settings: TracingSettings | null,
  options: TracingInitOptions = {},
): Promise<TracingSettings | null> {
  if (settings === null) return active?.settings ?? null;
  if (active !== null) return active.settings;
  starting ??= start(settings, options).finally(() => {
    starting = null;
  });
  return (await starting)?.settings ?? null;
}

async function start(settings: TracingSettings, options: TracingInitOptions): Promise<Active> {
  const [node, base, { OTLPTraceExporter }, { resourceFromAttributes }, semconv] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  const exporter = new OTLPTraceExporter({ url: tracesUrl(settings.endpoint) });
  const provider = new node.NodeTracerProvider({
    resource: resourceFromAttributes({
      [semconv.ATTR_SERVICE_NAME]: settings.serviceName,
      [semconv.ATTR_SERVICE_VERSION]: settings.serviceVersion,
    }),
    sampler: new base.ParentBasedSampler({ root: new base.TraceIdRatioBasedSampler(settings.sampleRate) }),
    spanProcessors: [
      new base.BatchSpanProcessor(exporter, { scheduledDelayMillis: options.scheduledDelayMillis ?? 1000 }),
    ],
  });
  // The global tracer provider, AsyncLocalStorage context manager and W3C propagator.
  provider.register();
  const instrumentations: Instrumentation[] = [];
  let fastifyPlugin: FastifyPluginCallback | null = null;
  if (options.instrument ?? true) {
    const [{ HttpInstrumentation }, { FastifyOtelInstrumentation }] = await Promise.all([
      import('@opentelemetry/instrumentation-http'),
      import('@fastify/otel'),
    ]);
    const http = new HttpInstrumentation({
      // Prometheus scrapes and probes would be most of the traces and say nothing.
      ignoreIncomingRequestHook: (req) => {
        const path = (req.url ?? '').split('?')[0];
        return path === '/metrics' || path === '/health';
      },
    });
    http.setTracerProvider(provider);
    // instrumentation-http patches the `http` module when it is next required; ESM imports of
    // node:http do not go through require, so require it once here to apply the patch (the
    // module object is shared, and the server patch is on Server.prototype).
    const require = createRequire(import.meta.url);
    require('node:http');
    require('node:https');
    const fastify = new FastifyOtelInstrumentation({
      ignorePaths: (route: { url?: string }) => route.url === '/metrics' || route.url === '/health',
      // @fastify/otel names hook spans after the whole plugin chain (hundreds of characters);
      // the hook and the function's own name say as much.
      lifecycleHook: (span: Span, info: { hookName: string; handler?: string }) => {
        const fn = /^[\w$]{1,64}$/.test(info.handler ?? '') ? ` ${info.handler}` : '';
        span.updateName(`${info.hookName}${fn}`);
      },
    });
    fastify.setTracerProvider(provider);
    instrumentations.push(http, fastify);
    fastifyPlugin = fastify.plugin() as unknown as FastifyPluginCallback;
  }
  active = { settings, provider, instrumentations, fastifyPlugin };
  return active;
}

/** The settings tracing runs with in this process, or null when it is off. */
export function activeTracingSettings(): TracingSettings | null {
  return active?.settings ?? null;
}

/** The @fastify/otel plugin of this process's tracing, or null when tracing (or instrumentation) is off. */
export function fastifyTracingPlugin(): FastifyPluginCallback | null {
  return active?.fastifyPlugin ?? null;
}

/** Exports every finished span now. */
export async function flushTracing(): Promise<void> {
  await active?.provider.forceFlush();
}

/** Flushes, stops exporting, and unregisters everything `initTracing` registered. */
export async function shutdownTracing(): Promise<void> {
  const a = active;
  if (a === null) return;
  active = null;
  for (const i of a.instrumentations) i.disable();
  await a.provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
}

/**
 * The W3C trace context of `ctx` (default: the active one) as a carrier
 * (`{ traceparent, tracestate? }`), or null when no span is in it or no propagator is registered.
 */
export function injectTraceContext(ctx: Context = context.active()): Record<string, string> | null {
  const span = trace.getSpan(ctx);
  if (span === undefined || !isSpanContextValid(span.spanContext())) return null;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return typeof carrier.traceparent === 'string' ? carrier : null;
}

/** The context a carrier written by `injectTraceContext` describes (the root context when none). */
export function extractTraceContext(carrier: Record<string, string> | null | undefined): Context {
  if (carrier === null || carrier === undefined) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** Trace and span id of a span (default: the active one) when it is a real, recording span. */
export function traceIds(span: Span | undefined = trace.getSpan(context.active())): {
  trace_id: string;
  span_id: string;
} | null {
  if (span === undefined) return null;
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return null;
  return { trace_id: sc.traceId, span_id: sc.spanId };
}

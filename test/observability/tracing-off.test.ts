/**
 * Tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT) registers nothing: no tracer provider, no
 * propagator, no patched node:http, no SDK loaded; the evaluation's spans are non-recording.
 */
import http from 'node:http';
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import {
  activeTracingSettings,
  fastifyTracingPlugin,
  initTracing,
  injectTraceContext,
  tracesUrl,
  tracingSettingsFrom,
} from '../../src/observability/tracing.js';

describe('tracing off', () => {
  it('starts nothing without an endpoint', async () => {
    const emit = http.Server.prototype.emit;
    const settings = tracingSettingsFrom(loadConfig({ NODE_ENV: 'test' }));
    expect(settings).toBeNull();
    expect(await initTracing(settings)).toBeNull();
    expect(activeTracingSettings()).toBeNull();
    expect(fastifyTracingPlugin()).toBeNull();
    expect(http.Server.prototype.emit).toBe(emit);
    const span = trace.getTracer('x').startSpan('y');
    expect(span.isRecording()).toBe(false);
    span.end();
    expect(injectTraceContext()).toBeNull();
    // The SDK was never imported.
    const loaded = Object.keys((await import('node:module')).createRequire(import.meta.url).cache);
    expect(loaded.some((p) => p.includes('sdk-trace-base') || p.includes('exporter-trace-otlp-http'))).toBe(
      false,
    );
  });

  it('reads the endpoint and sample rate from the configuration', () => {
    const s = tracingSettingsFrom(
      loadConfig({
        NODE_ENV: 'test',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        TRACE_SAMPLE_RATE: '0.25',
      }),
    );
    expect(s).toMatchObject({
      endpoint: 'http://collector:4318/',
      sampleRate: 0.25,
      serviceName: 'tars-eval',
    });
    expect(tracesUrl(s?.endpoint ?? '')).toBe('http://collector:4318/v1/traces');
    expect(() => loadConfig({ TRACE_SAMPLE_RATE: '2' })).toThrow(/TRACE_SAMPLE_RATE/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://x' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });
});

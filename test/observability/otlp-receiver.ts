/**
 * A real OTLP/HTTP trace receiver for tests: a node:http server on 127.0.0.1 (random port)
 * that accepts what `@opentelemetry/exporter-trace-otlp-http` posts to `/v1/traces` — OTLP
 * JSON (ExportTraceServiceRequest; hex trace and span ids, string nanosecond timestamps),
 * possibly gzip-compressed — and decodes it into flat span records.
 *
 * The server runs on its own worker thread: the test process's tracing instruments node:http,
 * and a receiver on the same thread would trace its own requests and export those, forever.
 * A worker thread has its own copy of node:http, untouched by the instrumentation.
 */

import { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';

export type AttributeValue = string | number | boolean | AttributeValue[] | null;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: number;
  resource: Record<string, AttributeValue>;
  scope: string;
}

export interface OtlpReceiver {
  /** Base URL, as OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  /** Export requests received (path and content type), including empty ones. */
  requests: { path: string; contentType: string }[];
  /** Resolves once a span satisfying `pred` has arrived (rejects after `timeoutMs`). */
  waitFor(
    pred: (s: ReceivedSpan) => boolean,
    timeoutMs?: number,
    flush?: () => Promise<void>,
  ): Promise<ReceivedSpan>;
  close(): Promise<void>;
}

const SERVER = `
const { createServer } = require('node:http');
const { parentPort } = require('node:worker_threads');
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    parentPort.postMessage({
      type: 'request',
      method: req.method,
      path: req.url,
      contentType: req.headers['content-type'] || '',
      contentEncoding: req.headers['content-encoding'] || '',
      body: Buffer.concat(chunks),
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ type: 'listening', port: server.address().port }));
parentPort.on('message', (m) => { if (m === 'close') server.close(() => process.exit(0)); });
`;

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

function decodeValue(v: OtlpAnyValue): AttributeValue {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(decodeValue);
  return null;
}

function decodeAttributes(kvs: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((kvs ?? []).map((kv) => [kv.key, decodeValue(kv.value)]));
}

/** Decodes one OTLP JSON ExportTraceServiceRequest into span records. */
export function decodeExport(json: unknown): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  const req = json as {
    resourceSpans?: {
      resource?: { attributes?: OtlpKeyValue[] };
      scopeSpans?: {
        scope?: { name?: string };
        spans?: {
          traceId: string;
          spanId: string;
          parentSpanId?: string;
          name: string;
          kind: number;
          startTimeUnixNano: string;
          endTimeUnixNano: string;
          attributes?: OtlpKeyValue[];
          status?: { code?: number };
        }[];
      }[];
    }[];
  };
  for (const rs of req.resourceSpans ?? []) {
    const resource = decodeAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ? s.parentSpanId : null,
          name: s.name,
          kind: s.kind,
          startNs: BigInt(s.startTimeUnixNano),
          endNs: BigInt(s.endTimeUnixNano),
          attributes: decodeAttributes(s.attributes),
          status: s.status?.code ?? 0,
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return out;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const worker = new Worker(SERVER, { eval: true });
  const spans: ReceivedSpan[] = [];
  const requests: { path: string; contentType: string }[] = [];
  const errors: Error[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: { type: string; port?: number }) => {
      if (m.type === 'listening') resolve(m.port as number);
    });
  });
  worker.on(
    'message',
    (m: { type: string; path: string; contentType: string; contentEncoding: string; body: Uint8Array }) => {
      if (m.type !== 'request') return;
      requests.push({ path: m.path, contentType: m.contentType });
      try {
        if (m.path !== '/v1/traces') throw new Error(`export posted to ${m.path}, not /v1/traces`);
        if (!m.contentType.startsWith('application/json')) {
          throw new Error(`expected OTLP JSON, got content type '${m.contentType}'`);
        }
        const raw = Buffer.from(m.body);
        const bytes = m.contentEncoding === 'gzip' ? gunzipSync(raw) : raw;
        spans.push(...decodeExport(JSON.parse(bytes.toString('utf8'))));
      } catch (err) {
        errors.push(err as Error);
      }
    },
  );
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    async waitFor(pred, timeoutMs = 30_000, flush) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (errors.length > 0) throw errors[0];
        const hit = spans.find(pred);
        if (hit !== undefined) return hit;
        if (Date.now() > deadline) {
          throw new Error(
            `no matching span within ${timeoutMs} ms; got: ${spans.map((s) => s.name).join(', ')}`,
          );
        }
        await flush?.();
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.postMessage('close');
      await exited;
    },
  };
}

/**
 * The metrics endpoint of a process that serves no API: a `tars-eval worker` in distributed
 * mode listens on METRICS_PORT with a plain node:http server (no framework; three routes):
 *
 *   GET /metrics     — the Prometheus exposition of this process (`scrapeMetrics`)
 *   GET /health      — readiness: `{ status, checks }` from the caller's checks; 503 when one is down
 *   GET /health/live — liveness: 200 while the process answers (no dependency checks)
 *
 * Anything else answers 404, a method other than GET 405.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { engineMetrics } from './metrics.js';
import { scrapeMetrics } from './scrape.js';

export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  checks: Record<string, { status: 'up' | 'down'; latency_ms: number; error?: string }>;
}

export interface MetricsServerOptions {
  port: number;
  host?: string;
  /** The dependency checks of GET /health (default: none, always healthy). */
  health?: () => Promise<HealthReport>;
  onError?: (err: unknown) => void;
}

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464 */
  url: string;
  port: number;
  close(): Promise<void>;
}

function send(res: import('node:http').ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const json = (body: unknown) => JSON.stringify(body);

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' && path !== '/health' && path !== '/health/live') {
      send(res, 404, 'application/json', json({ error: 'not_found', message: `no route ${path}` }));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET');
      send(res, 405, 'application/json', json({ error: 'method_not_allowed', message: 'use GET' }));
      return;
    }
    if (path === '/health/live') {
      // Liveness: the process and its event loop answer; dependencies are /health's business.
      send(res, 200, 'application/json', json({ status: 'alive', uptime_seconds: process.uptime() }));
      return;
    }
    const answer =
      path === '/metrics'
        ? scrapeMetrics(options.onError).then((text) =>
            send(res, 200, engineMetrics().registry.contentType, text),
          )
        : (options.health?.() ?? Promise.resolve<HealthReport>({ status: 'healthy', checks: {} })).then(
            (report) => send(res, report.status === 'healthy' ? 200 : 503, 'application/json', json(report)),
          );
    answer.catch((err: unknown) => {
      options.onError?.(err);
      if (!res.headersSent) {
        send(
          res,
          500,
          'application/json',
          json({ error: 'internal_error', message: (err as Error).message }),
        );
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

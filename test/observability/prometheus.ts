/**
 * A real Prometheus (the Debian package's binary) on 127.0.0.1 for the dashboard test: a
 * temporary configuration that scrapes the given targets every second, a temporary TSDB, a
 * free port; `close()` stops it and removes its files.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMETHEUS_BIN = process.env.TARS_PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export function prometheusAvailable(): boolean {
  return existsSync(PROMETHEUS_BIN);
}

export interface QueryResult {
  status: string;
  error?: string;
  errorType?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value?: [number, string] }[] };
}

export interface Prometheus {
  url: string;
  /** An instant query at the current time. */
  query(expr: string): Promise<QueryResult>;
  /** Resolves once every target has been scraped successfully after `since` (ms epoch). */
  scrapedAfter(since: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const address = s.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Starts Prometheus scraping `targets` ("host:port", path /metrics) every second. */
export async function startPrometheus(targets: string[]): Promise<Prometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'tars-prometheus-'));
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: tars-eval',
    '    metrics_path: /metrics',
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);
  let stderr = '';
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const query = async (expr: string): Promise<QueryResult> => {
    const res = await fetch(`${url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr }).toString(),
    });
    return (await res.json()) as QueryResult;
  };

  try {
    const end = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
      const ready = await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > end) throw new Error(`prometheus not ready after 20 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await close();
    throw err;
  }

  return {
    url,
    query,
    async scrapedAfter(since, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        // the time of each target's last successful scrape
        const r = await query('timestamp(up) and up == 1');
        const samples = r.data?.result ?? [];
        if (
          samples.length === targets.length &&
          samples.every((s) => s.value !== undefined && Number(s.value[1]) * 1000 > since)
        )
          return;
        if (Date.now() > end)
          throw new Error(
            `targets not scraped after ${new Date(since).toISOString()}: ${JSON.stringify(samples)}`,
          );
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    close,
  };
}

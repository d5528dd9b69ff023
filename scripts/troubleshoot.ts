// One report on a running engine (`make troubleshoot`): its /health, the key figures of its
// /metrics, the queue depth by status and the most recent failed jobs. The engine is reached
// at TARS_URL (default http://127.0.0.1:8099); failed jobs are read from PostgreSQL through the
// store modules when DATABASE_URL is set (an embedded PGlite belongs to the engine process and
// cannot be opened beside it). Exit 1 when the engine cannot be reached or reports unhealthy.
import { loadConfig } from '../src/config.js';
import { listRecentFailures, openDatabase, queueDepth } from '../src/store/index.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments and malformed lines skipped). */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(NaN|[+-]?Inf|[-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)(?:\s+-?\d+)?\s*$/.exec(
        line,
      );
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: m[1], labels, value: Number(m[3].replace('Inf', 'Infinity')) });
  }
  return out;
}

/** Sum of a metric's samples, grouped by one label ('' groups everything). */
function byLabel(samples: Sample[], name: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples.filter((x) => x.name === name)) {
    const key = label === '' ? '' : (s.labels[label] ?? '');
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(3));
const pairs = (m: Map<string, number>) =>
  m.size === 0
    ? 'none recorded'
    : [...m]
        .sort()
        .map(([k, v]) => `${k || 'total'}=${fmt(v)}`)
        .join('  ');

async function get(url: string): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(5000) });
}

interface HealthBody {
  status: string;
  version?: string;
  uptime_seconds?: number;
  queue?: string;
  checks?: Record<string, { status: string; latency_ms: number | null; error?: string }>;
}

/** Builds the report; `ok` is false when the engine is unreachable or unhealthy. */
export async function troubleshoot(
  baseUrl: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ ok: boolean; reachable: boolean; report: string }> {
  const lines: string[] = [`tars-eval troubleshoot: ${baseUrl} at ${new Date().toISOString()}`];
  let health: HealthBody;
  try {
    const r = await get(`${baseUrl}/health`);
    health = (await r.json()) as HealthBody;
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
    return {
      ok: false,
      reachable: false,
      report: `cannot reach the engine at ${baseUrl} (${cause}): start it with \`make run\`, or point TARS_URL at it`,
    };
  }

  lines.push('', '== health');
  lines.push(
    `status: ${health.status}   version: ${health.version ?? '?'}   uptime: ${fmt(health.uptime_seconds ?? 0)} s   queue: ${health.queue ?? '?'}`,
  );
  for (const [dep, c] of Object.entries(health.checks ?? {})) {
    const latency = c.latency_ms === null ? '' : ` (${c.latency_ms.toFixed(1)} ms)`;
    lines.push(`${dep}: ${c.status}${latency}${c.error ? `: ${c.error}` : ''}`);
  }

  lines.push('', '== key metrics');
  let samples: Sample[] = [];
  try {
    const r = await get(`${baseUrl}/metrics`);
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    samples = parseExposition(await r.text());
  } catch (err) {
    lines.push(`/metrics unavailable: ${(err as Error).message}`);
  }
  if (samples.length > 0) {
    const http = samples.filter((s) => s.name === 'tars_eval_http_requests_total');
    const http5xx = http
      .filter((s) => s.labels.status_code?.startsWith('5'))
      .reduce((n, s) => n + s.value, 0);
    const httpAll = http.reduce((n, s) => n + s.value, 0);
    lines.push(`http requests: ${fmt(httpAll)} (5xx: ${fmt(http5xx)})`);
    lines.push(
      `rate-limit rejections: ${pairs(byLabel(samples, 'tars_eval_rate_limit_rejections_total', 'class'))}`,
    );
    lines.push(`evaluations: ${pairs(byLabel(samples, 'tars_eval_evaluations_total', 'status'))}`);
    lines.push(`job attempts: ${pairs(byLabel(samples, 'tars_eval_jobs_total', 'outcome'))}`);
    lines.push(
      `regressions detected: ${pairs(byLabel(samples, 'tars_eval_regression_detected_total', 'severity'))}`,
    );
    lines.push(
      `worker slots busy/total: ${fmt(byLabel(samples, 'tars_eval_worker_busy', '').get('') ?? 0)}/${fmt(byLabel(samples, 'tars_eval_worker_slots', '').get('') ?? 0)}`,
    );
    lines.push(`dependencies up: ${pairs(byLabel(samples, 'tars_eval_dependency_up', 'dependency'))}`);
    lines.push(`database errors: ${pairs(byLabel(samples, 'tars_eval_db_errors_total', 'operation'))}`);
    lines.push(`redis errors: ${pairs(byLabel(samples, 'tars_eval_redis_errors_total', 'client'))}`);
    lines.push(
      `hypersync rollback failures: ${fmt(byLabel(samples, 'tars_eval_hypersync_rollback_failures_total', '').get('') ?? 0)}`,
    );
  }

  lines.push('', '== queue depth by status');
  const oldest = byLabel(samples, 'tars_eval_queue_oldest_pending_age_seconds', '').get('');
  let config: ReturnType<typeof loadConfig> | null = null;
  try {
    config = loadConfig(env);
  } catch (err) {
    lines.push(`configuration: ${(err as Error).message}`);
  }
  const databaseUrl = config?.databaseUrl ?? null;
  let failuresReport: string[] = [];
  if (databaseUrl !== null) {
    try {
      const database = await openDatabase({ databaseUrl, poolSize: 1 });
      try {
        const depth = await queueDepth(database.db);
        lines.push(`${pairs(new Map(Object.entries(depth)))}   (from the database)`);
        const failed = await listRecentFailures(database.db, 10);
        failuresReport =
          failed.length === 0
            ? ['none']
            : failed.map((j) => {
                const at = j.finished_at ? new Date(j.finished_at).toISOString() : '?';
                const e = j.error;
                return `${at}  ${j.id}  attempts ${j.attempts}/${j.max_attempts}  ${e ? `${e.error}: ${e.message}` : ''}`.trimEnd();
              });
      } finally {
        await database.close();
      }
    } catch (err) {
      lines.push(`database unavailable: ${(err as Error).message}`);
      failuresReport = ['unknown: the database could not be read'];
    }
  } else {
    lines.push(`${pairs(byLabel(samples, 'tars_eval_queue_depth', 'status'))}   (from /metrics)`);
    failuresReport = [
      'DATABASE_URL is not set: the embedded PGlite database belongs to the engine process and cannot be',
      'read beside it. Set DATABASE_URL (PostgreSQL) to list failed jobs; GET /v1/jobs/{id} shows one job.',
    ];
  }
  if (oldest !== undefined) lines.push(`oldest pending job: ${fmt(oldest)} s`);

  lines.push('', '== most recent failed jobs', ...failuresReport);
  return { ok: health.status !== 'unhealthy', reachable: true, report: lines.join('\n') };
}

async function main(): Promise<number> {
  const base = (process.env.TARS_URL ?? 'http://127.0.0.1:8099').replace(/\/+$/, '');
  const { ok, reachable, report } = await troubleshoot(base);
  (reachable ? process.stdout : process.stderr).write(`${report}\n`);
  if (reachable && !ok) process.stderr.write('the engine reports unhealthy: see the checks above\n');
  return ok ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`troubleshoot: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}

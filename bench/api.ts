/**
 * HTTP API throughput and latency (autocannon): req/s and p50/p99 latency of `GET /health`,
 * the authenticated `GET /v1/jobs/{id}` and `GET /v1/baselines/{type}?environment=CartPole-v1`,
 * on PGlite (embedded, a fresh temporary data directory) and on PostgreSQL (a fresh database
 * on postgres://postgres@127.0.0.1:5432, created and dropped here; skipped when unreachable).
 *
 * The server is the real service (`startService`: migrations, embedded queue, Fastify with
 * every plugin) in a child process, so the load generator and the server do not share an
 * event loop; it listens on 127.0.0.1 only, at the configured log level (LOG_LEVEL, default
 * info), with the rate limits raised out of the way. The child seeds a developer user, a job
 * completed with a real (tiny) PPO evaluation, and a baseline made from that result; and a
 * job left running, whose reads (a client polling for completion) go to the database each time,
 * where finished jobs and baselines are served from the server's read caches.
 *
 * Target (2-core machine): ≥ 5,000 req/s with p99 < 25 ms for the authenticated reads.
 * Figures are reported, never asserted. Run with `npm run bench api` or directly
 * `npx tsx bench/api.ts [--seconds=S]` (S seconds per route, default 5).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { printTable } from './lib/index.js';
import { quickPpoRequest } from './lib/requests.js';

export interface ApiBenchOptions {
  /** Seconds of load per route (default 5). */
  seconds?: number;
}

const TARGET_RPS = 5000;
const TARGET_P99_MS = 25;
const CONNECTIONS = 50;
const PASSWORD = 'bench password 1';
const SECRET = 'b'.repeat(48);
const PG_ADMIN_URL = process.env.TARS_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** What the child reports once it listens and is seeded. */
interface Ready {
  url: string;
  jobId: string;
  runningJobId: string;
  agentType: string;
}

// ---------------------------------------------------------------- child: the server

async function serveChild(): Promise<void> {
  const { startService } = await import('../src/api/service.js');
  const { loadConfig } = await import('../src/config.js');
  const { evaluate } = await import('../src/evaluation/evaluate.js');
  const { claimJob, completeJob, createJob, createUser, insertBaseline } = await import(
    '../src/store/index.js'
  );

  const service = await startService(loadConfig());
  const db = service.database.db;
  const user = await createUser(db, { username: 'bench', password: PASSWORD, role: 'developer' });
  // A real evaluation, kept tiny: 256 PPO training steps, 5 episodes.
  const request = quickPpoRequest();
  const { job } = await createJob(db, {
    request: request as Parameters<typeof createJob>[1]['request'],
    submitter: user.id,
  });
  const result = await evaluate(request);
  await completeJob(db, job.id, result);
  await insertBaseline(
    db,
    {
      agent_type: 'ppo',
      environment: 'CartPole-v1',
      metrics: result.results['CartPole-v1'].metrics,
      source_job_id: job.id,
      created_by: user.id,
    },
    user.username,
  );
  // A job still running (leased for an hour to a worker that never finishes it): what
  // clients polling for completion read, served from the database each time.
  const { job: running } = await createJob(db, {
    request: request as Parameters<typeof createJob>[1]['request'],
    submitter: user.id,
  });
  await claimJob(db, running.id, { owner: 'bench-idle-worker', leaseMs: 3_600_000 });
  const ready: Ready = { url: service.url, jobId: job.id, runningJobId: running.id, agentType: 'ppo' };
  process.send?.(ready);
  const stop = () => {
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
}

// ---------------------------------------------------------------- parent: the load

interface Backend {
  name: 'pglite' | 'postgres';
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

async function pgliteBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), 'tars-bench-api-'));
  return {
    name: 'pglite',
    env: { TARS_DATA_DIR: dir },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresBackend(): Promise<Backend | string> {
  const name = `tars_bench_api_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await admin.connect();
    await admin.query(`create database ${name}`);
  } catch (err) {
    await admin.end().catch(() => {});
    return `PostgreSQL at ${PG_ADMIN_URL} is not usable: ${(err as Error).message}`;
  }
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name: 'postgres',
    env: { DATABASE_URL: url.toString() },
    async cleanup() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    // TARS_BENCH_CPU_PROF=DIR writes a V8 CPU profile of the server into DIR when it exits.
    execArgv: [
      ...process.execArgv,
      ...(process.env.TARS_BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.TARS_BENCH_CPU_PROF}`]
        : []),
    ],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      JWT_SECRET: SECRET,
      HOST: '127.0.0.1',
      PORT: '0',
      REDIS_URL: '',
      DATABASE_URL: '',
      RATE_LIMIT_PUBLIC: '1000000',
      RATE_LIMIT_AUTH: '1000000',
      RATE_LIMIT_EVALUATE: '1000000',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, ready: m as Ready }));
    child.once('exit', (code) =>
      reject(new Error(`server child exited with code ${code} before it was ready`)),
    );
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

interface RouteResult {
  route: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(
  route: string,
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<RouteResult> {
  // A short warm-up so the JIT, the connection pool and the serialisers are hot.
  await autocannon({ url, headers, connections: CONNECTIONS, duration: 1 });
  const r = await autocannon({ url, headers, connections: CONNECTIONS, duration: seconds });
  return {
    route,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

async function benchBackend(backend: Backend, seconds: number): Promise<RouteResult[]> {
  const { child, ready } = await startChild(backend.env);
  try {
    const login = await fetch(`${ready.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench', password: PASSWORD }),
    });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const { access_token } = (await login.json()) as { access_token: string };
    const auth = { authorization: `Bearer ${access_token}` };
    // Each route must answer 200 before it is timed.
    const routes: [string, string, Record<string, string>][] = [
      ['GET /health', `${ready.url}/health`, {}],
      ['GET /v1/jobs/{id}', `${ready.url}/v1/jobs/${ready.jobId}`, auth],
      ['GET /v1/jobs/{id} running', `${ready.url}/v1/jobs/${ready.runningJobId}`, auth],
      [
        'GET /v1/baselines/{type}',
        `${ready.url}/v1/baselines/${ready.agentType}?environment=CartPole-v1`,
        auth,
      ],
    ];
    const results: RouteResult[] = [];
    for (const [route, url, headers] of routes) {
      const probe = await fetch(url, { headers });
      if (probe.status !== 200) throw new Error(`${route}: ${probe.status} ${await probe.text()}`);
      await probe.arrayBuffer();
      results.push(await load(route, url, headers, seconds));
    }
    return results;
  } finally {
    await stopChild(child);
  }
}

export async function run(options: ApiBenchOptions = {}): Promise<void> {
  const seconds = Math.max(1, Math.round(options.seconds ?? 5));
  process.stdout.write(
    `autocannon, ${CONNECTIONS} connections, ${seconds} s per route after a 1 s warm-up; server in a child process\n` +
      `target for the authenticated reads: >= ${TARGET_RPS} req/s with p99 < ${TARGET_P99_MS} ms\n`,
  );
  const rows: (string | number)[][] = [];
  for (const make of [pgliteBackend, postgresBackend]) {
    const backend = await make();
    if (typeof backend === 'string') {
      process.stdout.write(`postgres: skipped (${backend})\n`);
      continue;
    }
    try {
      for (const r of await benchBackend(backend, seconds)) {
        const authed = r.route !== 'GET /health';
        const met = r.rps >= TARGET_RPS && r.p99 < TARGET_P99_MS;
        rows.push([
          backend.name,
          r.route,
          Math.round(r.rps),
          r.p50,
          r.p99,
          r.non2xx + r.errors,
          authed ? (met ? 'met' : 'not met') : '—',
        ]);
      }
    } catch (err) {
      process.stdout.write(`${backend.name}: failed: ${(err as Error).message}\n`);
    } finally {
      await backend.cleanup();
    }
  }
  printTable(['backend', 'route', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx/errors', 'target'], rows);
}

if (process.argv.includes('--serve')) {
  await serveChild();
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const m = process.argv.find((a) => a.startsWith('--seconds='));
  await run({ seconds: m ? Number(m.slice('--seconds='.length)) : undefined });
}

/**
 * The runbooks' commands work. Every block fenced as ```sh runnable in docs/runbooks/*.md
 * runs with `bash -euo pipefail`, in document order, against a live engine this test starts:
 * `tars-eval serve` on a free port over a fresh PostgreSQL database (the CLI commands of the
 * runbooks — baseline set/rollback, users — open the same database while the server runs,
 * which an embedded PGlite directory does not allow), with an admin account created
 * beforehand. The blocks see the variables the runbooks document at their top:
 * TARS_URL, TARS_TOKEN (an admin access token), TARS_USER, TARS_PASSWORD and DATABASE_URL,
 * and `tars-eval` on PATH (a shim running dist/cli/main.js when built, else the TypeScript
 * source through tsx). Each block must exit 0.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery as admin, POSTGRES_URL } from '../store/backends.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNBOOKS = join(ROOT, 'docs/runbooks');
const FILES = readdirSync(RUNBOOKS)
  .filter((f) => f.endsWith('.md'))
  .sort();

/** The bodies of the ```sh runnable blocks of a Markdown text, in order. */
function runnableBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const fence = /^```sh runnable[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;
  for (const m of markdown.matchAll(fence)) blocks.push(m[1]);
  return blocks;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

// Under the checkout's .tars/ (git-ignored), not the system temp directory: run from source,
// the engine's worker threads load TypeScript with `--import tsx`, which Node resolves from
// the working directory, so commands must run inside the checkout.
mkdirSync(join(ROOT, '.tars'), { recursive: true });
const dir = mkdtempSync(join(ROOT, '.tars', 'runbooks-'));
const bin = join(dir, 'bin');
const work = join(dir, 'work');
const dbName = `tars_runbooks_${randomBytes(6).toString('hex')}`;
const password = `runbook-${randomBytes(8).toString('hex')}`;
let env: NodeJS.ProcessEnv = {};
let server: ChildProcess | null = null;
let serverLog = '';

function writeShim(): void {
  mkdirSync(bin, { recursive: true });
  const shim = join(bin, 'tars-eval');
  writeFileSync(
    shim,
    [
      '#!/usr/bin/env bash',
      '# tars-eval for the runbook commands: the built CLI when present, else the source.',
      `root=${JSON.stringify(ROOT)}`,
      'if [ -f "$root/dist/cli/main.js" ]; then exec node "$root/dist/cli/main.js" "$@"; fi',
      'exec "$root/node_modules/.bin/tsx" "$root/src/cli/main.ts" "$@"',
      '',
    ].join('\n'),
  );
  chmodSync(shim, 0o755);
}

function run(command: string, args: string[]) {
  return spawnSync(command, args, { cwd: work, env, encoding: 'utf8', timeout: 240_000 });
}

beforeAll(async () => {
  mkdirSync(work, { recursive: true });
  writeShim();
  await admin((c) => c.query(`create database ${dbName}`));
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${dbName}`;
  const port = await freePort();
  env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    NODE_ENV: 'test',
    DATABASE_URL: url.toString(),
    REDIS_URL: '',
    TARS_DATA_DIR: join(dir, 'data'),
    JWT_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'warn',
    EVAL_THREADS: '1',
    RATE_LIMIT_EVALUATE: '100',
    RATE_LIMIT_AUTH: '100',
    TARS_URL: `http://127.0.0.1:${port}`,
    TARS_USER: 'runbook-admin',
    TARS_PASSWORD: password,
  };
  const add = run('tars-eval', ['users', 'add', 'runbook-admin', '--role', 'admin', '--password', password]);
  expect(add.status, add.stderr).toBe(0);
  // A process group of its own, so that stopping it also stops the node process tsx starts.
  server = spawn('tars-eval', ['serve', '--port', String(port)], { cwd: work, env, detached: true });
  // The engine runs embedded (no REDIS_URL); the commands of the Redis section read a real
  // Redis, the one the queue tests use.
  env = { ...env, REDIS_URL: process.env.TARS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' };
  server.stdout?.on('data', (d: Buffer) => {
    serverLog += d.toString();
  });
  server.stderr?.on('data', (d: Buffer) => {
    serverLog += d.toString();
  });
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      const res = await fetch(`${env.TARS_URL}/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (server.exitCode !== null || Date.now() > deadline) {
      throw new Error(`tars-eval serve did not become healthy:\n${serverLog}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const login = await fetch(`${env.TARS_URL}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'runbook-admin', password }),
  });
  expect(login.status).toBe(200);
  env.TARS_TOKEN = ((await login.json()) as { access_token: string }).access_token;
}, 180_000);

afterAll(async () => {
  if (server?.pid !== undefined && server.exitCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    process.kill(-server.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (server.exitCode === null && server.signalCode === null) process.kill(-server.pid, 'SIGKILL');
  }
  await admin((c) => c.query(`drop database if exists ${dbName} with (force)`)).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('runbook commands', () => {
  it('finds runnable blocks in every runbook', () => {
    expect(FILES).toEqual(
      expect.arrayContaining(['README.md', 'evaluation-pipeline.md', 'troubleshooting.md', 'on-call.md']),
    );
    for (const f of FILES) {
      expect(runnableBlocks(readFileSync(join(RUNBOOKS, f), 'utf8')).length, f).toBeGreaterThan(0);
    }
    expect(runnableBlocks('```sh runnable\necho a\n```\n```sh\necho b\n```\n')).toEqual(['echo a\n']);
  });

  // README first (it logs in), then the others in alphabetical order; the evaluation
  // pipeline runbook builds the baselines the later ones look at.
  const ordered = [
    'README.md',
    'evaluation-pipeline.md',
    ...FILES.filter((f) => !['README.md', 'evaluation-pipeline.md'].includes(f)),
  ];
  for (const file of ordered.filter((f) => existsSync(join(RUNBOOKS, f)))) {
    it(`${file}: every runnable block exits 0`, () => {
      const blocks = runnableBlocks(readFileSync(join(RUNBOOKS, file), 'utf8'));
      for (const [i, block] of blocks.entries()) {
        const r = run('bash', ['-euo', 'pipefail', '-c', block]);
        expect(
          r.status,
          `${file} block ${i + 1} exited ${r.status}:\n${block}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n--- server\n${serverLog.slice(-2000)}`,
        ).toBe(0);
      }
    }, 600_000);
  }
});

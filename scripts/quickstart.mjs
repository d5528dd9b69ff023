// The README's first command ends here: with the engine built, run the real main job on the
// embedded default (PGlite under TARS_DATA_DIR, ./.tars unless set) — create an account,
// start the service, submit an evaluation over HTTP (train a PPO agent on CartPole-v1 and
// evaluate it over 100 seeded episodes), wait for the job, print its result, stop.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/cli/main.js');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealth(base, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/health`);
      if (r.status === 200) return r.json();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the service did not become healthy within 30 s');
}

async function call(method, url, token, body) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const doc = await res.json();
  if (res.status >= 400)
    throw new Error(`${method} ${url}: ${res.status} ${doc.message ?? JSON.stringify(doc)}`);
  return doc;
}

const username = `quickstart-${Date.now()}`;
const password = randomBytes(12).toString('base64url');
// 1. An account (before the service opens the embedded database: one process at a time).
const add = spawnSync(
  process.execPath,
  [cli, 'users', 'add', username, '--role', 'developer', '--password', password],
  {
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
if (add.status !== 0) process.exit(add.status ?? 1);

// 2. The service, on a free loopback port.
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const child = spawn(process.execPath, [cli, 'serve', '--port', String(port)], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
});
try {
  const health = await waitForHealth(base, child);
  console.log(`service up at ${base}: ${health.status}`);
  // 3. Log in, submit, wait.
  const { access_token } = await call('POST', `${base}/auth/login`, null, { username, password });
  const request = {
    agent_type: 'ppo',
    training: { total_timesteps: 30000, seed: 0 },
    environments: ['CartPole-v1'],
    num_episodes: 100,
  };
  console.log('POST /v1/evaluate?wait=true (train PPO on CartPole-v1 for 30k steps, evaluate 100 episodes)…');
  const job = await call('POST', `${base}/v1/evaluate?wait=true&timeout=300`, access_token, request);
  const done =
    job.status === 'completed' || job.status === 'failed'
      ? job
      : await call('GET', `${base}/v1/jobs/${job.job_id}`, access_token);
  if (done.status !== 'completed')
    throw new Error(`job ${done.job_id} ended ${done.status}: ${JSON.stringify(done.error)}`);
  // 4. The result, as `tars-eval evaluate` prints it.
  const { formatEvaluation } = await import(join(root, 'dist/cli/commands/evaluate.js'));
  console.log(`job ${done.job_id}: ${done.status}\n`);
  console.log(formatEvaluation(done.result));
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

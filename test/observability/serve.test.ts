/**
 * `tars-eval serve` as a process, with OTEL_EXPORTER_OTLP_ENDPOINT and LOG_LEVEL set: its
 * request spans reach a real OTLP/HTTP receiver, its stdout is JSON lines whose request lines
 * carry the trace ids of those spans, and the password it was sent appears nowhere.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.js';

const PASSWORD = 'serve-password-93b1';
const JWT_SECRET = 'j'.repeat(40);

describe('serve with tracing and logs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tars-obs-serve-'));
  let receiver: OtlpReceiver;
  let child: ChildProcess;
  let stdout = '';
  let base: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const env = {
      ...process.env,
      TARS_DATA_DIR: dir,
      NODE_ENV: 'test',
      DATABASE_URL: '',
      REDIS_URL: '',
      JWT_SECRET,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      TRACE_SAMPLE_RATE: '1',
      LOG_LEVEL: 'debug',
    };
    const cli = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'test/api/cli-entry.ts', ...args], {
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const up = cli(['migrate', 'up']);
    expect(up.status, up.stderr).toBe(0);
    const add = cli(['users', 'add', 'dana', '--role', 'viewer', '--password', PASSWORD]);
    expect(add.status, add.stderr).toBe(0);
    child = spawn(process.execPath, ['--import', 'tsx', 'test/api/cli-entry.ts', 'serve', '--port', '0'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout?.setEncoding('utf8');
    base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${stdout}`)), 60_000);
      child.stdout?.on('data', (d: string) => {
        stdout += d;
        const m = /listening on (http:\/\/[\d.:]+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stdout}`)));
    });
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports request spans, logs JSON lines with their trace ids, and never the password', async () => {
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'dana', password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const { access_token: token } = (await login.json()) as { access_token: string };
    const missing = await fetch(`${base}/v1/jobs/00000000-0000-4000-8000-000000000000`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(missing.status).toBe(404);
    const { trace_id: traceId } = (await missing.json()) as { trace_id: string };
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    // SIGTERM: the service closes and flushes its spans before the process exits.
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const server = await receiver.waitFor((s) => s.traceId === traceId && s.kind === 2, 10_000);
    expect(server.parentSpanId).toBeNull();
    expect(server.resource['service.name']).toBe('tars-eval');
    expect(receiver.spans.some((s) => s.attributes['http.route'] === '/auth/login')).toBe(true);

    const lines = stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const completed = lines.find((l) => l.msg === 'request completed' && l.trace_id === traceId);
    expect(completed).toMatchObject({ statusCode: 404, level: 'debug' });
    expect(completed?.request_id).toBe(missing.headers.get('x-request-id'));
    expect(lines.some((l) => l.msg === 'SIGTERM: shutting down')).toBe(true);
    expect(stdout).not.toContain(PASSWORD);
    expect(stdout).not.toContain(token);
    expect(stdout).not.toContain(JWT_SECRET);
  });
});

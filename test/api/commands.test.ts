/**
 * The service commands against an on-disk PGlite in a temporary TARS_DATA_DIR: migrate,
 * users add (password from --password and from stdin), openapi --check, and the service
 * `serve` starts (listening on a real port, queue running) — reached over HTTP.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OPENAPI_PATH } from '../../src/api/openapi.js';
import { startService } from '../../src/api/service.js';
import { loadConfig } from '../../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'tars-api-cli-'));
const env = { ...process.env, TARS_DATA_DIR: dir, NODE_ENV: 'test', DATABASE_URL: '', REDIS_URL: '' };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/api/cli-entry.ts', ...args], {
    env,
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('service commands', () => {
  it('migrate up, users add (flag and stdin), bad role, duplicate user', () => {
    const up = cli(['migrate', 'up']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^applied \d{4}_/m);
    const a = cli(['users', 'add', 'alice', '--role', 'developer', '--password', 'alice-password']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/^created alice \(developer\)/);
    const b = cli(['users', 'add', 'bob', '--role', 'viewer'], 'bob-password\n');
    expect(b.code, b.stderr).toBe(0);
    const bad = cli(['users', 'add', 'carol', '--role', 'root', '--password', 'carol-password']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--role');
    const dup = cli(['users', 'add', 'alice', '--role', 'viewer', '--password', 'alice-password']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already exists');
  }, 120_000);

  it('users disable, enable and set-role change the account; unknown names and roles are refused', () => {
    const add = cli(['users', 'add', 'dave', '--role', 'developer', '--password', 'dave-password']);
    expect(add.code, add.stderr).toBe(0);
    const off = cli(['users', 'disable', 'dave']);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toBe('disabled dave\n');
    expect(cli(['users', 'list']).stdout).toMatch(/^dave\tdeveloper\tdisabled\t/m);
    const role = cli(['users', 'set-role', 'dave', 'viewer']);
    expect(role.code, role.stderr).toBe(0);
    expect(role.stdout).toBe('dave is now viewer\n');
    expect(cli(['users', 'enable', 'dave']).code).toBe(0);
    expect(cli(['users', 'list']).stdout).toMatch(/^dave\tviewer\t[0-9a-f-]{36}$/m);
    const missing = cli(['users', 'disable', 'nobody']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("no account named 'nobody'");
    const badRole = cli(['users', 'set-role', 'dave', 'root']);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('role must be one of');
  }, 120_000);

  it('serve: the configured database and queue behind a listening server', async () => {
    const service = await startService(
      loadConfig({ NODE_ENV: 'test', TARS_DATA_DIR: dir, PORT: '0', JWT_SECRET: 'x'.repeat(40) }),
      { logger: false },
    );
    try {
      const health = await fetch(`${service.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'healthy', queue: 'embedded' });
      // bob's password came from stdin, without its newline.
      const login = await fetch(`${service.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bob', password: 'bob-password' }),
      });
      expect(login.status).toBe(200);
      expect(((await login.json()) as { role: string }).role).toBe('viewer');
    } finally {
      await service.close();
    }
  }, 60_000);

  it('serve with REDIS_URL: distributed queue, Redis checked by /health', async () => {
    const service = await startService(
      loadConfig({
        NODE_ENV: 'test',
        TARS_DATA_DIR: dir,
        PORT: '0',
        JWT_SECRET: 'x'.repeat(40),
        REDIS_URL: process.env.TARS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      }),
      { logger: false },
    );
    try {
      const health = await fetch(`${service.url}/health`);
      expect(await health.json()).toMatchObject({
        status: 'healthy',
        queue: 'distributed',
        checks: { redis: { status: 'up' } },
      });
    } finally {
      await service.close();
    }
  }, 60_000);

  it('migrate down --steps all reverts everything; openapi --check fails on a stale file', () => {
    const down = cli(['migrate', 'down', '--steps', 'all']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/^reverted \d{4}_/m);
    const stale = join(dir, 'openapi.yaml');
    writeFileSync(stale, '{}\n');
    const check = cli(['openapi', '--out', stale, '--check']);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('out of date');
    expect(cli(['openapi', '--out', OPENAPI_PATH, '--check']).code).toBe(0);
  }, 120_000);
});

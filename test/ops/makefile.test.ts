/**
 * The Makefile: `make help` lists every everyday target with its help text, the scripts the
 * recipes call exist, the test targets split the suite into unit / integration / end-to-end
 * without losing or repeating a file, and targets that need a cluster or a variable fail with
 * a message that says what is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// biome-ignore format: one list, in the issue's order
const ISSUE_TARGETS = [
  'help', 'install', 'clean', 'build', 'dev', 'test', 'test-unit', 'test-integration', 'test-e2e',
  'test-coverage', 'lint', 'format', 'format-check', 'typecheck', 'bench', 'docs', 'openapi',
  'openapi-validate', 'openapi-docs', 'generate-c4', 'alerts-check', 'alerts-test', 'dashboard-check',
  'run', 'run-dev', 'worker', 'db-migrate', 'db-rollback', 'db-shell', 'redis-shell', 'health', 'metrics',
  'users-add', 'demo', 'quickstart', 'ci', 'k8s-render', 'k8s-validate', 'k8s-deploy', 'k8s-status',
  'k8s-logs', 'troubleshoot',
];

const dir = mkdtempSync(join(tmpdir(), 'tars-make-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function make(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync('make', ['--no-print-directory', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const makefile = readFileSync('Makefile', 'utf8');

/** Test files a test target selects: its vitest arguments, given to `vitest list --filesOnly`. */
function selectedBy(target: string): string[] {
  const dry = make(['-n', target]);
  expect(dry.code, dry.stderr).toBe(0);
  const line = dry.stdout.split('\n').find((l) => l.includes('vitest run '));
  expect(line, `${target} runs vitest`).toBeDefined();
  const args = line!
    .slice(line!.indexOf('vitest run ') + 'vitest run '.length)
    .trim()
    .split(/\s+/);
  const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'list', '--filesOnly', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l.endsWith('.test.ts'));
}

describe('Makefile', () => {
  it('make help lists every target of the issue, each with its help text', () => {
    const r = make(['help']);
    expect(r.code).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: help colours the names
    const plain = r.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    const listed = new Map(
      plain
        .split('\n')
        .map((l) => /^\s+(\S+)\s+(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1], m[2].trim()]),
    );
    for (const t of ISSUE_TARGETS) {
      expect(listed.has(t), `make help lists ${t}`).toBe(true);
      expect(listed.get(t)!.length, `${t} has a help text`).toBeGreaterThan(10);
    }
    // Every target the Makefile defines is documented.
    const defined = [...makefile.matchAll(/^([a-zA-Z0-9_-]+):/gm)].map((m) => m[1]);
    for (const t of defined) expect(listed.has(t), `${t} has a ## help text`).toBe(true);
    // help is the default goal
    expect(make([]).stdout).toBe(r.stdout);
  });

  it('every script a recipe names exists', () => {
    const scripts = new Set(
      [...makefile.matchAll(/(?:^|[\s"'])((?:scripts|\.ci)\/[A-Za-z0-9_./-]+)/gm)].map((m) => m[1]),
    );
    expect(scripts.size).toBeGreaterThan(5);
    const missing = [...scripts].filter((s) => !existsSync(s));
    expect(missing, 'scripts named by the Makefile that do not exist').toEqual([]);
  });

  it('test-unit, test-integration and test-e2e split the suite: every test file in exactly one', () => {
    const all = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'list', '--filesOnly'], {
      encoding: 'utf8',
      timeout: 60_000,
    })
      .stdout.split('\n')
      .filter((l) => l.endsWith('.test.ts'))
      .sort();
    const unit = selectedBy('test-unit');
    const integration = selectedBy('test-integration');
    const e2e = selectedBy('test-e2e');
    expect([...unit, ...integration, ...e2e].sort()).toEqual(all);
    expect(unit).toContain('test/rng/pcg64.test.ts');
    expect(integration).toContain('test/store/jobs.test.ts');
    expect(integration).toContain('test/ops/makefile.test.ts');
    expect(e2e).toEqual(
      expect.arrayContaining(['test/api/end-to-end.test.ts', 'test/api/distributed-e2e.test.ts']),
    );
    expect(unit.some((f) => /^test\/(store|queue|api|integrations)\//.test(f))).toBe(false);
  });

  it('k8s-status without a cluster fails and says no cluster is configured', () => {
    const kubeconfig = join(dir, 'empty-kubeconfig');
    writeFileSync(kubeconfig, '');
    for (const target of ['k8s-status', 'k8s-logs', 'k8s-deploy']) {
      const r = make([target], { KUBECONFIG: kubeconfig });
      expect(r.code, target).not.toBe(0);
      expect(r.stderr).toContain('no Kubernetes cluster configured: kubectl has no current context');
      expect(r.stdout).not.toMatch(/kubectl -n .* (get|logs|apply)/);
    }
  });

  it('db-shell, redis-shell and users-add say what they need', () => {
    const db = make(['db-shell'], { DATABASE_URL: '' });
    expect(db.code).not.toBe(0);
    expect(db.stderr).toContain('DATABASE_URL is not set. The embedded PGlite database has no shell');
    const redis = make(['redis-shell'], { REDIS_URL: '' });
    expect(redis.code).not.toBe(0);
    expect(redis.stderr).toContain('REDIS_URL is not set');
    const users = make(['-o', 'build', 'users-add']);
    expect(users.code).not.toBe(0);
    expect(users.stderr).toContain('users-add: set NAME and ROLE');
  });

  it('health and troubleshoot fail clearly when no engine answers', () => {
    const health = make(['health'], { TARS_URL: 'http://127.0.0.1:9' });
    expect(health.code).not.toBe(0);
    expect(health.stderr).toContain('health: no healthy answer from http://127.0.0.1:9/health');
    const t = make(['troubleshoot'], { TARS_URL: 'http://127.0.0.1:9' });
    expect(t.code).not.toBe(0);
    expect(t.stderr).toContain('cannot reach the engine at http://127.0.0.1:9');
  });

  it('k8s-render prints the manifests of the chosen overlay', () => {
    const r = make(['-s', 'k8s-render', 'K8S_OVERLAY=production']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kind: Deployment\n(.*\n)*?\s+name: tars-eval-api\n\s+namespace: tars-eval\n/);
  });
});

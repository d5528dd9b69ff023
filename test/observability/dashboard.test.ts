/**
 * The Grafana dashboard (observability/dashboards/tars-eval.json) and its provisioning.
 *
 * Static part (always runs): panel count, unique ids, layout, the datasource variable on every
 * panel and target, the agent_type/environment variables, and every metric an expression reads
 * exported by the engine's registry with the labels the expression matches on.
 *
 * Live part (needs /usr/bin/prometheus; skipped with the reason when it is missing, failed
 * instead when TARS_REQUIRE_PROMETHEUS=1): the engine runs for real (PGlite, the embedded
 * queue on a worker thread) and is scraped every second by a real Prometheus while it serves
 * evaluations — a regression against a stored baseline included — a failed login, a rate-limited
 * request, an AutoML callback and HyperSync rollbacks to local receivers. Then every panel's
 * expression must return data through Prometheus's HTTP API, and every alert rule's expression
 * (observability/alerts/*.yml, when present) must parse.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type Service, startService } from '../../src/api/service.js';
import { loadConfig } from '../../src/config.js';
import { engineMetrics } from '../../src/observability/metrics.js';
import { createUser } from '../../src/store/index.js';
import { quickPpoRequest } from '../api/harness.js';
import { type Receiver, startReceiver } from '../integrations/receiver.js';
import { waitFor } from '../queue/helpers.js';
import { PROMETHEUS_BIN, type Prometheus, prometheusAvailable, startPrometheus } from './prometheus.js';
import { labelValuesQuery, metricNames, selectors, substitute, variablesIn } from './promql.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DASHBOARD_PATH = join(ROOT, 'observability/dashboards/tars-eval.json');
const PROVISIONING = join(ROOT, 'observability/dashboards/provisioning');
const ALERTS_DIR = join(ROOT, 'observability/alerts');

interface Target {
  refId: string;
  expr: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { h: number; w: number; x: number; y: number };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
  definition?: string;
  datasource?: { type?: string; uid?: string };
  includeAll?: boolean;
  multi?: boolean;
  allValue?: string;
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
/** Every panel, rows' nested panels included. */
const allPanels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const dataPanels = allPanels.filter((p) => p.type !== 'row');
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template
const DS_VAR = '${datasource}';

/** Series Prometheus itself writes for every scrape target (not exported by the engine). */
const SCRAPE_SERIES = [
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
];

/** The series names the engine exports (histograms as _bucket/_sum/_count) and their labels. */
async function exportedSeries(): Promise<Map<string, Set<string>>> {
  const { registry } = engineMetrics();
  const series = new Map<string, Set<string>>();
  for (const family of await registry.getMetricsAsJSON()) {
    const metric = registry.getSingleMetric(family.name) as unknown as { labelNames?: unknown };
    if (!Array.isArray(metric.labelNames)) throw new Error(`no label names on ${family.name}`);
    const labels = new Set<string>(metric.labelNames as string[]);
    if (String(family.type) === 'histogram') {
      series.set(`${family.name}_bucket`, new Set([...labels, 'le']));
      series.set(`${family.name}_sum`, labels);
      series.set(`${family.name}_count`, labels);
    } else {
      series.set(family.name, labels);
    }
  }
  return series;
}

/** Alert and recording rules of observability/alerts/*.yml (none while the directory is absent). */
function alertRules(): { file: string; name: string; expr: string }[] {
  if (!existsSync(ALERTS_DIR)) return [];
  const rules: { file: string; name: string; expr: string }[] = [];
  for (const file of readdirSync(ALERTS_DIR).filter((f) => /\.ya?ml$/.test(f))) {
    const doc = parseYaml(readFileSync(join(ALERTS_DIR, file), 'utf8')) as {
      groups?: { rules?: { alert?: string; record?: string; expr?: unknown }[] }[];
    } | null;
    for (const group of doc?.groups ?? []) {
      for (const rule of group.rules ?? []) {
        rules.push({ file, name: rule.alert ?? rule.record ?? '(unnamed)', expr: String(rule.expr ?? '') });
      }
    }
  }
  return rules;
}

describe('dashboard JSON', () => {
  it('has at least 22 panels with unique ids, titles, descriptions and units', () => {
    expect(dashboard.uid).toBe('tars-eval-overview');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dataPanels.length).toBeGreaterThanOrEqual(22);
    const ids = allPanels.map((p) => p.id);
    expect(new Set(ids).size, 'panel ids are unique').toBe(ids.length);
    for (const p of dataPanels) {
      expect(p.title, `panel ${p.id}`).toBeTruthy();
      expect(p.description, `description of "${p.title}"`).toBeTruthy();
      expect(p.fieldConfig?.defaults?.unit, `unit of "${p.title}"`).toBeTruthy();
      expect(p.targets?.length, `targets of "${p.title}"`).toBeGreaterThan(0);
    }
    const titles = dataPanels.map((p) => p.title);
    expect(new Set(titles).size, 'panel titles are unique').toBe(titles.length);
  });

  it('is grouped in rows, laid out on the 24-column grid without overlaps', () => {
    expect(dashboard.panels.filter((p) => p.type === 'row').length).toBeGreaterThanOrEqual(8);
    const cells = new Set<string>();
    for (const p of allPanels) {
      const g = p.gridPos;
      expect(g.x + g.w, `"${p.title}" fits the grid`).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell), `"${p.title}" overlaps another panel at ${cell}`).toBe(false);
          cells.add(cell);
        }
      }
    }
  });

  it('has the datasource, agent_type and environment variables', () => {
    const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    expect(vars.get('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const name of ['agent_type', 'environment']) {
      const v = vars.get(name);
      expect(v, name).toMatchObject({ type: 'query', includeAll: true, multi: true, allValue: '.*' });
      expect(v?.datasource?.uid).toBe(DS_VAR);
      expect(v?.definition).toMatch(new RegExp(`^label_values\\(tars_eval_evaluations_total.*, ${name}\\)$`));
    }
  });

  it('reads every panel and target from the datasource variable', () => {
    for (const p of dataPanels) {
      expect(p.datasource, `datasource of "${p.title}"`).toEqual({ type: 'prometheus', uid: DS_VAR });
      for (const t of p.targets ?? []) {
        expect(t.datasource, `datasource of "${p.title}" ${t.refId}`).toEqual({
          type: 'prometheus',
          uid: DS_VAR,
        });
      }
    }
  });

  it('reads only metrics the engine exports, with labels they carry, filtered by the variables', async () => {
    const series = await exportedSeries();
    const defined = new Set(dashboard.templating.list.map((v) => v.name));
    const used = new Set<string>();
    for (const p of dataPanels) {
      for (const t of p.targets ?? []) {
        const where = `"${p.title}" ${t.refId}: ${t.expr}`;
        const names = metricNames(t.expr);
        expect(names.length, where).toBeGreaterThan(0);
        for (const name of names) {
          expect(
            series.has(name) || SCRAPE_SERIES.includes(name),
            `${where} reads ${name}, which the engine does not export`,
          ).toBe(true);
          used.add(name);
        }
        for (const s of selectors(t.expr)) {
          const labels = series.get(s.metric);
          for (const label of s.labels) {
            expect(labels?.has(label), `${where}: ${s.metric} has no label ${label}`).toBe(true);
          }
          // A metric by agent type and environment follows the dashboard's selection.
          for (const label of ['agent_type', 'environment'] as const) {
            if (labels?.has(label))
              expect(s.body, `${where} filters by $${label}`).toContain(`${label}=~"$${label}"`);
          }
        }
        for (const v of variablesIn(t.expr)) {
          expect(defined.has(v) || v.startsWith('__'), `${where} uses undefined variable $${v}`).toBe(true);
        }
      }
    }
    // Every metric of the engine's catalogue is on the dashboard.
    const catalogue = [...series.keys()].filter((n) => n.startsWith('tars_eval_'));
    const families = new Set(catalogue.map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    const usedFamilies = new Set([...used].map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    expect([...families].filter((f) => !usedFamilies.has(f))).toEqual([]);
  });
});

describe('alert rules (observability/alerts/*.yml, when present)', () => {
  it('read only metrics the engine exports', async () => {
    const series = await exportedSeries();
    const unknown = alertRules().flatMap((rule) =>
      metricNames(rule.expr)
        .filter((name) => !series.has(name) && !SCRAPE_SERIES.includes(name))
        .map((name) => `${rule.file} ${rule.name} reads ${name}`),
    );
    expect(unknown).toEqual([]);
  });
});

describe('provisioning', () => {
  it('a file provider for the dashboard directory and a Prometheus datasource from the environment', () => {
    const provider = parseYaml(readFileSync(join(PROVISIONING, 'dashboards/tars-eval.yml'), 'utf8')) as {
      apiVersion: number;
      providers: { type: string; options: { path: string } }[];
    };
    expect(provider.apiVersion).toBe(1);
    expect(provider.providers).toHaveLength(1);
    expect(provider.providers[0].type).toBe('file');
    expect(provider.providers[0].options.path).toMatch(/^\//);

    const ds = parseYaml(readFileSync(join(PROVISIONING, 'datasources/prometheus.yml'), 'utf8')) as {
      apiVersion: number;
      datasources: { type: string; url: string; uid: string; access: string }[];
    };
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources).toHaveLength(1);
    expect(ds.datasources[0]).toMatchObject({
      type: 'prometheus',
      access: 'proxy',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's environment syntax, not a template
      url: '${PROMETHEUS_URL}',
    });
    // The dashboard's datasource variable starts on the provisioned datasource.
    const variable = dashboard.templating.list.find((v) => v.name === 'datasource') as Variable & {
      current?: { value?: string };
    };
    expect(variable.current?.value).toBe(ds.datasources[0].uid);
    expect(readFileSync(join(PROVISIONING, 'README.md'), 'utf8')).toContain('PROMETHEUS_URL');
  });
});

// ---------------------------------------------------------------------------------------------
// Live: a real engine scraped by a real Prometheus.

const requirePrometheus = process.env.TARS_REQUIRE_PROMETHEUS === '1';
const available = prometheusAvailable();
const SKIP_REASON = `${PROMETHEUS_BIN} not found (install the Debian package prometheus, or set TARS_PROMETHEUS_BIN); TARS_REQUIRE_PROMETHEUS=1 makes this a failure`;
const PASSWORD = 'dashboard-test-password';

/** A short training and 5 episodes: a real, weak PPO in well under a second. */
const weakPpo = quickPpoRequest();

interface Live {
  prometheus: Prometheus;
  /** seconds since Prometheus started: the window that covers the whole run */
  window(): string;
}

let live: Live | null = null;
const cleanups: (() => Promise<void>)[] = [];

async function api(base: string, method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

async function startLive(): Promise<Live> {
  const dir = await mkdtemp(join(tmpdir(), 'tars-dashboard-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const automl = await startReceiver([{ status: 200 }]);
  // The first rollback request fails (no retries configured), the next ones succeed.
  const hypersync = await startReceiver([{ status: 500 }, { status: 200 }]);
  cleanups.push(
    () => automl.close(),
    () => hypersync.close(),
  );
  const config = loadConfig({
    NODE_ENV: 'test',
    TARS_DATA_DIR: dir,
    HOST: '127.0.0.1',
    PORT: '0',
    JWT_SECRET: 'd'.repeat(48),
    LOG_LEVEL: 'silent',
    HYPERSYNC_URL: hypersync.url,
    HYPERSYNC_MAX_RETRIES: '0',
    HYPERSYNC_TIMEOUT_MS: '5000',
    EVAL_MAX_CONCURRENT: '1',
    EVAL_THREADS: '0',
    // Prometheus scrapes /metrics every second; three logins fit the auth budget, a flood does not.
    RATE_LIMIT_PUBLIC: '100000',
    RATE_LIMIT_AUTH: '4',
    RATE_LIMIT_EVALUATE: '100',
  });
  const service: Service = await startService(config, { logger: false });
  cleanups.push(() => service.close());
  for (const [username, role] of [
    ['admin', 'admin'],
    ['developer', 'developer'],
  ] as const) {
    await createUser(service.database.db, { username, password: PASSWORD, role });
  }

  const prometheus = await startPrometheus([new URL(service.url).host]);
  cleanups.push(() => prometheus.close());
  const startedAt = Date.now();
  await prometheus.scrapedAfter(startedAt);
  await runScenario(service.url, automl, hypersync, () => prometheus.scrapedAfter(Date.now()));
  await prometheus.scrapedAfter(Date.now());
  await prometheus.scrapedAfter(Date.now());
  return { prometheus, window: () => `${Math.ceil((Date.now() - startedAt) / 1000) + 5}s` };
}

/** What the panels show, done for real over HTTP. */
async function runScenario(
  base: string,
  automl: Receiver,
  hypersync: Receiver,
  scraped: () => Promise<void>,
): Promise<void> {
  const login = async (username: string, password = PASSWORD) =>
    api(base, 'POST', '/auth/login', { username, password });
  const admin = (await login('admin')).json().access_token as string;
  const developer = (await login('developer')).json().access_token as string;
  expect(typeof admin).toBe('string');
  expect(typeof developer).toBe('string');

  // A failed login (bad credentials), then the auth budget runs out: 429.
  expect((await login('developer', 'not the password')).status).toBe(401);
  let limited = false;
  for (let i = 0; i < 5 && !limited; i++) limited = (await login('developer', 'still wrong')).status === 429;
  expect(limited, 'the auth rate limit answered 429').toBe(true);

  // A strong CartPole baseline (at the 500 cap): the weak PPO below is a critical regression.
  // A second, weaker record after a scrape (rank 2) makes the baseline writes a rate.
  for (const shift of [0, -10]) {
    const returns = Array.from({ length: 30 }, (_, i) => 498 + shift + (i % 3));
    const baseline = await api(
      base,
      'POST',
      '/v1/baselines',
      {
        agent_type: 'ppo',
        environment: 'CartPole-v1',
        metrics: { num_episodes: 30, mean_reward: 499 + shift, std_reward: 0.8165, episode_returns: returns },
      },
      admin,
    );
    expect(baseline.status, baseline.text).toBe(201);
    await scraped();
  }

  const evaluate = async (body: Record<string, unknown>) => {
    const res = await api(base, 'POST', '/v1/evaluate?wait=true&timeout=60', body, developer);
    expect(res.status, res.text).toBe(200);
    const job = res.json();
    expect(job.status, res.text).toBe('completed');
    return job as { result: { overall: { should_rollback: boolean } } };
  };
  // Two regressions: the first rollback request fails, the second succeeds; the first job
  // also reports to an AutoML callback. A series is born at its first event, so a scrape
  // between the two lets rate() see the second one.
  const first = await evaluate({ ...weakPpo, trial_id: 'trial-1', callback_url: `${automl.url}/trials/1` });
  expect(first.result.overall.should_rollback).toBe(true);
  await scraped();
  await evaluate({ ...weakPpo, seed: 2 });
  // Another agent type with no baseline: no regression check, a second environment lookup.
  await evaluate({
    agent_type: 'a2c',
    environments: ['CartPole-v1'],
    training: { total_timesteps: 200, seed: 3 },
    num_episodes: 3,
    quick_mode: true,
  });
  await waitFor('the AutoML callback', async () => automl.received.length >= 1, 20_000);
  await waitFor('both HyperSync rollback requests', async () => hypersync.received.length >= 2, 20_000);

  // Health checks (dependency metrics), a job read and an unmatched route.
  expect((await api(base, 'GET', '/health')).status).toBe(200);
  expect((await api(base, 'GET', '/no/such/route')).status).toBe(404);
}

describe('live: every panel against a real Prometheus scraping the engine', () => {
  beforeAll(async () => {
    if (!available) return;
    live = await startLive();
  }, 110_000);
  afterAll(async () => {
    for (const close of cleanups.reverse()) await close().catch(() => {});
  }, 30_000);

  it('finds the Prometheus binary (or skips, saying why)', (ctx) => {
    if (!available && requirePrometheus) throw new Error(SKIP_REASON);
    ctx.skip(!available, SKIP_REASON);
    expect(live).not.toBeNull();
  });

  it('every panel target returns data', async (ctx) => {
    ctx.skip(!available, SKIP_REASON);
    if (live === null) throw new Error('the live set-up did not run');
    const window = live.window();
    const values = {
      __rate_interval: window,
      __range: window,
      __interval: '1s',
      agent_type: '.*',
      environment: '.*',
    };
    const failures: string[] = [];
    for (const p of dataPanels) {
      for (const t of p.targets ?? []) {
        const expr = substitute(t.expr, values);
        const r = await live.prometheus.query(expr);
        const where = `"${p.title}" ${t.refId}: ${expr}`;
        if (r.status !== 'success') failures.push(`${where} → ${r.errorType}: ${r.error}`);
        else if ((r.data?.result.length ?? 0) === 0) failures.push(`${where} → no data`);
        else if (!r.data?.result.some((s) => Number.isFinite(Number(s.value?.[1]))))
          failures.push(`${where} → only non-finite values ${JSON.stringify(r.data?.result)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('every variable query returns values', async (ctx) => {
    ctx.skip(!available, SKIP_REASON);
    if (live === null) throw new Error('the live set-up did not run');
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
      const { query, label } = labelValuesQuery(substitute(v.definition ?? '', { agent_type: '.*' }));
      const r = await live.prometheus.query(query);
      expect(r.status, `${v.name}: ${r.error}`).toBe('success');
      const got = (r.data?.result ?? []).map((s) => s.metric[label]);
      expect(got.length, `values of $${v.name}`).toBeGreaterThan(0);
    }
  });

  it('every alert rule expression parses (observability/alerts/*.yml, when present)', async (ctx) => {
    ctx.skip(!available, SKIP_REASON);
    if (live === null) throw new Error('the live set-up did not run');
    const failures: string[] = [];
    for (const rule of alertRules()) {
      const r = await live.prometheus.query(rule.expr);
      if (r.status !== 'success') failures.push(`${rule.file} ${rule.name}: ${r.errorType}: ${r.error}`);
    }
    expect(failures).toEqual([]);
  });
});

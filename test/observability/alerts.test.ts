/**
 * The alert rules are true to the code and the docs, without promtool or amtool: at least 25
 * rules, each with a severity, a summary, a templated description and a runbook_url that
 * names an existing heading of docs/runbooks; every metric an expression reads is one the
 * engine's registry exports (or Prometheus' own `up`); every rule has a promtool test case
 * where it fires and one where it stays silent; and the Alertmanager receivers take their
 * secrets from files. (scripts/ci/alerts-check.sh runs the rules and tests through promtool.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { engineMetrics } from '../../src/observability/metrics.js';
import { metricNames } from './promql.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ALERTS = join(ROOT, 'observability/alerts');
const TESTS = join(ALERTS, 'tests');
const RUNBOOKS = join(ROOT, 'docs/runbooks');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: Array<{ name: string; rules: Rule[] }>;
}
interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: Array<{ exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }>;
}
interface TestFile {
  rule_files: string[];
  tests: Array<{ name?: string; alert_rule_test?: AlertTest[] }>;
}

const ruleFiles = readdirSync(ALERTS)
  .filter((f) => f.endsWith('.yml'))
  .sort();
const rules: Array<Rule & { file: string; group: string }> = ruleFiles.flatMap((file) =>
  (parse(readFileSync(join(ALERTS, file), 'utf8')) as RuleFile).groups.flatMap((g) =>
    g.rules.map((r) => ({ ...r, file, group: g.name })),
  ),
);
const alerts = rules.filter((r) => r.alert !== undefined) as Array<Rule & { alert: string; file: string }>;

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown file's headings (fenced code skipped; repeats get -1, -2, …). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const m = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (m === null) continue;
    const base = slug(m[1].replace(/`/g, ''));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

async function exportedNames(): Promise<Set<string>> {
  const names = new Set<string>(['up']);
  for (const m of await engineMetrics().registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram')
      for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
  }
  return names;
}

describe('metric name extraction', () => {
  it('finds the metrics of an expression and nothing else', () => {
    expect(
      metricNames(
        'sum by (agent_type, le) (rate(foo_seconds_bucket{route!="/v1/x",a=~"b|c"}[5m] offset 1h)) / on () bar > 0.5 and ignoring (x) vector(0)',
      ).sort(),
    ).toEqual(['bar', 'foo_seconds_bucket']);
    expect(metricNames('time() - max(baz_timestamp) > 30 * 86400')).toEqual(['baz_timestamp']);
  });

  it('slugs headings as GitHub does', () => {
    expect(slug('TarsEvalPostgresDown')).toBe('tarsevalpostgresdown');
    expect(slug('Token and login issues')).toBe('token-and-login-issues');
    expect([...anchors('# A b\n```\n# not a heading\n```\n## A b\n')]).toEqual(['a-b', 'a-b-1']);
  });
});

describe('alert rules', () => {
  it('has at least 25 alerting rules with unique names', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(25);
    expect(new Set(alerts.map((a) => a.alert)).size).toBe(alerts.length);
  });

  it('gives every rule a severity, an area, a summary, a templated description and a runbook_url', () => {
    for (const a of alerts) {
      expect(['critical', 'warning', 'info'], a.alert).toContain(a.labels?.severity);
      expect(a.labels?.area, a.alert).toMatch(/^[a-z]+$/);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toMatch(/\{\{[^}]*\$(labels|value)/);
      expect(a.annotations?.runbook_url, a.alert).toBeTruthy();
    }
    const severities = new Set(alerts.map((a) => a.labels?.severity));
    expect([...severities].sort()).toEqual(['critical', 'info', 'warning']);
  });

  it("points every runbook_url at its alert's heading in an existing runbook", () => {
    const cache = new Map<string, Set<string>>();
    for (const a of alerts) {
      const url = a.annotations?.runbook_url ?? '';
      const m = /^docs\/runbooks\/([a-z0-9-]+\.md)#([a-z0-9_-]+)$/.exec(url);
      expect(m, `${a.alert}: ${url}`).not.toBeNull();
      const [, file, anchor] = m as RegExpExecArray;
      if (!cache.has(file)) {
        const files = readdirSync(RUNBOOKS);
        expect(files, `${a.alert}: ${file}`).toContain(file);
        cache.set(file, anchors(readFileSync(join(RUNBOOKS, file), 'utf8')));
      }
      expect(cache.get(file)?.has(anchor), `${a.alert}: #${anchor} in ${file}`).toBe(true);
      expect(anchor, `${a.alert}: one section per alert`).toBe(a.alert.toLowerCase());
    }
  });

  it('reads only metrics the engine exports (plus up)', async () => {
    const exported = await exportedNames();
    for (const a of alerts) {
      const names = metricNames(a.expr);
      expect(names.length, `${a.alert} reads no metric`).toBeGreaterThan(0);
      for (const n of names)
        expect(exported.has(n), `${a.alert} reads ${n}, which is not exported`).toBe(true);
    }
  });
});

describe('runbooks', () => {
  it('resolves every relative link between runbooks to a file and heading', () => {
    const files = readdirSync(RUNBOOKS).filter((f) => f.endsWith('.md'));
    const headings = new Map(files.map((f) => [f, anchors(readFileSync(join(RUNBOOKS, f), 'utf8'))]));
    let links = 0;
    for (const f of files) {
      const text = readFileSync(join(RUNBOOKS, f), 'utf8');
      for (const m of text.matchAll(/\]\(([A-Za-z0-9-]+\.md)?(?:#([a-z0-9_-]+))?\)/g)) {
        const target = m[1] ?? f;
        expect(headings.has(target), `${f} links to ${target}`).toBe(true);
        if (m[2] !== undefined)
          expect(headings.get(target)?.has(m[2]), `${f} links to ${target}#${m[2]}`).toBe(true);
        links++;
      }
    }
    expect(links).toBeGreaterThan(20);
  });
});

describe('promtool tests', () => {
  const testFiles = readdirSync(TESTS)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => ({ f, doc: parse(readFileSync(join(TESTS, f), 'utf8')) as TestFile }));

  it('has, for every rule, a case where it fires (labels and annotations checked) and one where it is silent', () => {
    const fires = new Set<string>();
    const silent = new Set<string>();
    for (const { f, doc } of testFiles) {
      const covered = new Set(doc.rule_files.map((p) => p.replace(/^\.\.\//, '')));
      for (const t of doc.tests) {
        for (const c of t.alert_rule_test ?? []) {
          const rule = alerts.find((a) => a.alert === c.alertname);
          expect(rule, `${f}: unknown alert ${c.alertname}`).toBeDefined();
          expect(covered.has(rule?.file ?? ''), `${f} tests ${c.alertname} without loading its file`).toBe(
            true,
          );
          const exp = c.exp_alerts ?? [];
          if (exp.length === 0) {
            silent.add(c.alertname);
            continue;
          }
          for (const e of exp) {
            expect(e.exp_labels?.severity, `${f}: ${c.alertname}`).toBe(rule?.labels?.severity);
            expect(Object.keys(e.exp_annotations ?? {}).sort(), `${f}: ${c.alertname}`).toEqual(
              Object.keys(rule?.annotations ?? {}).sort(),
            );
          }
          fires.add(c.alertname);
        }
      }
    }
    for (const a of alerts) {
      expect(fires.has(a.alert), `${a.alert} has no firing test`).toBe(true);
      expect(silent.has(a.alert), `${a.alert} has no silent test`).toBe(true);
    }
  });
});

describe('alertmanager', () => {
  const config = parse(readFileSync(join(ROOT, 'observability/alertmanager/alertmanager.yml'), 'utf8')) as {
    route: { group_by: string[]; routes: Array<{ matchers: string[]; receiver: string }> };
    receivers: Array<Record<string, unknown> & { name: string }>;
  };

  it('routes each severity and groups by alertname, agent_type and environment', () => {
    expect(config.route.group_by).toEqual(['alertname', 'agent_type', 'environment']);
    const matchers = config.route.routes.flatMap((r) => r.matchers).join(' ');
    for (const s of ['critical', 'warning', 'info']) expect(matchers).toContain(s);
  });

  it('reads every secret from a file under /etc/alertmanager/secrets', () => {
    const text = JSON.stringify(config.receivers);
    expect(text).not.toMatch(/"(routing_key|service_key|api_url|url)":/);
    const files = [...text.matchAll(/"(\w+_file)":"([^"]+)"/g)].map((m) => m[2]);
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(f).toMatch(/^\/etc\/alertmanager\/secrets\/[a-z-]+$/);
  });
});

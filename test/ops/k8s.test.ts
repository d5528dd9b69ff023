/**
 * The Kubernetes manifests of deploy/: every overlay renders (kubectl kustomize) and passes the
 * offline validator; copies broken in one place each are rejected with a message naming the
 * object; the PrometheusRule generator merges the rule files of observability/alerts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  buildPrometheusRule,
  checkPrometheusRule,
  renderPrometheusRule,
} from '../../scripts/generate-prometheus-rule.js';
import {
  ADAPTER_DIR,
  adapterRules,
  configVariables,
  type K8sObject,
  overlayDirs,
  parseObjects,
  renderKustomization,
  validateDeploy,
  validateObjects,
} from '../../scripts/k8s-validate.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests reach into manifests at arbitrary paths
type Manifest = Record<string, any>;

const dir = mkdtempSync(join(tmpdir(), 'tars-k8s-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let staging: K8sObject[];
let served: Set<string>;
beforeAll(() => {
  const stagingDir = overlayDirs().find((d) => d.endsWith('staging'));
  expect(stagingDir).toBeDefined();
  staging = parseObjects(renderKustomization(stagingDir!));
  served = adapterRules(parseObjects(renderKustomization(ADAPTER_DIR))).served;
});

/** A deep copy of the staging objects with `edit` applied to the one named `kind/name`. */
function broken(kind: string, name: string, edit: (o: Manifest) => void): K8sObject[] {
  const copy = structuredClone(staging);
  const target = copy.find((o) => o.kind === kind && o.metadata?.name === name);
  expect(target, `${kind}/${name} in the staging overlay`).toBeDefined();
  edit(target as Manifest);
  return copy;
}
const container = (o: Manifest, i = 0) => o.spec.template.spec.containers[i];
const problemsOf = (objects: K8sObject[]) => validateObjects(objects, { externalMetrics: served });

describe('deploy/ manifests', () => {
  it('every overlay renders and validates, with the objects the deployment needs', () => {
    const { problems, summary } = validateDeploy();
    expect(problems).toEqual([]);
    expect(overlayDirs().map((d) => d.split('/').pop())).toEqual(['production', 'staging']);
    const kinds = staging.map((o) => `${o.kind}/${o.metadata?.name}`);
    for (const k of [
      'Deployment/tars-eval-api',
      'Deployment/tars-eval-worker',
      'Service/tars-eval-api',
      'HorizontalPodAutoscaler/tars-eval-api',
      'HorizontalPodAutoscaler/tars-eval-worker',
      'PodDisruptionBudget/tars-eval-api',
      'PodDisruptionBudget/tars-eval-worker',
      'ServiceMonitor/tars-eval',
      'PrometheusRule/tars-eval',
      'Job/tars-eval-migrate',
    ]) {
      expect(kinds).toContain(k);
    }
    expect(summary.join('\n')).toMatch(/serves tars_eval_queue_depth/);
  });

  it('scales workers on the pending queue depth and the API on CPU', () => {
    const hpa = (name: string) =>
      staging.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata?.name === name) as Manifest;
    expect(hpa('tars-eval-worker').spec.metrics[0].external.metric).toEqual({
      name: 'tars_eval_queue_depth',
      selector: { matchLabels: { status: 'pending' } },
    });
    expect(hpa('tars-eval-api').spec.metrics[0].resource.name).toBe('cpu');
  });

  it('runs the commands of the CLI: serve, worker, migrate up', () => {
    const args = (kind: string, name: string) =>
      container(staging.find((o) => o.kind === kind && o.metadata?.name === name) as Manifest).args;
    expect(args('Deployment', 'tars-eval-api')).toEqual(['serve']);
    expect(args('Deployment', 'tars-eval-worker')[0]).toBe('worker');
    expect(args('Job', 'tars-eval-migrate')).toEqual(['migrate', 'up']);
  });

  it('rejects a missing probe, naming the object', () => {
    const p = problemsOf(broken('Deployment', 'tars-eval-api', (o) => delete container(o).readinessProbe));
    expect(p).toEqual(['Deployment/tars-eval-api: container api: readinessProbe is missing']);
  });

  it('rejects API probes off /health (readiness) and /health/live (liveness), or off the http port', () => {
    const p = problemsOf(
      broken('Deployment', 'tars-eval-api', (o) => {
        container(o).livenessProbe.httpGet.path = '/health';
        container(o).readinessProbe.httpGet.port = 9999;
        container(o).startupProbe.httpGet.path = '/ready';
      }),
    );
    expect(p).toContain(
      'Deployment/tars-eval-api: container api: livenessProbe must GET /health/live, not /health',
    );
    expect(p).toContain('Deployment/tars-eval-api: container api: startupProbe must GET /health, not /ready');
    expect(p).toContain(
      'Deployment/tars-eval-api: container api: readinessProbe port 9999 is not a port of the container',
    );
  });

  it('probes a worker on its metrics port: readiness /health, liveness /health/live', () => {
    const p = problemsOf(
      broken('Deployment', 'tars-eval-worker', (o) => {
        container(o).readinessProbe.httpGet.path = '/metrics';
      }),
    );
    expect(p).toEqual([
      'Deployment/tars-eval-worker: container worker: readinessProbe must GET /health, not /metrics',
    ]);
  });

  it('rejects a root or writable security context', () => {
    const p = problemsOf(
      broken('Deployment', 'tars-eval-worker', (o) => {
        o.spec.template.spec.securityContext = { runAsUser: 0 };
        container(o).securityContext = { readOnlyRootFilesystem: false };
      }),
    );
    expect(p).toEqual(
      expect.arrayContaining([
        'Deployment/tars-eval-worker: container worker: runAsNonRoot must be true',
        'Deployment/tars-eval-worker: container worker: runAsUser must not be 0 (root)',
        'Deployment/tars-eval-worker: container worker: readOnlyRootFilesystem must be true',
        'Deployment/tars-eval-worker: container worker: allowPrivilegeEscalation must be false',
      ]),
    );
  });

  it('rejects a container without resources', () => {
    const p = problemsOf(broken('Job', 'tars-eval-migrate', (o) => delete container(o).resources.limits));
    expect(p).toEqual([
      'Job/tars-eval-migrate: container migrate: resources.limits.cpu is not set',
      'Job/tars-eval-migrate: container migrate: resources.limits.memory is not set',
    ]);
  });

  it('rejects dangling references: Service selector, HPA target, PDB selector, monitor port', () => {
    const svc = problemsOf(
      broken('Service', 'tars-eval-api', (o) => {
        o.spec.selector['app.kubernetes.io/component'] = 'apl';
      }),
    );
    expect(svc[0]).toMatch(/^Service\/tars-eval-api: selector .* matches no Deployment's pods$/);
    const hpa = problemsOf(
      broken('HorizontalPodAutoscaler', 'tars-eval-worker', (o) => {
        o.spec.scaleTargetRef.name = 'tars-eval-workers';
      }),
    );
    expect(hpa).toEqual([
      'HorizontalPodAutoscaler/tars-eval-worker: scaleTargetRef Deployment/tars-eval-workers does not exist',
    ]);
    const pdb = problemsOf(
      broken('PodDisruptionBudget', 'tars-eval-api', (o) => {
        o.spec = { minAvailable: 1, selector: o.spec.selector };
      }),
    );
    expect(pdb[0]).toMatch(
      /^PodDisruptionBudget\/tars-eval-api: minAvailable 1 with 1 replica\(s\).*block every node drain$/,
    );
    const sm = problemsOf(
      broken('ServiceMonitor', 'tars-eval', (o) => {
        o.spec.endpoints[0].port = 'web';
      }),
    );
    expect(sm).toEqual([
      'ServiceMonitor/tars-eval: endpoint port web is not a port of the selected Services',
    ]);
  });

  it('rejects an external metric no adapter rule serves', () => {
    const p = problemsOf(
      broken('HorizontalPodAutoscaler', 'tars-eval-worker', (o) => {
        o.spec.metrics[0].external.metric.name = 'queue_length';
      }),
    );
    expect(p).toEqual([
      'HorizontalPodAutoscaler/tars-eval-worker: external metric queue_length is served by no Prometheus adapter rule',
    ]);
    const rules = adapterRules([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'prometheus-adapter' },
        data: {
          'config.yaml': stringify({
            externalRules: [{ seriesQuery: 'jobs_waiting{}', metricsQuery: 'sum(<<.Series>>)' }],
          }),
        },
      },
    ]);
    expect(rules.problems).toEqual([
      'ConfigMap/prometheus-adapter: externalRules[0] reads jobs_waiting, which src/observability/metrics.ts does not export',
    ]);
  });

  it('rejects configuration keys and env vars src/config.ts does not read', () => {
    const vars = configVariables();
    for (const v of ['PORT', 'DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'HOST', 'EVAL_MAX_CONCURRENT']) {
      expect(vars.has(v), v).toBe(true);
    }
    const cm = staging.find((o) => o.kind === 'ConfigMap')!;
    const p = problemsOf(
      broken('ConfigMap', cm.metadata!.name!, (o) => {
        o.data.EVAL_EPISODES = '10';
      }),
    );
    expect(p).toContain(
      `ConfigMap/${cm.metadata!.name}: key EVAL_EPISODES is not a configuration variable of src/config.ts`,
    );
    const env = problemsOf(
      broken('Deployment', 'tars-eval-api', (o) => {
        container(o).env.push({ name: 'DB_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'url' } } });
      }),
    );
    expect(env).toEqual([
      'Deployment/tars-eval-api: container api: env DB_URL is not a configuration variable of src/config.ts',
      'Deployment/tars-eval-api: container api: env DB_URL reads Secret db, which is neither defined nor expected',
    ]);
  });

  it('rejects schema violations and unknown kinds', () => {
    const p = problemsOf(
      broken('Service', 'tars-eval-api', (o) => {
        o.spec.ports[0].port = 'eighty';
      }),
    );
    expect(
      p.some((x) => x.startsWith('Service/tars-eval-api: schema: ') && x.includes('port must be integer')),
    ).toBe(true);
    const unknown = problemsOf([
      ...staging,
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
    ]);
    expect(unknown).toEqual([
      'Widget/w: unknown kind example.com/v1/Widget (no schema to validate it against)',
    ]);
  });

  it('the command line fails on a broken kustomization and names the object', () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    const objects = broken('Deployment', 'tars-eval-api', (o) => {
      delete container(o).livenessProbe;
      container(o).securityContext.runAsNonRoot = false;
      o.spec.template.spec.securityContext.runAsNonRoot = false;
    });
    writeFileSync(join(bad, 'all.yaml'), objects.map((o) => stringify(o)).join('---\n'));
    writeFileSync(join(bad, 'kustomization.yaml'), 'resources:\n  - all.yaml\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/k8s-validate.ts', bad], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stdout).toBe(1);
    expect(r.stderr).toContain('Deployment/tars-eval-api: container api: livenessProbe is missing');
    expect(r.stderr).toContain('Deployment/tars-eval-api: container api: runAsNonRoot must be true');
  });
});

describe('PrometheusRule generator', () => {
  const group = (name: string) => ({
    name,
    rules: [{ alert: `${name}Alert`, expr: 'up == 0', for: '5m', labels: { severity: 'warning' } }],
  });

  it('merges the groups of every rule file, skipping tests/', () => {
    const alerts = join(dir, 'alerts-ok');
    mkdirSync(join(alerts, 'tests'), { recursive: true });
    writeFileSync(join(alerts, 'b.yml'), stringify({ groups: [group('b1'), group('b2')] }));
    writeFileSync(join(alerts, 'a.yml'), stringify({ groups: [group('a1')] }));
    writeFileSync(join(alerts, 'tests', 'a_test.yml'), stringify({ rule_files: ['../a.yml'], tests: [] }));
    const rule = buildPrometheusRule(alerts);
    expect(rule.spec.groups.map((g) => g.name)).toEqual(['a1', 'b1', 'b2']);
    expect(validateObjects([rule as unknown as K8sObject])).toEqual([]);

    const out = join(dir, 'rule.yaml');
    writeFileSync(out, renderPrometheusRule(alerts));
    expect(checkPrometheusRule(alerts, out)).toBeNull();
    writeFileSync(join(alerts, 'c.yml'), stringify({ groups: [group('c1')] }));
    expect(checkPrometheusRule(alerts, out)).toMatch(/rule\.yaml is out of date/);
  });

  it('names the file of a duplicate group or a malformed file', () => {
    const alerts = join(dir, 'alerts-bad');
    mkdirSync(alerts);
    writeFileSync(join(alerts, 'a.yml'), stringify({ groups: [group('g')] }));
    writeFileSync(join(alerts, 'b.yml'), stringify({ groups: [group('g')] }));
    expect(() => buildPrometheusRule(alerts)).toThrow(/b\.yml: group g is also defined in .*a\.yml/);
    writeFileSync(join(alerts, 'b.yml'), 'rules: []\n');
    expect(() => buildPrometheusRule(alerts)).toThrow(
      /b\.yml: a Prometheus rule file needs a top-level "groups" list/,
    );
  });
});

// Offline validation of the Kubernetes manifests under deploy/: renders each kustomization
// with `kubectl kustomize`, validates every object against the Kubernetes OpenAPI schemas
// (kubernetes-models, and @kubernetes-models/prometheus-operator for the monitoring CRDs; no
// cluster, no network), then checks what a schema cannot see: Services, autoscalers, budgets
// and monitors point at objects that exist; probes hit /health on a declared port; containers
// run as non-root on a read-only root with resources set; every configuration key is a variable
// src/config.ts reads; the worker autoscaler's external metric is served by the adapter rule
// and backed by a metric of src/observability/metrics.ts; the PrometheusRule is in sync with
// observability/alerts.
//
//   npx tsx scripts/k8s-validate.ts                 every overlay, the adapter rule, the rule sync
//   npx tsx scripts/k8s-validate.ts DIR...          only these kustomization directories
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prometheusOperatorModels from '@kubernetes-models/prometheus-operator';
import * as kubernetesModels from 'kubernetes-models';
import { parseAllDocuments } from 'yaml';
import { configVariables } from '../src/config.js';
import { checkPrometheusRule } from './generate-prometheus-rule.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DEPLOY_DIR = join(ROOT, 'deploy');
export const ADAPTER_DIR = join(DEPLOY_DIR, 'prometheus-adapter');

/** Secrets the manifests reference but never carry: created in the cluster (deploy/README.md). */
export const EXTERNAL_SECRETS = ['tars-eval-secrets'];
/** Where the API answers its probes. */
/** Readiness (and startup): the dependency-aware check. */
export const HEALTH_PATH = '/health';
/** Liveness: the process only; a dependency outage must not restart every pod. */
export const LIVE_PATH = '/health/live';

// --- Shapes (only the parts the checks read; the schemas have validated the rest) ----------

interface Metadata {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
}
export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: Metadata;
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown[];
}
interface Probe {
  httpGet?: { path?: string; port?: string | number };
  tcpSocket?: { port?: string | number };
  exec?: unknown;
  grpc?: unknown;
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
}
interface EnvVar {
  name: string;
  valueFrom?: {
    secretKeyRef?: { name?: string; key?: string };
    configMapKeyRef?: { name?: string; key?: string };
  };
}
interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name?: string }; secretRef?: { name?: string }; prefix?: string }[];
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  securityContext?: SecurityContext;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: { name: string }[];
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: SecurityContext;
  serviceAccountName?: string;
  volumes?: { name: string }[];
}
interface PodTemplate {
  metadata?: Metadata;
  spec: PodSpec;
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];
const LONG_RUNNING_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'];

// --- Schema registry -------------------------------------------------------------------

interface ModelClass {
  apiVersion: string;
  kind: string;
  new (data: unknown): { validate(): void };
}

function collectModels(moduleNamespace: object, into: Map<string, ModelClass>, depth = 0): void {
  for (const value of Object.values(moduleNamespace)) {
    if (typeof value === 'function') {
      const model = value as unknown as Partial<ModelClass>;
      if (typeof model.apiVersion === 'string' && typeof model.kind === 'string') {
        into.set(`${model.apiVersion}/${model.kind}`, value as unknown as ModelClass);
      }
    } else if (value !== null && typeof value === 'object' && depth < 3) {
      collectModels(value, into, depth + 1);
    }
  }
}

let models: Map<string, ModelClass> | null = null;
/** apiVersion/kind → the model class that validates it. */
export function modelRegistry(): Map<string, ModelClass> {
  if (models === null) {
    models = new Map();
    collectModels(kubernetesModels, models);
    collectModels(prometheusOperatorModels, models);
  }
  return models;
}

// --- Facts read from the sources --------------------------------------------------------

/** The environment variables src/config.ts reads (NODE_ENV, PORT, DATABASE_URL, ...). */
export { configVariables };

/** The metric names of the catalogue in src/observability/metrics.ts. */
export function catalogueMetrics(
  source = readFileSync(join(ROOT, 'src', 'observability', 'metrics.ts'), 'utf8'),
): Set<string> {
  return new Set([...source.matchAll(/'(tars_eval_[a-z0-9_]+)'/g)].map((m) => m[1]));
}

// --- Rendering --------------------------------------------------------------------------

/** `kubectl kustomize DIR`; throws with kubectl's message when it cannot build. */
export function renderKustomization(dir: string): string {
  try {
    return execFileSync('kubectl', ['kustomize', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('kubectl not found on PATH: it renders the kustomizations');
    throw new Error(
      `kubectl kustomize ${relative(ROOT, dir) || dir} failed: ${(e.stderr ?? e.message).trim()}`,
    );
  }
}

/** The objects of a YAML stream (empty documents dropped); throws on a YAML error. */
export function parseObjects(text: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`YAML: ${doc.errors[0].message}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value))
      throw new Error('YAML: a document is not an object');
    out.push(value as K8sObject);
  }
  return out;
}

// --- Checks -----------------------------------------------------------------------------

export interface ValidateOptions {
  /** Variables a container may receive (default: those of src/config.ts). */
  configVars?: Set<string>;
  /** External metric names served by the metrics adapter; undefined skips that check. */
  externalMetrics?: Set<string>;
  /** Secrets referenced but created outside the manifests. */
  externalSecrets?: string[];
}

export function ref(o: K8sObject): string {
  return `${o.kind ?? '<no kind>'}/${o.metadata?.name ?? '<no name>'}`;
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) {
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function podTemplate(o: K8sObject): PodTemplate | null {
  if (!WORKLOAD_KINDS.includes(o.kind ?? '')) return null;
  return (o.spec?.template as PodTemplate | undefined) ?? null;
}

function hasQuantity(r: Record<string, unknown> | undefined, name: string): boolean {
  return r !== undefined && r[name] !== undefined && r[name] !== null && String(r[name]) !== '';
}

function portMatches(container: Container, port: string | number | undefined): boolean {
  if (port === undefined) return false;
  return (container.ports ?? []).some((p) =>
    typeof port === 'number' ? p.containerPort === port : p.name === port || String(p.containerPort) === port,
  );
}

/** Problems of one rendered set of objects; each names the object it is about. */
export function validateObjects(objects: K8sObject[], options: ValidateOptions = {}): string[] {
  const problems: string[] = [];
  const configVars = options.configVars ?? configVariables();
  const externalSecrets = options.externalSecrets ?? EXTERNAL_SECRETS;
  const registry = modelRegistry();
  const valid: K8sObject[] = [];

  // 1. Every object is of a known kind and valid against its schema.
  for (const o of objects) {
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
      problems.push(`${ref(o)}: apiVersion and kind are required`);
      continue;
    }
    if (typeof o.metadata?.name !== 'string' || o.metadata.name === '') {
      problems.push(`${ref(o)}: metadata.name is required`);
      continue;
    }
    const Model = registry.get(`${o.apiVersion}/${o.kind}`);
    if (Model === undefined) {
      problems.push(`${ref(o)}: unknown kind ${o.apiVersion}/${o.kind} (no schema to validate it against)`);
      continue;
    }
    try {
      new Model(o).validate();
      valid.push(o);
    } catch (err) {
      problems.push(`${ref(o)}: schema: ${(err as Error).message}`);
    }
  }

  const byKind = (kind: string) => valid.filter((o) => o.kind === kind);
  const find = (kind: string, name: string | undefined) =>
    valid.find((o) => o.kind === kind && o.metadata?.name === name);
  const workloads = valid.filter((o) => podTemplate(o) !== null);
  const podsOf = (selector: Record<string, string> | undefined) =>
    workloads.filter((w) => selects(selector, podTemplate(w)?.metadata?.labels));

  // 2. Workloads: security, resources, probes, configuration, references.
  for (const w of workloads) {
    const tpl = podTemplate(w)!;
    const pod = tpl.spec;
    const where = ref(w);
    if (w.kind !== 'Job') {
      const sel = (w.spec?.selector as LabelSelector | undefined)?.matchLabels;
      if (!selects(sel, tpl.metadata?.labels)) {
        problems.push(`${where}: spec.selector does not match the pod template's labels`);
      }
    }
    if (
      pod.serviceAccountName !== undefined &&
      find('ServiceAccount', pod.serviceAccountName) === undefined
    ) {
      problems.push(`${where}: serviceAccountName ${pod.serviceAccountName} names no ServiceAccount`);
    }
    const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
    const podSec = pod.securityContext ?? {};
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      const at = `${where}: container ${c.name}`;
      const sec = c.securityContext ?? {};
      if ((sec.runAsNonRoot ?? podSec.runAsNonRoot) !== true)
        problems.push(`${at}: runAsNonRoot must be true`);
      if ((sec.runAsUser ?? podSec.runAsUser) === 0) problems.push(`${at}: runAsUser must not be 0 (root)`);
      if (sec.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem must be true`);
      if (sec.allowPrivilegeEscalation !== false)
        problems.push(`${at}: allowPrivilegeEscalation must be false`);
      if (sec.privileged === true) problems.push(`${at}: privileged must not be set`);
      if (!(sec.capabilities?.drop ?? []).includes('ALL')) problems.push(`${at}: capabilities must drop ALL`);
      for (const kind of ['requests', 'limits'] as const) {
        for (const res of ['cpu', 'memory']) {
          if (!hasQuantity(c.resources?.[kind], res))
            problems.push(`${at}: resources.${kind}.${res} is not set`);
        }
      }
      const image = c.image ?? '';
      const tag = image.includes('@') ? 'digest' : (image.split('/').pop()?.split(':')[1] ?? '');
      if (tag === '' || tag === 'latest') {
        problems.push(`${at}: image ${image || '<none>'} needs a pinned tag or digest`);
      }
      for (const m of c.volumeMounts ?? []) {
        if (!volumes.has(m.name)) problems.push(`${at}: volumeMount ${m.name} names no volume of the pod`);
      }

      // Probes: long-running containers need readiness and liveness; HTTP probes hit a
      // declared port. A container serving the API (port "http") or a worker's metrics endpoint
      // (port "metrics") is probed there: readiness and startup on /health (dependencies
      // checked), liveness on /health/live (the process only).
      const probes = (['startupProbe', 'readinessProbe', 'livenessProbe'] as const).filter(
        (p) => c[p] !== undefined,
      );
      if (LONG_RUNNING_KINDS.includes(w.kind ?? '')) {
        for (const p of ['readinessProbe', 'livenessProbe'] as const) {
          if (c[p] === undefined) problems.push(`${at}: ${p} is missing`);
        }
      }
      const probePort = (c.ports ?? []).some((p) => p.name === 'http')
        ? 'http'
        : (c.ports ?? []).some((p) => p.name === 'metrics')
          ? 'metrics'
          : null;
      for (const p of probes) {
        const probe = c[p]!;
        const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
        const want = p === 'livenessProbe' ? LIVE_PATH : HEALTH_PATH;
        if (probe.httpGet === undefined && probe.tcpSocket === undefined) {
          if (probePort !== null) problems.push(`${at}: ${p} must be an HTTP GET of ${want}`);
          continue;
        }
        if (!portMatches(c, port))
          problems.push(`${at}: ${p} port ${String(port)} is not a port of the container`);
        if (probePort !== null) {
          if (probe.httpGet?.path !== want) {
            problems.push(`${at}: ${p} must GET ${want}, not ${probe.httpGet?.path ?? 'a TCP connect'}`);
          }
          if (!portMatches({ ...c, ports: (c.ports ?? []).filter((x) => x.name === probePort) }, port)) {
            problems.push(`${at}: ${p} must reach the ${probePort} port`);
          }
        }
      }

      // Configuration: every variable the container receives is one src/config.ts reads.
      for (const e of c.env ?? []) {
        if (!configVars.has(e.name)) {
          problems.push(`${at}: env ${e.name} is not a configuration variable of src/config.ts`);
        }
        const sk = e.valueFrom?.secretKeyRef;
        if (
          sk !== undefined &&
          !externalSecrets.includes(sk.name ?? '') &&
          find('Secret', sk.name) === undefined
        ) {
          problems.push(
            `${at}: env ${e.name} reads Secret ${sk.name}, which is neither defined nor expected`,
          );
        }
        const ck = e.valueFrom?.configMapKeyRef;
        if (ck !== undefined) {
          const cm = find('ConfigMap', ck.name);
          if (cm === undefined)
            problems.push(`${at}: env ${e.name} reads ConfigMap ${ck.name}, which is not defined`);
          else if (cm.data?.[ck.key ?? ''] === undefined) {
            problems.push(`${at}: env ${e.name} reads key ${ck.key} that ConfigMap ${ck.name} lacks`);
          }
        }
      }
      for (const from of c.envFrom ?? []) {
        if (from.secretRef !== undefined) {
          problems.push(
            `${at}: envFrom secretRef exports unnamed keys; reference each secret with secretKeyRef`,
          );
        }
        const name = from.configMapRef?.name;
        if (name === undefined) continue;
        const cm = find('ConfigMap', name);
        if (cm === undefined) {
          problems.push(`${at}: envFrom ConfigMap ${name} is not defined`);
          continue;
        }
        for (const key of Object.keys(cm.data ?? {})) {
          const variable = `${from.prefix ?? ''}${key}`;
          if (!configVars.has(variable)) {
            problems.push(
              `ConfigMap/${name}: key ${variable} is not a configuration variable of src/config.ts`,
            );
          }
        }
      }
    }
  }

  // 3. Services select pods and target their ports.
  for (const s of byKind('Service')) {
    const selector = s.spec?.selector as Record<string, string> | undefined;
    const pods = podsOf(selector).filter((w) => LONG_RUNNING_KINDS.includes(w.kind ?? ''));
    if (pods.length === 0) {
      problems.push(`${ref(s)}: selector ${JSON.stringify(selector ?? {})} matches no Deployment's pods`);
      continue;
    }
    for (const port of (s.spec?.ports as { name?: string; port: number; targetPort?: string | number }[]) ??
      []) {
      const target = port.targetPort ?? port.port;
      const ok = pods.some((w) => podTemplate(w)!.spec.containers.some((c) => portMatches(c, target)));
      if (!ok)
        problems.push(
          `${ref(s)}: port ${port.name ?? port.port} targets ${target}, which no selected container declares`,
        );
    }
  }

  // 4. Autoscalers and disruption budgets point at workloads that exist.
  for (const h of byKind('HorizontalPodAutoscaler')) {
    const target = h.spec?.scaleTargetRef as { kind?: string; name?: string } | undefined;
    const w = target === undefined ? undefined : find(target.kind ?? '', target.name);
    if (w === undefined) {
      problems.push(`${ref(h)}: scaleTargetRef ${target?.kind}/${target?.name} does not exist`);
    }
    const min = (h.spec?.minReplicas as number | undefined) ?? 1;
    const max = h.spec?.maxReplicas as number;
    if (min > max) problems.push(`${ref(h)}: minReplicas ${min} exceeds maxReplicas ${max}`);
    const metrics =
      (h.spec?.metrics as {
        type: string;
        resource?: { name: string };
        external?: { metric: { name: string } };
      }[]) ?? [];
    if (metrics.length === 0) problems.push(`${ref(h)}: no metrics to scale on`);
    for (const m of metrics) {
      if (m.type === 'External' && options.externalMetrics !== undefined) {
        const name = m.external?.metric.name ?? '';
        if (!options.externalMetrics.has(name)) {
          problems.push(`${ref(h)}: external metric ${name} is served by no Prometheus adapter rule`);
        }
      }
    }
  }
  for (const b of byKind('PodDisruptionBudget')) {
    const selector = (b.spec?.selector as LabelSelector | undefined)?.matchLabels;
    const pods = podsOf(selector).filter((w) => LONG_RUNNING_KINDS.includes(w.kind ?? ''));
    if (pods.length === 0) {
      problems.push(`${ref(b)}: selector matches no Deployment's pods`);
      continue;
    }
    const minAvailable = b.spec?.minAvailable;
    if (typeof minAvailable === 'number') {
      for (const w of pods) {
        const hpa = byKind('HorizontalPodAutoscaler').find(
          (h) => (h.spec?.scaleTargetRef as { name?: string } | undefined)?.name === w.metadata?.name,
        );
        const floor =
          (hpa?.spec?.minReplicas as number | undefined) ?? (w.spec?.replicas as number | undefined) ?? 1;
        if (minAvailable >= floor) {
          problems.push(
            `${ref(b)}: minAvailable ${minAvailable} with ${floor} replica(s) of ${ref(w)} would block every node drain`,
          );
        }
      }
    }
  }

  // 5. The ServiceMonitor finds Services and their ports.
  for (const sm of byKind('ServiceMonitor')) {
    const selector = (sm.spec?.selector as LabelSelector | undefined)?.matchLabels;
    const services = byKind('Service').filter((s) => selects(selector, s.metadata?.labels));
    if (services.length === 0) {
      problems.push(`${ref(sm)}: selector matches no Service`);
      continue;
    }
    for (const e of (sm.spec?.endpoints as { port?: string; path?: string }[]) ?? []) {
      const found = services.some((s) =>
        ((s.spec?.ports as { name?: string }[]) ?? []).some((p) => p.name === e.port),
      );
      if (!found) problems.push(`${ref(sm)}: endpoint port ${e.port} is not a port of the selected Services`);
    }
  }
  return problems;
}

/** The external metrics the adapter's rules serve, and the problems of those rules. */
export function adapterRules(
  objects: K8sObject[],
  metrics: Set<string> = catalogueMetrics(),
): { served: Set<string>; problems: string[] } {
  const served = new Set<string>();
  const problems: string[] = [];
  for (const o of objects.filter((x) => x.kind === 'ConfigMap')) {
    const text = o.data?.['config.yaml'];
    if (text === undefined) continue;
    const docs = parseObjects(text) as { externalRules?: unknown }[];
    const rules = docs[0]?.externalRules;
    if (!Array.isArray(rules)) {
      problems.push(`${ref(o)}: config.yaml has no externalRules list`);
      continue;
    }
    for (const [i, r] of (
      rules as { seriesQuery?: string; name?: { as?: string }; metricsQuery?: string }[]
    ).entries()) {
      const series = /^\s*'?([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(r.seriesQuery ?? '')?.[1];
      if (series === undefined || !metrics.has(series)) {
        problems.push(
          `${ref(o)}: externalRules[${i}] reads ${series ?? '<nothing>'}, which src/observability/metrics.ts does not export`,
        );
      }
      if (!(r.metricsQuery ?? '').includes('<<.Series>>')) {
        problems.push(`${ref(o)}: externalRules[${i}] metricsQuery does not use <<.Series>>`);
      }
      const as = r.name?.as ?? series;
      if (as !== undefined) served.add(as);
    }
  }
  return { served, problems };
}

/** The kustomizations CI validates: every overlay. */
export function overlayDirs(): string[] {
  const overlays = join(DEPLOY_DIR, 'overlays');
  return readdirSync(overlays, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(overlays, e.name, 'kustomization.yaml')))
    .map((e) => join(overlays, e.name))
    .sort();
}

/** Renders and checks; returns the problems, each prefixed with the kustomization it came from. */
export function validateDeploy(dirs: string[] = overlayDirs()): { problems: string[]; summary: string[] } {
  const problems: string[] = [];
  const summary: string[] = [];
  const adapterObjects = parseObjects(renderKustomization(ADAPTER_DIR));
  const adapter = adapterRules(adapterObjects);
  problems.push(
    ...[...validateObjects(adapterObjects), ...adapter.problems].map((p) => `prometheus-adapter: ${p}`),
  );
  summary.push(
    `prometheus-adapter: ${adapterObjects.length} object(s), serves ${[...adapter.served].join(', ')}`,
  );
  for (const dir of dirs) {
    const name = relative(DEPLOY_DIR, dir) || dir;
    let objects: K8sObject[];
    try {
      objects = parseObjects(renderKustomization(dir));
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
      continue;
    }
    const found = validateObjects(objects, { externalMetrics: adapter.served });
    problems.push(...found.map((p) => `${name}: ${p}`));
    const kinds = new Map<string, number>();
    for (const o of objects) kinds.set(o.kind ?? '?', (kinds.get(o.kind ?? '?') ?? 0) + 1);
    summary.push(
      `${name}: ${objects.length} object(s) (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}), ${found.length} problem(s)`,
    );
  }
  const sync = checkPrometheusRule();
  if (sync !== null) problems.push(`base: ${sync}`);
  else summary.push('base: prometheus-rule.yaml is in sync with observability/alerts');
  return { problems, summary };
}

function main(argv: string[]): number {
  const dirs = argv.length > 0 ? argv.map((d) => resolve(d)) : overlayDirs();
  const { problems, summary } = validateDeploy(dirs);
  for (const line of summary) process.stdout.write(`${line}\n`);
  if (problems.length > 0) {
    process.stderr.write(`\n${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 1;
  }
  process.stdout.write('manifests valid\n');
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`k8s-validate: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

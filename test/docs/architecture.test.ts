/**
 * The architecture diagrams (docs/architecture/*.md) stay true to the code: every code name
 * they mention exists in src/, and every Mermaid block renders. The rename fixture shows the
 * name check failing when a symbol the diagrams use is renamed in a copy of src/.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildSourceIndex,
  checkDiagramNames,
  checkName,
  codeNamesOf,
  diagramType,
  extractMermaidBlocks,
  markdownFilesIn,
} from '../../scripts/lib/mermaid-docs.mjs';
import { chromiumPath, renderDiagrams } from '../../scripts/render-diagrams.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
const DIR = join(ROOT, 'docs', 'architecture');
const FILES = markdownFilesIn(DIR);
const index = buildSourceIndex(ROOT);
const temps: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

const blocksOf = (name: string) =>
  extractMermaidBlocks(readFileSync(join(DIR, name), 'utf8'), `docs/architecture/${name}`);

describe('docs/architecture', () => {
  it('has the index and one file per C4 level, each level with its diagram types', () => {
    expect(FILES.map((f) => f.slice(DIR.length + 1))).toEqual([
      'README.md',
      'code.md',
      'components.md',
      'containers.md',
      'context.md',
    ]);
    const types = (name: string) => blocksOf(name).map((b) => diagramType(b.source));
    expect(types('context.md')).toEqual(['C4Context']);
    expect(types('containers.md')).toEqual(['C4Container']);
    expect(types('components.md')).toEqual(['C4Component', 'C4Component']);
    expect(types('code.md')).toEqual([
      'classDiagram',
      'classDiagram',
      'sequenceDiagram',
      'stateDiagram-v2',
      'flowchart',
    ]);
    const readme = readFileSync(join(DIR, 'README.md'), 'utf8');
    for (const f of ['context.md', 'containers.md', 'components.md', 'code.md']) {
      expect(readme).toContain(`](${f})`);
    }
  });

  it('names the actors and systems of the system context', () => {
    const [context] = blocksOf('context.md');
    for (const who of [
      'RL engineer',
      'SRE',
      'Administrator',
      'AutoML',
      'HyperSync',
      'Prometheus',
      'OTLP collector',
      'Jaeger',
      'PostgreSQL',
      'Redis',
    ]) {
      expect(context.source).toContain(who);
    }
  });

  it('mentions only code names that exist in src/', () => {
    const { names, problems } = checkDiagramNames(ROOT, FILES, index);
    expect(problems).toEqual([]);
    // The convention is used throughout, not by a handful of names.
    expect(names).toBeGreaterThan(300);
  });

  it('shows the key types and the steps of one evaluation', () => {
    const code = blocksOf('code.md');
    const names = (i: number) => new Set(codeNamesOf(code[i].source).map((n) => n.name));
    const types = names(0);
    for (const t of [
      'EvaluationRequest',
      'EvaluationResult',
      'MetricsResult',
      'RegressionReport',
      'NashScores',
    ]) {
      expect(types).toContain(t);
    }
    const runtime = names(1);
    for (const t of ['Agent', 'Env', 'JobQueue', 'EvaluationPool', 'Baseline', 'Integrations']) {
      expect(runtime).toContain(t);
    }
    const sequence = names(2);
    for (const step of [
      'POST /v1/evaluate',
      'createJob(db, input)',
      'JobQueue.enqueue(job.id)',
      'runClaimedJob',
      'processJob(jobId, deps)',
      'runEvaluationTask',
      'evaluate(request, options)',
      'completeJob(db, id, result)',
      'Integrations.jobFinished(job)',
    ]) {
      expect(sequence).toContain(step);
    }
    expect(names(3)).toContain('rollbackBaseline');
    expect(names(4)).toContain('severityOf');
  });
});

describe('the name check', () => {
  it('extracts backticked names, class names and class members', () => {
    const names = codeNamesOf(
      [
        'classDiagram',
        '  class RegressionReport {',
        '    <<record>>',
        '    +should_rollback: boolean',
        '  }',
        '  RegressionReport --> NashScores : beside',
        '  note for RegressionReport "calls `detectRegression`"',
      ].join('\n'),
    ).map((n) => n.name);
    expect(names).toEqual([
      'RegressionReport',
      'RegressionReport.should_rollback',
      'RegressionReport',
      'NashScores',
      'detectRegression',
    ]);
  });

  it('accepts each kind of name that exists and rejects ones that do not', () => {
    const ok = [
      'createJob',
      'createJob(db, input)',
      'RegressionReport.should_rollback',
      'EvaluationResult.overall.should_rollback',
      'POST /v1/evaluate',
      'GET /v1/jobs/{job_id}',
      '/v1/baselines/{agent_type}',
      'src/store/baselines.ts',
      'evaluation_jobs',
      'baselines.previous_best_id',
      'tars_eval_episodes_total',
      'REDIS_URL',
      'tars-eval baseline rollback',
      "'baseline.rollback'",
    ];
    for (const name of ok) expect([name, checkName(name, index)]).toEqual([name, null]);
    const bad: Array<[string, RegExp]> = [
      ['createJobb', /no exported symbol/],
      ['RegressionReport.should_rollbak', /'should_rollbak' does not occur/],
      ['DELETE /v1/evaluate', /no route DELETE \/v1\/evaluate/],
      ['/v1/nowhere', /no route/],
      ['src/store/nothing.ts', /no file/],
      ['tars_eval_no_such_metric_total', /no metric/],
      ['NO_SUCH_VARIABLE', /no exported symbol/],
      ['tars-eval frobnicate', /no CLI command 'frobnicate'/],
      ["'no such literal anywhere'", /no string literal/],
      ['FOR UPDATE SKIP LOCKED', /not a recognised code name/],
    ];
    for (const [name, reason] of bad) expect(checkName(name, index)).toMatch(reason);
  });

  it('fails when a symbol the diagrams use is renamed in the code', () => {
    // A copy of src/ in which createJob is renamed (declaration and every use), as a
    // refactoring would leave it; the unchanged diagrams must then be reported.
    const root = tempDir('tars-rename-');
    cpSync(join(ROOT, 'src'), join(root, 'src'), { recursive: true });
    for (const file of ['src/store/jobs.ts', 'src/api/routes/jobs.ts']) {
      const path = join(root, file);
      const before = readFileSync(path, 'utf8');
      const after = before.replaceAll(/\bcreateJob\b/g, 'insertJob');
      expect(after).not.toBe(before);
      writeFileSync(path, after);
    }
    const { problems } = checkDiagramNames(ROOT, FILES, buildSourceIndex(root));
    const renamed = problems.filter((p) => p.name.startsWith('createJob'));
    expect(renamed.length).toBeGreaterThan(0);
    expect(problems).toEqual(renamed);
    const places = new Set(renamed.map((p) => p.file));
    expect(places).toContain('docs/architecture/code.md');
    expect(places).toContain('docs/architecture/components.md');
    for (const p of renamed)
      expect(p.reason).toMatch(/no exported symbol, table or environment variable 'createJob'/);
  });

  it('reports a misspelt name in a diagram with its file and line', () => {
    const dir = tempDir('tars-misspelt-');
    const file = join(dir, 'broken.md');
    writeFileSync(
      file,
      ['# x', '', '```mermaid', 'flowchart TD', '  a["calls `detectRegresion`"]', '```', ''].join('\n'),
    );
    const { problems } = checkDiagramNames(ROOT, [file], index);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ block: 1, line: 5, name: 'detectRegresion' });
  });
});

const haveChromium = existsSync(chromiumPath());
const requireChromium = process.env.TARS_REQUIRE_CHROMIUM === '1';
if (!haveChromium && requireChromium) {
  throw new Error(`TARS_REQUIRE_CHROMIUM=1 but there is no browser at ${chromiumPath()}`);
}

// Rendering needs Chromium; without it (and without TARS_REQUIRE_CHROMIUM=1) these are
// skipped: scripts/ci/diagrams-check.sh renders the real diagrams in CI regardless.
describe.skipIf(!haveChromium)(`rendering with ${chromiumPath()}`, () => {
  it('renders a valid diagram and fails a broken one, naming its file and block', async () => {
    const dir = tempDir('tars-render-');
    const file = join(dir, 'two.md');
    writeFileSync(
      file,
      [
        '# two diagrams',
        '',
        '```mermaid',
        'flowchart TD',
        '  a["`createJob`"] --> b',
        '```',
        '',
        '```mermaid',
        'flowchart TD',
        '  a -->> b[[',
        '```',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'out');
    mkdirSync(out);
    const { rendered, failures } = await renderDiagrams([file], out);
    expect(rendered).toHaveLength(1);
    expect(readFileSync(join(out, 'two-1.svg'), 'utf8')).toMatch(/^<svg[\s\S]*createJob[\s\S]*<\/svg>$/);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ block: 2, line: 8 });
    expect(failures[0].file).toMatch(/two\.md$/);
    expect(failures[0].message).toMatch(/Parse error/);
    expect(existsSync(join(out, 'two-2.svg'))).toBe(false);
  });
});

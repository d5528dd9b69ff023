/**
 * The Mermaid diagrams of docs/architecture and the code names they mention.
 *
 * Convention (docs/architecture/README.md): a name from the code is written in backticks
 * inside the diagram text — `createJob`, `RegressionReport.should_rollback`,
 * `POST /v1/evaluate`, `src/store/baselines.ts`, `evaluation_jobs`, `tars_eval_episodes_total`,
 * `REDIS_URL`, `tars-eval worker`, `'regression'` — and every class and class member of a
 * classDiagram is one. `checkDiagramNames` looks each of them up in the source tree.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every ```mermaid block of a Markdown text, with its 1-based index and the line of its fence. */
export function extractMermaidBlocks(markdown, file = '<markdown>') {
  const blocks = [];
  const lines = markdown.split('\n');
  let open = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (open === null) {
      if (/^\s*```mermaid\s*$/.test(line)) open = { line: i + 1, body: [] };
    } else if (/^\s*```\s*$/.test(line)) {
      blocks.push({ file, index: blocks.length + 1, line: open.line, source: open.body.join('\n') });
      open = null;
    } else {
      open.body.push(line);
    }
  }
  if (open !== null) throw new Error(`${file}:${open.line}: unterminated mermaid block`);
  return blocks;
}

/** The diagram type: the first word of the first line that is not a comment or front matter. */
export function diagramType(source) {
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('%%')) continue;
    return line.split(/\s+/)[0];
  }
  return '';
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/**
 * The code names a block mentions, each with its line inside the block (1-based):
 * backticked spans everywhere, plus class names and `Class.member` names of a classDiagram.
 */
export function codeNamesOf(source) {
  const names = [];
  const type = diagramType(source);
  const lines = source.split('\n');
  let inClass = null;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('%%')) return;
    for (const m of raw.matchAll(/`([^`\n]+)`/g)) names.push({ name: m[1].trim(), line: i + 1 });
    if (type !== 'classDiagram') return;
    if (inClass !== null) {
      if (line === '}') {
        inClass = null;
      } else if (line !== '' && !line.startsWith('<<')) {
        const member = /^[+\-#~]?\s*\$?([A-Za-z_$][\w$]*)/.exec(line);
        if (member) names.push({ name: `${inClass}.${member[1]}`, line: i + 1 });
      }
      return;
    }
    const cls = /^class\s+([A-Za-z_$][\w$]*)(~[^~]*~)?\s*(\{)?\s*$/.exec(line);
    if (cls) {
      names.push({ name: cls[1], line: i + 1 });
      if (cls[3]) inClass = cls[1];
      return;
    }
    // A relation: `A <|-- B`, `A "1" *-- "n" B : label`, `A ..> B`.
    const rel =
      /^([A-Za-z_$][\w$]*)\s*(?:"[^"]*"\s*)?(?:<\|--|\*--|o--|-->|--|\.\.>|\.\.\|>|<\|\.\.|\.\.|--\*|--o|<--|<\.\.)\s*(?:"[^"]*"\s*)?([A-Za-z_$][\w$]*)/.exec(
        line,
      );
    if (rel) {
      names.push({ name: rel[1], line: i + 1 });
      names.push({ name: rel[2], line: i + 1 });
    }
  });
  return names;
}

function walk(dir, out = []) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/**
 * What the source tree under `root` defines: exported symbols (with the files declaring them),
 * HTTP routes, metric names, SQL tables, environment variables, CLI commands, and the text of
 * every source file (for members and string literals).
 */
export function buildSourceIndex(root) {
  const src = join(root, 'src');
  const files = walk(src).filter((f) => f.endsWith('.ts'));
  const text = new Map(files.map((f) => [relative(root, f), readFileSync(f, 'utf8')]));
  const declared = new Map();
  const reexported = new Set();
  const declare = (name, file) => {
    if (!declared.has(name)) declared.set(name, new Set());
    declared.get(name).add(file);
  };
  const routes = new Set();
  for (const [file, body] of text) {
    for (const m of body.matchAll(
      /export\s+(?:declare\s+)?(?:default\s+)?(?:async\s+)?(?:abstract\s+)?(?:function\*?|class|interface|type|enum|const|let|var)\s+([A-Za-z_$][\w$]*)/g,
    )) {
      declare(m[1], file);
    }
    for (const m of body.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
      for (const part of m[1].split(',')) {
        const name = part
          .trim()
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)
          .pop()
          ?.trim();
        if (name && IDENT.test(name)) reexported.add(name);
      }
    }
    if (file.startsWith('src/api/')) {
      for (const m of body.matchAll(/\bapp\.(get|post|put|patch|delete)\s*(?:<[\s\S]*?>)?\(\s*'([^']+)'/g)) {
        routes.add(`${m[1].toUpperCase()} ${m[2]}`);
      }
    }
  }
  const metricsFile = text.get('src/observability/metrics.ts') ?? '';
  const metrics = new Set([...metricsFile.matchAll(/'(tars_eval_\w+)'/g)].map((m) => m[1]));
  const tables = new Set();
  const migrations = join(src, 'store', 'migrations');
  if (existsSync(migrations)) {
    for (const f of walk(migrations).filter((f) => f.endsWith('up.sql'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/CREATE TABLE\s+(?:IF NOT EXISTS\s+)?"?(\w+)"?/gi)) {
        tables.add(m[1]);
      }
    }
  }
  const configFile = text.get('src/config.ts') ?? '';
  const envVars = new Set([...configFile.matchAll(/'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]));
  const commands = new Set();
  for (const [file, body] of text) {
    if (!file.startsWith('src/cli/')) continue;
    for (const m of body.matchAll(/\.command\(\s*'([\w-]+)/g)) commands.add(m[1]);
  }
  return { root, text, declared, reexported, routes, metrics, tables, envVars, commands };
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const hasWord = (body, word) => new RegExp(`(?<![\\w$])${escapeRegExp(word)}(?![\\w$])`).test(body);

/** The files that declare `name`; for a name only re-exported, every file that mentions it. */
function filesOf(index, name) {
  const direct = index.declared.get(name);
  if (direct) return [...direct];
  if (index.reexported.has(name))
    return [...index.text.keys()].filter((f) => hasWord(index.text.get(f), name));
  return [];
}

const METHOD = /^(GET|POST|PUT|PATCH|DELETE)\s+(\/\S*)$/;

/** null when `token` names something in the source tree, else why not. */
export function checkName(token, index) {
  let name = token.trim();
  // A call: `createJob(db, input)` names `createJob`.
  const call = /^([\w$.]+)\(.*\)$/.exec(name);
  if (call) name = call[1];

  if (name === 'tars-eval') return null;
  if (name.startsWith('tars-eval ')) {
    const words = name.split(/\s+/).slice(1);
    const missing = words.filter((w) => !index.commands.has(w));
    return missing.length === 0 ? null : `no CLI command ${missing.map((w) => `'${w}'`).join(', ')}`;
  }

  const route = METHOD.exec(name) ?? (name.startsWith('/') ? [name, null, name] : null);
  if (route) {
    const path = route[2].replace(/\?.*$/, '').replace(/\{(\w+)\}/g, ':$1');
    const methods = route[1] ? [route[1]] : ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
    return methods.some((m) => index.routes.has(`${m} ${path}`))
      ? null
      : `no route ${route[1] ? `${route[1]} ` : ''}${path} in src/api`;
  }

  if (/^(src|docs|test|scripts|bench|observability|deploy)\//.test(name)) {
    return existsSync(join(index.root, name)) ? null : `no file or directory ${name}`;
  }

  const literal = /^'([^']*)'$/.exec(name);
  if (literal) {
    const needle = [`'${literal[1]}'`, `"${literal[1]}"`];
    for (const body of index.text.values()) if (needle.some((n) => body.includes(n))) return null;
    return `no string literal ${name} in src`;
  }

  if (name.startsWith('tars_eval_')) {
    return index.metrics.has(name) ? null : `no metric ${name} in src/observability/metrics.ts`;
  }

  const parts = name.split('.');
  if (!parts.every((p) => IDENT.test(p))) {
    return 'not a recognised code name (an identifier, Type.member, a route, a file path, a metric, a table, an environment variable, a CLI command or a quoted literal)';
  }
  const [head, ...members] = parts;
  let files = filesOf(index, head);
  if (files.length === 0 && index.tables.has(head)) {
    files = ['src/store/schema.ts'].filter((f) => index.text.has(f));
    if (members.length === 0) return null;
  }
  if (files.length === 0) {
    if (members.length === 0 && index.envVars.has(head)) return null;
    return `no exported symbol, table or environment variable '${head}' in src`;
  }
  for (const member of members) {
    if (!files.some((f) => hasWord(index.text.get(f), member))) {
      return `'${member}' does not occur where '${head}' is declared (${files.join(', ')})`;
    }
  }
  return null;
}

/** Problems of every diagram of `markdownFiles` (absolute or relative to root): unknown names. */
export function checkDiagramNames(root, markdownFiles, index = buildSourceIndex(root)) {
  const problems = [];
  let names = 0;
  for (const file of markdownFiles) {
    const path = file.startsWith('/') ? file : join(root, file);
    const shown = relative(root, path);
    for (const block of extractMermaidBlocks(readFileSync(path, 'utf8'), shown)) {
      for (const { name, line } of codeNamesOf(block.source)) {
        names++;
        const reason = checkName(name, index);
        if (reason !== null) {
          problems.push({ file: shown, block: block.index, line: block.line + line, name, reason });
        }
      }
    }
  }
  return { names, problems };
}

/** The Markdown files of a directory, sorted. */
export function markdownFilesIn(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join(dir, f));
}

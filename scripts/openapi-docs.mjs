#!/usr/bin/env node
/**
 * Static HTML documentation of docs/api/openapi.yaml: one self-contained page (inline CSS, no
 * scripts, no network) listing every path and operation with its parameters, request body,
 * responses and their schemas.
 *
 *   node scripts/openapi-docs.mjs [--in FILE] [--out FILE]
 *
 * Default output docs/api/html/index.html (git-ignored; generated from the committed
 * document). Exits 1 when the input cannot be read or parsed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const DEFAULT_IN = fileURLToPath(new URL('../docs/api/openapi.yaml', import.meta.url));
export const DEFAULT_OUT = fileURLToPath(new URL('../docs/api/html/index.html', import.meta.url));

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function escapeHtml(value) {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Escaped prose with `code` spans and blank-line paragraphs. */
function prose(text) {
  if (text === undefined || text === null || text === '') return '';
  return String(text)
    .split(/\n{2,}/)
    .map((para) => `<p>${escapeHtml(para).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`)
    .join('');
}

/** The anchor of an operation: `op-post-v1-evaluate`. */
export function operationId(method, path) {
  return `op-${method}-${path
    .replace(/[{}]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')}`;
}

const schemaAnchor = (name) => `schema-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

function resolveRef(doc, ref) {
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return undefined;
  let node = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

/** A short type label: `string (uuid)`, `array of integer`, `object`, `one of …`. */
function typeLabel(schema) {
  if (schema === true || schema === undefined) return 'any';
  if (schema === false) return 'nothing';
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop();
    return `<a href="#${schemaAnchor(name)}">${escapeHtml(name)}</a>`;
  }
  if (schema.const !== undefined) return `<code>${escapeHtml(JSON.stringify(schema.const))}</code>`;
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.includes('array') && schema.items) return `array of ${typeLabel(schema.items)}`;
  if (types.length > 0)
    return escapeHtml(types.join(' | ')) + (schema.format ? ` (${escapeHtml(schema.format)})` : '');
  if (schema.anyOf || schema.oneOf) {
    const alts = schema.anyOf ?? schema.oneOf;
    if (alts.every((a) => a && a.const !== undefined)) {
      return alts.map((a) => `<code>${escapeHtml(JSON.stringify(a.const))}</code>`).join(' | ');
    }
    return `${schema.anyOf ? 'any' : 'one'} of ${alts.length}`;
  }
  if (schema.allOf) return `all of ${schema.allOf.length}`;
  if (schema.properties) return 'object';
  if (schema.enum) return 'enum';
  return 'any';
}

const CONSTRAINTS = [
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'uniqueItems',
  'pattern',
  'default',
  'additionalProperties',
];

function constraints(schema) {
  if (schema === null || typeof schema !== 'object') return '';
  const out = [];
  for (const key of CONSTRAINTS) {
    if (schema[key] === undefined) continue;
    if (key === 'additionalProperties' && typeof schema[key] === 'object') continue;
    out.push(`${key}: ${JSON.stringify(schema[key])}`);
  }
  if (Array.isArray(schema.enum)) out.push(`one of: ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  return out.length === 0 ? '' : `<span class="c">${escapeHtml(out.join('; '))}</span>`;
}

/** The children of a schema worth expanding: properties, items, alternatives, map values. */
function schemaBody(doc, schema, depth) {
  if (schema === null || typeof schema !== 'object' || schema.$ref || depth > 12) return '';
  const parts = [];
  if (schema.properties) {
    const required = new Set(schema.required ?? []);
    const rows = Object.entries(schema.properties).map(
      ([name, sub]) =>
        `<li><span class="p">${escapeHtml(name)}</span>${required.has(name) ? '<span class="r">required</span>' : ''} <span class="t">${typeLabel(sub)}</span> ${constraints(sub)}${sub?.description ? `<div class="d">${prose(sub.description)}</div>` : ''}${schemaBody(doc, sub, depth + 1)}</li>`,
    );
    parts.push(`<ul class="s">${rows.join('')}</ul>`);
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    const sub = schema.additionalProperties;
    parts.push(
      `<ul class="s"><li><span class="p">{key}</span> <span class="t">${typeLabel(sub)}</span> ${constraints(sub)}${schemaBody(doc, sub, depth + 1)}</li></ul>`,
    );
  }
  if (schema.patternProperties) {
    for (const [pattern, sub] of Object.entries(schema.patternProperties)) {
      parts.push(
        `<ul class="s"><li><span class="p">${escapeHtml(pattern)}</span> <span class="t">${typeLabel(sub)}</span>${schemaBody(doc, sub, depth + 1)}</li></ul>`,
      );
    }
  }
  if (schema.items && typeof schema.items === 'object') {
    const inner = schemaBody(doc, schema.items, depth + 1);
    if (inner) parts.push(`<div class="i">items: ${inner}</div>`);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const alts = schema[key];
    if (!Array.isArray(alts) || alts.every((a) => a && a.const !== undefined)) continue;
    const rows = alts.map(
      (a, i) =>
        `<li><span class="p">${key} ${i + 1}</span> <span class="t">${typeLabel(a)}</span> ${constraints(a)}${a?.description ? `<div class="d">${prose(a.description)}</div>` : ''}${schemaBody(doc, a, depth + 1)}</li>`,
    );
    parts.push(`<ul class="s">${rows.join('')}</ul>`);
  }
  return parts.join('');
}

function schemaBlock(doc, schema) {
  if (schema === undefined) return '';
  return `<div class="schema"><span class="t">${typeLabel(schema)}</span> ${constraints(schema)}${schema?.description ? `<div class="d">${prose(schema.description)}</div>` : ''}${schemaBody(doc, schema, 0)}</div>`;
}

function contentBlock(doc, content) {
  if (!content || typeof content !== 'object') return '';
  return Object.entries(content)
    .map(
      ([type, media]) =>
        `<details><summary><code>${escapeHtml(type)}</code> schema</summary>${schemaBlock(doc, media?.schema)}</details>`,
    )
    .join('');
}

function parametersTable(doc, params) {
  if (!Array.isArray(params) || params.length === 0) return '';
  const rows = params
    .map((p) => (p?.$ref ? (resolveRef(doc, p.$ref) ?? p) : p))
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name ?? '')}</code></td><td>${escapeHtml(p.in ?? '')}</td><td>${p.required ? 'yes' : 'no'}</td><td>${typeLabel(p.schema)} ${constraints(p.schema)}</td><td>${prose(p.description ?? p.schema?.description ?? '')}</td></tr>`,
    )
    .join('');
  return `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>required</th><th>type</th><th>description</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function operationSection(doc, path, method, op, pathParams) {
  const id = operationId(method, path);
  const security = op.security ?? doc.security ?? [];
  const auth =
    security.length === 0
      ? '<span class="badge public">public</span>'
      : security
          .map((s) => `<span class="badge auth">${escapeHtml(Object.keys(s).join(' + ') || 'none')}</span>`)
          .join(' ');
  const params = [...(pathParams ?? []), ...(op.parameters ?? [])];
  const body = op.requestBody?.$ref ? resolveRef(doc, op.requestBody.$ref) : op.requestBody;
  const responses = Object.entries(op.responses ?? {})
    .map(([status, r]) => {
      const resp = r?.$ref ? (resolveRef(doc, r.$ref) ?? r) : r;
      return `<div class="resp"><span class="status s${escapeHtml(status[0])}">${escapeHtml(status)}</span> ${prose(resp?.description ?? '')}${contentBlock(doc, resp?.content)}</div>`;
    })
    .join('');
  return `<section class="op" id="${id}">
<h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<div class="meta">${auth}${(op.tags ?? []).map((t) => ` <span class="badge tag">${escapeHtml(t)}</span>`).join('')}${op.operationId ? ` <code>${escapeHtml(op.operationId)}</code>` : ''}</div>
${op.summary ? `<p class="summary">${escapeHtml(op.summary)}</p>` : ''}${prose(op.description)}
${parametersTable(doc, params)}
${body ? `<h4>Request body${body.required ? ' (required)' : ''}</h4>${prose(body.description)}${contentBlock(doc, body.content)}` : ''}
<h4>Responses</h4>${responses}
</section>`;
}

const CSS = `
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b1f24;background:#fff}
header{background:#1b2a41;color:#fff;padding:20px 32px}header h1{margin:0 0 4px}header p{margin:4px 0;max-width:70em}
header code{background:#2d4063;color:#fff}
nav{position:fixed;top:0;bottom:0;left:0;width:290px;overflow:auto;background:#f4f6f8;border-right:1px solid #d8dee4;padding:16px;box-sizing:border-box}
nav h2{font-size:13px;text-transform:uppercase;color:#57606a;margin:16px 0 4px}nav ul{list-style:none;padding:0;margin:0}
nav li{margin:2px 0;font-size:13px}nav a{color:#1b1f24;text-decoration:none}nav a:hover{text-decoration:underline}
main{margin-left:290px}.content{padding:8px 32px 48px;max-width:1100px}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef1f4;padding:1px 4px;border-radius:3px}
.op{border:1px solid #d8dee4;border-radius:6px;padding:4px 18px 12px;margin:18px 0}
.m{display:inline-block;min-width:58px;text-align:center;color:#fff;border-radius:3px;font-size:13px;padding:2px 6px}
.get{background:#1f6feb}.post{background:#1a7f37}.put{background:#9a6700}.delete{background:#cf222e}.patch{background:#8250df}
.options,.head,.trace{background:#57606a}
.badge{display:inline-block;font-size:12px;border-radius:10px;padding:0 8px;margin-right:4px}
.public{background:#dafbe1}.auth{background:#fff8c5}.tag{background:#ddf4ff}
.summary{font-weight:600}table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border:1px solid #d8dee4;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}
.resp{margin:6px 0}.status{display:inline-block;font-weight:700;min-width:40px}
.s2{color:#1a7f37}.s4{color:#9a6700}.s5{color:#cf222e}
details{margin:4px 0 4px 12px}summary{cursor:pointer;color:#57606a}
ul.s{list-style:none;margin:2px 0 2px 6px;padding-left:14px;border-left:2px solid #eaeef2}
.p{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-weight:600}.r{color:#cf222e;font-size:11px;margin-left:6px}
.t{color:#0550ae;font-size:13px}.c{color:#6e7781;font-size:12px}.d{color:#424a53;font-size:13px}.d p{margin:0}
.i{margin-left:6px;font-size:13px;color:#57606a}
@media (max-width:800px){nav{position:static;width:auto;border:0}main{margin:0}}
`;

/** The whole page for a parsed OpenAPI document. */
export function renderOpenApiHtml(doc) {
  const info = doc.info ?? {};
  const title = info.title ?? 'API';
  const ops = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (!item || typeof item !== 'object') continue;
    for (const method of METHODS) if (item[method]) ops.push({ path, method, op: item[method], item });
  }
  const byTag = new Map();
  for (const o of ops) {
    const tag = o.op.tags?.[0] ?? 'other';
    if (!byTag.has(tag)) byTag.set(tag, []);
    byTag.get(tag).push(o);
  }
  const tagInfo = new Map((doc.tags ?? []).map((t) => [t.name, t.description]));
  const nav = [...byTag.entries()]
    .map(
      ([tag, list]) =>
        `<h2>${escapeHtml(tag)}</h2><ul>${list
          .map(
            (o) =>
              `<li><a href="#${operationId(o.method, o.path)}"><span class="m ${o.method}">${o.method.toUpperCase()}</span> ${escapeHtml(o.path)}</a></li>`,
          )
          .join('')}</ul>`,
    )
    .join('');
  const sections = [...byTag.entries()]
    .map(
      ([tag, list]) =>
        `<h2 id="tag-${escapeHtml(tag)}">${escapeHtml(tag)}</h2>${tagInfo.get(tag) ? prose(tagInfo.get(tag)) : ''}${list
          .map((o) => operationSection(doc, o.path, o.method, o.op, o.item.parameters))
          .join('\n')}`,
    )
    .join('\n');
  const schemes = Object.entries(doc.components?.securitySchemes ?? {})
    .map(
      ([name, s]) =>
        `<tr><td><code>${escapeHtml(name)}</code></td><td>${escapeHtml([s.type, s.scheme, s.bearerFormat, s.in, s.name].filter(Boolean).join(', '))}</td><td>${prose(s.description ?? '')}</td></tr>`,
    )
    .join('');
  const schemas = Object.entries(doc.components?.schemas ?? {})
    .map(
      ([name, s]) =>
        `<section id="${schemaAnchor(name)}"><h3><code>${escapeHtml(name)}</code></h3>${schemaBlock(doc, s)}</section>`,
    )
    .join('');
  const servers = (doc.servers ?? []).map(
    (s) => `<li><code>${escapeHtml(s.url)}</code> ${escapeHtml(s.description ?? '')}</li>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} ${escapeHtml(info.version ?? '')} — API reference</title>
<style>${CSS}</style>
</head>
<body>
<nav><strong>${escapeHtml(title)}</strong> <span class="c">${escapeHtml(info.version ?? '')}</span>${nav}${schemas ? '<h2>Schemas</h2>' : ''}</nav>
<main>
<header><h1>${escapeHtml(title)} <span class="c">${escapeHtml(info.version ?? '')}</span></h1>${prose(info.description)}<p>OpenAPI ${escapeHtml(doc.openapi ?? '')}; ${ops.length} operations on ${Object.keys(doc.paths ?? {}).length} paths. Generated from docs/api/openapi.yaml.</p></header>
<div class="content">
${servers.length ? `<h2>Servers</h2><ul>${servers.join('')}</ul>` : ''}
${schemes ? `<h2>Authentication</h2><table><thead><tr><th>scheme</th><th>type</th><th>description</th></tr></thead><tbody>${schemes}</tbody></table>` : ''}
${sections}
${schemas ? `<h2>Schemas</h2>${schemas}` : ''}
</div>
</main>
</body>
</html>
`;
}

function main(argv) {
  let input = DEFAULT_IN;
  let output = DEFAULT_OUT;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--in') input = resolve(argv[++i] ?? '');
    else if (argv[i] === '--out') output = resolve(argv[++i] ?? '');
    else {
      process.stderr.write(`openapi-docs: unknown argument ${argv[i]} (usage: [--in FILE] [--out FILE])\n`);
      return 1;
    }
  }
  let doc;
  try {
    doc = parse(readFileSync(input, 'utf8'));
  } catch (err) {
    process.stderr.write(`openapi-docs: cannot read ${input}: ${err instanceof Error ? err.message : err}\n`);
    return 1;
  }
  if (doc === null || typeof doc !== 'object' || typeof doc.paths !== 'object' || doc.paths === null) {
    process.stderr.write(`openapi-docs: ${input} has no paths object; is it an OpenAPI document?\n`);
    return 1;
  }
  const html = renderOpenApiHtml(doc);
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, html);
  process.stdout.write(`openapi-docs: wrote ${output} (${Math.round(html.length / 1024)} kB)\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(main(process.argv.slice(2)));
}

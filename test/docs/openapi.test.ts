/**
 * The OpenAPI tooling of docs/api: the validator accepts the committed document and rejects
 * broken copies naming the problem; the static HTML page documents every path and operation
 * and loads nothing from the network.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { METHODS, operationId, renderOpenApiHtml } from '../../scripts/openapi-docs.mjs';
import { DEFAULT_OPENAPI_FILE, parseOpenApiText, validateOpenApi } from '../../scripts/openapi-validate.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<string, { responses: Record<string, Record<string, unknown>> } & Record<string, unknown>>
  >;
} & Record<string, unknown>;
const committed = () =>
  parseOpenApiText(readFileSync(DEFAULT_OPENAPI_FILE, 'utf8'), DEFAULT_OPENAPI_FILE) as Doc;
const dir = mkdtempSync(join(tmpdir(), 'tars-openapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const operationsOf = (doc: Doc) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => m in item).map((method) => ({ path, method })),
  );

describe('openapi-validate', () => {
  it('accepts the committed document', async () => {
    const doc = committed();
    const result = await validateOpenApi(doc);
    expect(result.problems).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.operations).toBe(operationsOf(doc).length);
    expect(result.operations).toBeGreaterThanOrEqual(8);
  });

  it('rejects a response without a description, naming where it is', async () => {
    const doc = committed();
    delete doc.paths['/v1/evaluate'].post.responses['202'].description;
    const { valid, problems } = await validateOpenApi(doc);
    expect(valid).toBe(false);
    expect(problems).toContainEqual({
      at: 'paths["/v1/evaluate"].post.responses["202"]',
      message: "must have required property 'description'",
    });
  });

  it('rejects an unknown field of an operation, naming the field', async () => {
    const doc = committed();
    doc.paths['/health'].get.bogus = true;
    const { problems } = await validateOpenApi(doc);
    expect(problems.map((p) => `${p.at}: ${p.message}`)).toContain(
      'paths["/health"].get: must NOT have unevaluated properties ("bogus")',
    );
  });

  it('rejects a dangling $ref, naming the pointer', async () => {
    const doc = committed();
    const ok = doc.paths['/health'].get.responses['200'] as { content: Record<string, { schema: unknown }> };
    ok.content['application/json'].schema = { $ref: '#/components/schemas/Missing' };
    const { valid, problems } = await validateOpenApi(doc);
    expect(valid).toBe(false);
    expect(problems[0].at).toBe('$ref #/components/schemas/Missing');
    expect(problems[0].message).toMatch(/Missing/);
  });

  it('rejects a document that is not OpenAPI 3', async () => {
    const { valid, problems } = await validateOpenApi({ swagger: '2.0', info: {}, paths: {} });
    expect(valid).toBe(false);
    expect(problems[0].at).toBe('openapi');
    expect(problems[0].message).toMatch(/Swagger 2/);
  });

  it('exits 1 from the command line with the problem, 0 for the committed file', () => {
    const good = spawnSync(process.execPath, [join(ROOT, 'scripts/openapi-validate.mjs')], {
      encoding: 'utf8',
    });
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/valid OpenAPI 3\.\d+\.\d+ document \(\d+ paths, \d+ operations\)/);

    const doc = committed();
    delete doc.paths['/auth/login'].post.responses['200'].description;
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, JSON.stringify(doc, null, 2));
    const bad = spawnSync(process.execPath, [join(ROOT, 'scripts/openapi-validate.mjs'), broken], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(
      `paths["/auth/login"].post.responses["200"]: must have required property 'description'`,
    );

    const garbage = join(dir, 'garbage.yaml');
    writeFileSync(garbage, '{"openapi": "3.1.0", "paths": [');
    const unreadable = spawnSync(process.execPath, [join(ROOT, 'scripts/openapi-validate.mjs'), garbage], {
      encoding: 'utf8',
    });
    expect(unreadable.status).toBe(1);
    expect(unreadable.stderr).toMatch(/garbage\.yaml is not valid JSON or YAML/);
  });
});

describe('openapi-docs', () => {
  const doc = committed();
  const html = renderOpenApiHtml(doc);

  it('documents every path and operation with an anchor and a link to it', () => {
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThanOrEqual(8);
    for (const { path, method } of ops) {
      const id = operationId(method, path);
      expect(html).toContain(`<section class="op" id="${id}">`);
      expect(html).toContain(`href="#${id}"`);
      const heading = new RegExp(
        `<h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${path.replace(/[{}/]/g, '\\$&')}</code></h3>`,
      );
      expect(html).toMatch(heading);
      const op = doc.paths[path][method] as { summary?: string; responses: Record<string, unknown> };
      const section = html.slice(
        html.indexOf(`id="${id}"`),
        html.indexOf('</section>', html.indexOf(`id="${id}"`)),
      );
      if (op.summary) expect(section).toContain(op.summary.replaceAll('&', '&amp;'));
      for (const status of Object.keys(op.responses)) expect(section).toContain(`>${status}</span>`);
    }
  });

  it('shows the request body fields and parameters', () => {
    const section = html.slice(html.indexOf('id="op-post-v1-evaluate"'));
    for (const field of [
      'agent_type',
      'environments',
      'training',
      'total_timesteps',
      'callback_url',
      'trial_id',
    ]) {
      expect(section).toContain(`<span class="p">${field}</span>`);
    }
    expect(section).toContain('<code>wait</code>');
    expect(section).toContain('<code>idempotency-key</code>');
  });

  it('is self-contained: no scripts, stylesheets or images from elsewhere', () => {
    expect(html).not.toMatch(/<script\b/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//i);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<style>');
  });

  it('escapes text from the document', () => {
    const page = renderOpenApiHtml({
      openapi: '3.1.0',
      info: { title: '<script>x</script>', version: '1' },
      paths: { '/a': { get: { summary: 'a < b & "c"', responses: { '200': { description: 'ok' } } } } },
    });
    expect(page).not.toContain('<script>x</script>');
    expect(page).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(page).toContain('a &lt; b &amp; &quot;c&quot;');
  });

  it('writes the page from the command line', () => {
    const out = join(dir, 'html', 'index.html');
    const stdout = execFileSync(process.execPath, [join(ROOT, 'scripts/openapi-docs.mjs'), '--out', out], {
      encoding: 'utf8',
    });
    expect(stdout).toContain(out);
    expect(readFileSync(out, 'utf8')).toBe(html);
  });
});

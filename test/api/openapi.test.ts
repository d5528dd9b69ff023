/**
 * The committed OpenAPI document is what the code generates, and it is a structurally valid
 * OpenAPI 3.1 document covering every route.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateOpenApi, OPENAPI_PATH, openApiYaml } from '../../src/api/openapi.js';

type Operation = {
  parameters?: Array<{ in: string; name: string; required?: boolean; schema?: unknown }>;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
  security?: Array<Record<string, string[]>>;
};
type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
};

const ROUTES = [
  'post /auth/login',
  'post /auth/refresh',
  'post /v1/evaluate',
  'get /v1/jobs/{job_id}',
  'get /v1/baselines/{agent_type}',
  'post /v1/baselines',
  'get /health',
  'get /health/live',
  'get /metrics',
];
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

describe('OpenAPI document', async () => {
  const doc = (await generateOpenApi()) as unknown as Doc;

  it(`matches the committed ${OPENAPI_PATH} (regenerate with \`tars-eval openapi\`)`, () => {
    expect(readFileSync(OPENAPI_PATH, 'utf8')).toBe(openApiYaml(doc as unknown as Record<string, unknown>));
  });

  it('is OpenAPI 3 with info, components and exactly the served routes', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBe('tars-eval');
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(Object.keys(doc.components.securitySchemes)).toContain('bearerAuth');
    const ops = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => HTTP_METHODS.has(m))
        .map((m) => `${m} ${path}`),
    );
    expect(ops.sort()).toEqual([...ROUTES].sort());
  });

  it('every operation declares its path parameters, a success response and known security schemes', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        const where = `${method} ${path}`;
        for (const p of params) {
          expect(
            op.parameters?.some((x) => x.in === 'path' && x.name === p && x.required === true),
            `${where}: path parameter ${p}`,
          ).toBe(true);
        }
        const codes = Object.keys(op.responses);
        expect(
          codes.some((c) => /^2\d\d$/.test(c)),
          `${where}: a 2xx response`,
        ).toBe(true);
        for (const [code, r] of Object.entries(op.responses)) {
          expect(/^[1-5]\d\d$/.test(code), `${where}: status ${code}`).toBe(true);
          expect(typeof r.description, `${where} ${code}: description`).toBe('string');
          // JSON everywhere but the Prometheus exposition (text/plain).
          const type = path === '/metrics' && code === '200' ? 'text/plain' : 'application/json';
          expect(r.content?.[type]?.schema, `${where} ${code}: ${type} schema`).toBeTypeOf('object');
        }
        for (const s of op.security ?? []) {
          for (const name of Object.keys(s)) expect(doc.components.securitySchemes).toHaveProperty(name);
        }
        if (method === 'post')
          expect(op.requestBody?.content['application/json']?.schema, where).toBeTypeOf('object');
      }
    }
  });

  it('protected routes declare bearer auth and their 401/403; errors use the envelope', () => {
    for (const r of ROUTES.filter((x) => x.includes('/v1/'))) {
      const [method, path] = r.split(' ');
      const op = doc.paths[path][method];
      expect(op.security, r).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(op.responses), r).toEqual(expect.arrayContaining(['401', '403']));
      const err = op.responses['401'].content?.['application/json'].schema as { required: string[] };
      expect(err.required).toEqual(['error', 'message']);
    }
  });

  it('has no unresolved $ref and no leftover $id', () => {
    const text = JSON.stringify(doc);
    expect(text).not.toContain('"$id"');
    for (const m of text.matchAll(/"\$ref":"([^"]+)"/g)) {
      const ref = m[1];
      expect(ref.startsWith('#/'), ref).toBe(true);
      let node: unknown = doc;
      for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)?.[part];
      expect(node, ref).toBeDefined();
    }
  });
});

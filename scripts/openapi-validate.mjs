#!/usr/bin/env node
/**
 * Validates docs/api/openapi.yaml (or the given file) as an OpenAPI 3 document with
 * @apidevtools/swagger-parser: the document schema of its OpenAPI version, then every $ref.
 *
 *   node scripts/openapi-validate.mjs [FILE]
 *
 * Exits 0 when valid, 1 listing each problem with where it is (e.g.
 * `paths["/v1/evaluate"].post.responses["202"]: must have required property 'description'`).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { parse } from 'yaml';

export const DEFAULT_OPENAPI_FILE = fileURLToPath(new URL('../docs/api/openapi.yaml', import.meta.url));

/** `/paths/~1v1~1evaluate/post` → `paths["/v1/evaluate"].post` */
export function pointerToPath(pointer) {
  const parts = pointer
    .replace(/^#/, '')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (parts.length === 0) return '(document)';
  return parts
    .map((p, i) => (/^[A-Za-z_$][\w$]*$/.test(p) ? `${i === 0 ? '' : '.'}${p}` : `[${JSON.stringify(p)}]`))
    .join('');
}

/** Parses the text of an OpenAPI file (JSON or YAML); throws naming the file and the position. */
export function parseOpenApiText(text, file = '<input>') {
  let doc;
  try {
    doc = parse(text, { prettyErrors: true });
  } catch (err) {
    throw new Error(`${file} is not valid JSON or YAML: ${err instanceof Error ? err.message : err}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new Error(`${file} does not contain an object at the top level`);
  }
  return doc;
}

/**
 * Validates a parsed document. Returns { valid, problems, operations } where each problem is
 * `{ at, message }` (`at` a readable path into the document).
 */
export async function validateOpenApi(doc) {
  const problems = [];
  const version = doc.openapi;
  if (typeof version !== 'string' || !/^3\.\d+\.\d+$/.test(version)) {
    problems.push({
      at: 'openapi',
      message: `must be an OpenAPI 3 version string such as "3.1.0", got ${JSON.stringify(version ?? null)}${doc.swagger ? ' (this is a Swagger 2 document)' : ''}`,
    });
    return { valid: false, problems, operations: 0 };
  }
  try {
    // swagger-parser dereferences in place; validate a copy.
    await SwaggerParser.validate(structuredClone(doc));
  } catch (err) {
    const details = Array.isArray(err?.details) ? err.details : null;
    if (details && details.length > 0) {
      const seen = new Set();
      for (const d of details) {
        const at = pointerToPath(d.instancePath ?? '');
        // Ajv adds "must match else/then schema" after the real reason; it says nothing new.
        if (d.keyword === 'if') continue;
        const message = d.message ?? String(d);
        const extra =
          d.keyword === 'additionalProperties' && d.params?.additionalProperty
            ? ` (${JSON.stringify(d.params.additionalProperty)})`
            : d.keyword === 'unevaluatedProperties' && d.params?.unevaluatedProperty
              ? ` (${JSON.stringify(d.params.unevaluatedProperty)})`
              : d.keyword === 'enum' && d.params?.allowedValues
                ? ` (${d.params.allowedValues.join(', ')})`
                : '';
        const key = `${at}\u0000${message}${extra}`;
        if (seen.has(key)) continue;
        seen.add(key);
        problems.push({ at, message: `${message}${extra}` });
      }
      if (problems.length === 0) problems.push({ at: '(document)', message: String(err?.message ?? err) });
    } else {
      const message = String(err?.message ?? err);
      const ref = /\$ref pointer "([^"]+)"/.exec(message);
      problems.push({ at: ref ? `$ref ${ref[1]}` : '(document)', message: message.split('\n')[0] });
    }
  }
  let operations = 0;
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']) {
      if (item && typeof item === 'object' && method in item) operations++;
    }
  }
  return { valid: problems.length === 0, problems, operations };
}

async function main(argv) {
  const file = argv[0] ? resolve(argv[0]) : DEFAULT_OPENAPI_FILE;
  let doc;
  try {
    doc = parseOpenApiText(readFileSync(file, 'utf8'), file);
  } catch (err) {
    process.stderr.write(`openapi-validate: ${err instanceof Error ? err.message : err}\n`);
    return 1;
  }
  const { valid, problems, operations } = await validateOpenApi(doc);
  if (!valid) {
    process.stderr.write(`openapi-validate: ${file} is not a valid OpenAPI 3 document:\n`);
    for (const p of problems) process.stderr.write(`  ${p.at}: ${p.message}\n`);
    return 1;
  }
  process.stdout.write(
    `openapi-validate: ${file} is a valid OpenAPI ${doc.openapi} document (${Object.keys(doc.paths ?? {}).length} paths, ${operations} operations)\n`,
  );
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`openapi-validate: ${err instanceof Error ? err.message : err}\n`);
      process.exit(1);
    },
  );
}

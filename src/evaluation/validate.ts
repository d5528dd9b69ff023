/**
 * Validation of wire records against their TypeBox schemas outside Fastify (the library's
 * `evaluate`, the CLI's files): a ValidationError naming the first offending field.
 */
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { ValidationError } from '../errors.js';

/** `/environments/0/id` → `environments[0].id`. */
export function fieldOf(instancePath: string, prefix = ''): string {
  const parts = instancePath.split('/').filter((p) => p !== '');
  let out = prefix;
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

export function assertValid<T>(schema: TSchema, value: unknown, what: string): asserts value is T {
  if (Value.Check(schema, value)) return;
  const errors = [...Value.Errors(schema, value)];
  // The most specific error first: additionalProperties names the unknown key.
  const pick =
    errors.find((e) => e.keyword === 'additionalProperties') ??
    errors.find((e) => e.keyword !== 'boolean' && e.keyword !== 'anyOf') ??
    errors[0];
  const params = pick?.params as { additionalProperties?: string[] } | undefined;
  const extra = pick?.keyword === 'additionalProperties' ? params?.additionalProperties?.[0] : undefined;
  const base = fieldOf(pick?.instancePath ?? '');
  const field = extra !== undefined ? (base === '' ? extra : `${base}.${extra}`) : base;
  const message =
    extra !== undefined
      ? `${what}: unknown field '${field}'`
      : `${what}: ${field || 'value'} ${pick?.message ?? 'is invalid'}`;
  throw new ValidationError(message, { field: field || what });
}

/**
 * The OpenAPI document as code generates it, and its committed form docs/api/openapi.yaml.
 * The file is JSON text (JSON is a subset of YAML 1.2), written with stable key order, so a
 * diff against the committed file is a plain string comparison.
 */
import { loadConfig } from '../config.js';
import { createServer } from './server.js';

export const OPENAPI_PATH = 'docs/api/openapi.yaml';

/** The document of the routes, built without a database (no route is served). */
export async function generateOpenApi(): Promise<Record<string, unknown>> {
  // A fixed secret: the document must not depend on the environment it is generated in.
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'openapi-generation-only' });
  const app = await createServer(config, { database: null, redis: null, logger: false });
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
  }
}

export function openApiYaml(doc: Record<string, unknown>): string {
  return `# Generated from the route schemas by \`tars-eval openapi\`; do not edit by hand.\n${JSON.stringify(doc, null, 2)}\n`;
}

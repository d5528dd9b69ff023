/**
 * The OpenAPI 3.1 document, generated from the route schemas by @fastify/swagger; served as
 * /openapi.json and browsable with Swagger UI at /docs. `tars-eval openapi` writes the same
 * document to docs/api/openapi.yaml.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { packageVersion } from '../../version.js';
import { globalPlugin } from './global.js';

export const openapiPlugin = globalPlugin(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'tars-eval',
        description:
          'T.A.R.S. Evaluation Engine: evaluates reinforcement-learning agents, detects regressions against ' +
          'ranked baselines, and scores them with Nash equilibria. Errors are `{ error, message, details?, ' +
          'trace_id? }`; `details.field` names the offending input.',
        version: packageVersion(),
      },
      tags: [
        { name: 'auth', description: 'tokens' },
        { name: 'evaluation', description: 'jobs' },
        { name: 'baselines', description: 'reference performance' },
        { name: 'operations', description: 'health' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
});

import type { FastifyPluginAsync } from 'fastify';

/**
 * Marks a plugin as applying to the instance that registers it rather than to a child
 * context (Fastify's `skip-override` symbol, what fastify-plugin sets): the error handler,
 * the auth decorators and the rate limiter must reach every route.
 */
export function globalPlugin<T extends Record<string, unknown>>(
  plugin: FastifyPluginAsync<T>,
): FastifyPluginAsync<T> {
  Object.defineProperty(plugin, Symbol.for('skip-override'), { value: true });
  return plugin;
}

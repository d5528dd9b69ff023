/** `tars-eval serve`: the HTTP API with its queue (embedded workers unless REDIS_URL is set). */
import type { Command } from 'commander';
import { startService } from '../../api/service.js';
import { loadConfig } from '../../config.js';
import { ValidationError } from '../../errors.js';
import { processLoggerFor } from '../../observability/logger.js';
import { initTracing, shutdownTracing, tracingSettingsFrom } from '../../observability/tracing.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'start the HTTP API (PORT, default 8099) and the job queue; Ctrl-C or SIGTERM stops it gracefully',
    )
    .option('--port <n>', 'port to listen on (overrides PORT)')
    .option('--host <addr>', 'address to bind (overrides HOST, default 127.0.0.1)')
    .action(async (opts: { port?: string; host?: string }) => {
      const config = loadConfig();
      if (opts.port !== undefined) {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new ValidationError(`--port must be an integer in [0, 65535], got '${opts.port}'`, {
            field: '--port',
          });
        }
        config.port = port;
      }
      if (opts.host !== undefined) config.host = opts.host;
      // Tracing first: it instruments HTTP and Fastify, which the service then uses.
      await initTracing(tracingSettingsFrom(config));
      const logger = processLoggerFor(config.logLevel);
      const service = await startService(config, { loggerInstance: logger });
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          service.app.log.info(`${signal}: shutting down`);
          service
            .close()
            .catch((err: unknown) => service.app.log.error({ err }, 'shutdown failed'))
            // Spans still in the batch leave before the process does.
            .then(() => shutdownTracing())
            .catch((err: unknown) => logger.warn({ err }, 'trace export at shutdown failed'))
            .then(resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}

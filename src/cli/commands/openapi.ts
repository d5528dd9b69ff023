/** `tars-eval openapi [--out FILE] [--check]`: write (or check) the OpenAPI document. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { generateOpenApi, OPENAPI_PATH, openApiYaml } from '../../api/openapi.js';
import { ValidationError } from '../../errors.js';

export function registerOpenapi(program: Command): void {
  program
    .command('openapi')
    .description('write the OpenAPI 3 document generated from the route schemas')
    .option('--out <file>', 'where to write it', OPENAPI_PATH)
    .option('--check', 'fail (exit 2) when the file differs from what the code generates')
    .action(async (opts: { out: string; check?: boolean }) => {
      const text = openApiYaml(await generateOpenApi());
      if (opts.check) {
        let current = '';
        try {
          current = readFileSync(opts.out, 'utf8');
        } catch {
          // a missing file differs
        }
        if (current !== text) {
          throw new ValidationError(
            `${opts.out} is out of date; run \`tars-eval openapi --out ${opts.out}\``,
            {
              field: 'out',
            },
          );
        }
        process.stdout.write(`${opts.out} is up to date\n`);
        return;
      }
      mkdirSync(dirname(opts.out), { recursive: true });
      writeFileSync(opts.out, text);
      process.stdout.write(`wrote ${opts.out}\n`);
    });
}

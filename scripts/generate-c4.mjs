#!/usr/bin/env node
/**
 * `make generate-c4`: renders the C4 diagrams of docs/architecture/*.md to SVG files in
 * docs/architecture/rendered/ (git-ignored; the Markdown is the source). Same renderer and
 * exit codes as scripts/render-diagrams.mjs.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = fileURLToPath(new URL('../docs/architecture/rendered', import.meta.url));
const run = spawnSync(
  process.execPath,
  [fileURLToPath(new URL('./render-diagrams.mjs', import.meta.url)), '--out', out, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
process.exit(run.status ?? 2);

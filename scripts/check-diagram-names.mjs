#!/usr/bin/env node
/**
 * Checks that every code name in the Mermaid diagrams of docs/architecture (see the
 * convention in docs/architecture/README.md) exists in src/: exported symbols and their
 * members, routes, files, tables, metrics, environment variables, commands, literals.
 *
 *   node scripts/check-diagram-names.mjs [FILE.md ...]
 *
 * Exits 1 listing each unknown name with its file and line.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDiagramNames, markdownFilesIn } from './lib/mermaid-docs.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const files =
  args.length > 0 ? args.map((f) => resolve(f)) : markdownFilesIn(join(root, 'docs', 'architecture'));
const { names, problems } = checkDiagramNames(root, files);
if (problems.length > 0) {
  process.stderr.write(`check-diagram-names: ${problems.length} name(s) not found in src/:\n`);
  for (const p of problems)
    process.stderr.write(`  ${p.file}:${p.line} (block ${p.block}) \`${p.name}\`: ${p.reason}\n`);
  process.exit(1);
}
process.stdout.write(
  `check-diagram-names: ${names} code names in ${files.length} file(s) all exist in src/\n`,
);

#!/usr/bin/env node
/**
 * Renders every ```mermaid block of the given Markdown files (default: docs/architecture/*.md)
 * to SVG with @mermaid-js/mermaid-cli in Debian's Chromium, so that a syntax error fails.
 *
 *   node scripts/render-diagrams.mjs [--out DIR] [FILE.md ...]
 *
 * Without --out the SVGs go to a temporary directory that is removed afterwards (a check);
 * with it, each block is written as DIR/<file>-<n>.svg (`make generate-c4` uses
 * docs/architecture/rendered). Exits 1 naming the file, block and line of every diagram that
 * does not render, 2 when the browser cannot start.
 *
 * The browser is PUPPETEER_EXECUTABLE_PATH or /usr/bin/chromium, headless, with --no-sandbox
 * (CI runs as root, where Chromium's sandbox refuses to start).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractMermaidBlocks, markdownFilesIn } from './lib/mermaid-docs.mjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

export function chromiumPath() {
  return process.env.PUPPETEER_EXECUTABLE_PATH ?? '/usr/bin/chromium';
}

/**
 * Renders the blocks of `files` into `outDir`; returns { rendered, failures } where each
 * failure names its file, block index, fence line and the parser's message.
 */
export async function renderDiagrams(files, outDir, { log = () => {} } = {}) {
  const [{ default: puppeteer }, { renderMermaid }] = await Promise.all([
    import('puppeteer'),
    import('@mermaid-js/mermaid-cli'),
  ]);
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const rendered = [];
  const failures = [];
  // mermaid-cli forwards the page's console to console.warn; keep it out of the report.
  const warn = console.warn;
  console.warn = () => {};
  try {
    for (const file of files) {
      const rel = relative(ROOT, resolve(file));
      const shown = rel === '' || rel.startsWith('..') ? resolve(file) : rel;
      const blocks = extractMermaidBlocks(readFileSync(file, 'utf8'), shown);
      for (const block of blocks) {
        const where = `${shown} block ${block.index} (line ${block.line})`;
        try {
          const { data } = await renderMermaid(browser, block.source, 'svg', {
            svgId: `${basename(file, '.md')}-${block.index}`,
          });
          const out = join(outDir, `${basename(file, '.md')}-${block.index}.svg`);
          writeFileSync(out, data);
          rendered.push({ where, out });
          log(`ok   ${where} -> ${relative(ROOT, out) || out}`);
        } catch (err) {
          const message = String(err instanceof Error ? err.message : err)
            .split('\n')
            .filter((l) => !/^\s+at |^Parser\.|^Error: Evaluation failed/.test(l))
            .slice(0, 6)
            .join('\n');
          failures.push({ file: shown, block: block.index, line: block.line, message });
          log(`FAIL ${where}: ${message}`);
        }
      }
    }
  } finally {
    console.warn = warn;
    await browser.close();
  }
  return { rendered, failures };
}

async function main(argv) {
  let out = null;
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') {
      out = argv[++i];
      if (out === undefined) throw new Error('--out needs a directory');
    } else if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write('usage: node scripts/render-diagrams.mjs [--out DIR] [FILE.md ...]\n');
      return 0;
    } else {
      files.push(argv[i]);
    }
  }
  if (files.length === 0) files.push(...markdownFilesIn(join(ROOT, 'docs', 'architecture')));
  for (const f of files) {
    if (!existsSync(f)) {
      process.stderr.write(`render-diagrams: no such file ${f}\n`);
      return 1;
    }
  }
  if (!existsSync(chromiumPath())) {
    process.stderr.write(
      `render-diagrams: no browser at ${chromiumPath()} (install Debian's chromium or set PUPPETEER_EXECUTABLE_PATH)\n`,
    );
    return 2;
  }
  const temp = out === null ? mkdtempSync(join(tmpdir(), 'tars-diagrams-')) : null;
  const dir = out ?? temp;
  mkdirSync(dir, { recursive: true });
  try {
    const { rendered, failures } = await renderDiagrams(files, dir, {
      log: (line) => process.stdout.write(`${line}\n`),
    });
    if (failures.length > 0) {
      process.stderr.write(`render-diagrams: ${failures.length} diagram(s) failed to render:\n`);
      for (const f of failures) {
        process.stderr.write(`  ${f.file} block ${f.block} (line ${f.line}): ${f.message.split('\n')[0]}\n`);
      }
      return 1;
    }
    process.stdout.write(
      `render-diagrams: ${rendered.length} diagram(s) from ${files.length} file(s) rendered${out ? ` into ${out}` : ''}\n`,
    );
    return 0;
  } finally {
    if (temp !== null) rmSync(temp, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`render-diagrams: ${err instanceof Error ? err.message : err}\n`);
      process.exit(2);
    },
  );
}

/** A plain-text table printer for benchmark results (right-aligns numeric-looking cells). */

export type Cell = string | number;

/** Cells right-aligned: numbers with an optional unit suffix, and the dash of a missing figure. */
const NUMERIC = /^(?:[-+]?[\d.,]+(?:[eE][-+]?\d+)?\s*[kM%×x?]?|—)$/;

/** Formats `rows` under `headers` as an aligned text table (one string, lines joined by \n). */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  const widths = headers.map((h, j) => Math.max(h.length, ...text.map((r) => (r[j] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, j) => (NUMERIC.test(c) ? c.padStart(widths[j]) : c.padEnd(widths[j])))
      .join('  ')
      .trimEnd();
  const out = [line(headers), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of text) out.push(line(headers.map((_, j) => r[j] ?? '')));
  return out.join('\n');
}

/** Prints a table to stdout. */
export function printTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): void {
  process.stdout.write(`${formatTable(headers, rows)}\n`);
}

/** Compact human form of a number: 1234567 → "1.23M", 4321 → "4.32k", 0.5 → "0.5". */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (a >= 100) return x.toFixed(0);
  if (a >= 1) return x.toFixed(2);
  if (a === 0) return '0';
  return x.toPrecision(2);
}

/** Reading values out of a Prometheus text exposition, for the metric tests. */

/** A series key with its labels sorted by name, whatever order the exposition wrote them in. */
export function seriesKey(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}="${v}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

/** Every sample line of an exposition, keyed by `seriesKey`. */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    const head = line.slice(0, cut);
    const value = line.slice(cut + 1);
    const brace = head.indexOf('{');
    const name = brace < 0 ? head : head.slice(0, brace);
    const labels: Record<string, string> = {};
    if (brace >= 0) {
      for (const m of head.slice(brace).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = m[2];
    }
    out.set(seriesKey(name, labels), value === '+Inf' ? Number.POSITIVE_INFINITY : Number(value));
  }
  return out;
}

/** The value of one series, or undefined when the exposition has no such sample. */
export function sample(
  samples: Map<string, number>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples.get(seriesKey(name, labels));
}

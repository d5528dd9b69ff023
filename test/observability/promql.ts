/**
 * Just enough PromQL reading for the dashboard checks: the metric names an expression reads,
 * the label names its selectors match on, and Grafana's variables replaced by values a plain
 * Prometheus query accepts.
 */

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
  'atan2',
]);

/** Removes string literals (double, single and raw backtick quotes), so that regexes and label values are not read as names. */
function withoutStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
}

/** The metric names `expr` reads (identifiers that are not functions, keywords or labels). */
export function metricNames(expr: string): string[] {
  const s = withoutStrings(expr)
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const start = m.index ?? 0;
    // part of a number or duration (1e3, 5m) or a variable ($x)
    if (start > 0 && /[0-9.$]/.test(s[start - 1])) continue;
    if (
      s
        .slice(start + m[0].length)
        .trimStart()
        .startsWith('(')
    )
      continue;
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Each `metric{...}` selector of `expr` with the label names it matches on. */
export function selectors(expr: string): { metric: string; labels: string[]; body: string }[] {
  const out: { metric: string; labels: string[]; body: string }[] = [];
  for (const m of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}/g)) {
    const body = m[2];
    const labels = [...withoutStrings(body).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map(
      (l) => l[1],
    );
    out.push({ metric: m[1], labels, body });
  }
  return out;
}

/**
 * Grafana's variables in `expr` (`$name`, `${name}`, `${name:format}`, `[[name]]`); `$1` is a
 * label_replace group reference, which Grafana leaves alone as no variable is named so.
 */
export function variablesIn(expr: string): string[] {
  return [...expr.matchAll(/\$\{([a-zA-Z_]\w*)(?::\w+)?\}|\$([a-zA-Z_]\w*)|\[\[([a-zA-Z_]\w*)\]\]/g)].map(
    (m) => m[1] ?? m[2] ?? m[3],
  );
}

/** `expr` with every variable replaced from `values`; an unknown variable throws, naming it. */
export function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(
    /\$\{([a-zA-Z_]\w*)(?::\w+)?\}|\$([a-zA-Z_]\w*)|\[\[([a-zA-Z_]\w*)\]\]/g,
    (_all, a, b, c) => {
      const name = a ?? b ?? c;
      const v = values[name];
      if (v === undefined) throw new Error(`no value for variable $${name} in ${expr}`);
      return v;
    },
  );
}

/** A Grafana `label_values(selector, label)` variable query as a PromQL query for the same values. */
export function labelValuesQuery(definition: string): { query: string; label: string } {
  const m = /^\s*label_values\(\s*(.+)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/.exec(definition);
  if (m === null) throw new Error(`not a label_values(selector, label) query: ${definition}`);
  return { query: `group by (${m[2]}) (${m[1]})`, label: m[2] };
}

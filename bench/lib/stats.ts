/**
 * Small helpers for benchmark numbers: the median of repeated runs (robust to one slow run
 * caused by a GC pause or a neighbour process) and throughput from CPU time.
 */

/** Median of the values (mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs `fn` `runs` times and returns the median of its results. */
export function medianOf(runs: number, fn: () => number): { median: number; samples: number[] } {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(fn());
  return { median: median(samples), samples };
}

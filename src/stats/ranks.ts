/**
 * Joint ranking of two samples, the common first step of the Mann–Whitney U test and of
 * rliable's probability of improvement.
 */
import type { Sample } from './internal.js';

/** The rank statistics of x within the pooled sample x ∪ y. */
export interface RankSummary {
  /** U of the first sample: #{(i, j): x_i > y_j} + ½ #{(i, j): x_i = y_j}. */
  u1: number;
  /** Σ (t³ − t) over groups of t tied values in the pooled sample (0 without ties). */
  tieTerm: number;
  /** Whether any value occurs more than once in the pooled sample. */
  hasTies: boolean;
}

/**
 * Ranks the pooled sample with average ranks for ties (scipy.stats.rankdata 'average'),
 * sums the ranks R1 of x and returns U1 = R1 − n1(n1+1)/2 (Mann & Whitney 1947) with the
 * tie term of the variance correction. Inputs must be NaN-free (±Infinity rank normally).
 */
export function rankSummary(x: Sample, y: Sample): RankSummary {
  const n1 = x.length;
  const n = n1 + y.length;
  const values = new Float64Array(n);
  for (let i = 0; i < n1; i++) values[i] = x[i];
  for (let j = 0; j < y.length; j++) values[n1 + j] = y[j];
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Compare, not subtract: Infinity − Infinity would be NaN.
  order.sort((a, b) => (values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : 0));

  let r1 = 0;
  let tieTerm = 0;
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && values[order[end]] === values[order[start]]) end++;
    const t = end - start;
    const averageRank = (start + 1 + end) / 2; // ranks start+1 … end, 1-based
    for (let k = start; k < end; k++) if (order[k] < n1) r1 += averageRank;
    if (t > 1) tieTerm += t * t * t - t;
    start = end;
  }
  return { u1: r1 - (n1 * (n1 + 1)) / 2, tieTerm, hasTies: tieTerm > 0 };
}

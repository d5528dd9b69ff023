/**
 * Holm's step-down multiple-testing correction (Holm 1979, "A simple sequentially
 * rejective multiple test procedure"), as statsmodels' multipletests(method='holm'): it
 * controls the family-wise error rate across, e.g., one regression test per environment,
 * and is uniformly more powerful than plain Bonferroni.
 */
import { ValidationError } from '../errors.js';
import type { Sample } from './internal.js';

/** Result of `holmBonferroni`, in the order of the input p-values. */
export interface HolmResult {
  /** Holm-adjusted p-values: monotone in the raw p-values, ≥ them, capped at 1. */
  adjusted: number[];
  /** Whether each hypothesis is rejected at family-wise level alpha. */
  rejected: boolean[];
}

/**
 * Holm–Bonferroni correction of m p-values. With p₍₁₎ ≤ … ≤ p₍ₘ₎ sorted, the adjusted
 * values are max_{j ≤ i} min(1, (m − j + 1) p₍ⱼ₎) and hypotheses (1) … (k−1) are rejected,
 * where k is the first index with p₍ₖ₎ > alpha/(m − k + 1) (the comparison statsmodels
 * makes, so the boundary case rounds the same way). The result does not depend on the
 * order of the input.
 *
 * Degenerate inputs: no p-values → empty arrays; a p-value outside [0, 1] or NaN, or
 * alpha outside (0, 1) → ValidationError naming it.
 */
export function holmBonferroni(pValues: Sample, alpha = 0.05): HolmResult {
  if (!(alpha > 0 && alpha < 1)) {
    throw new ValidationError(`alpha must be in (0, 1), got ${alpha}`, { field: 'alpha' });
  }
  const m = pValues.length;
  for (let i = 0; i < m; i++) {
    const p = pValues[i];
    if (!(p >= 0 && p <= 1)) {
      throw new ValidationError(`pValues[${i}] must be a probability in [0, 1], got ${p}`, {
        field: 'pValues',
        index: i,
      });
    }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => pValues[a] - pValues[b]);
  const adjusted = new Array<number>(m);
  const rejected = new Array<boolean>(m);
  let running = 0;
  let stillRejecting = true;
  for (let rank = 0; rank < m; rank++) {
    const i = order[rank];
    const p = pValues[i];
    const remaining = m - rank; // m − j + 1 with j = rank + 1
    running = Math.max(running, p * remaining);
    adjusted[i] = Math.min(1, running);
    // The thresholds alpha/m, alpha/(m−1), … increase, so equal p-values always share
    // their fate and the result does not depend on how ties are ordered.
    if (stillRejecting && p > alpha / remaining) stillRejecting = false;
    rejected[i] = stillRejecting;
  }
  return { adjusted, rejected };
}

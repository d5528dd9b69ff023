/** Shared helpers for the game-solver tests: seeded random games and equilibrium checks. */
import type { Generator } from '../../src/rng/index.js';

/** A rows × cols matrix with entries uniform on [lo, hi). */
export function randomMatrix(rng: Generator, rows: number, cols: number, lo = -1, hi = 1): number[][] {
  const m: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const row: number[] = [];
    for (let j = 0; j < cols; j++) row.push(rng.uniform(lo, hi));
    m.push(row);
  }
  return m;
}

/** Throws (via the returned message) unless p is a probability vector to `tol`. */
export function probabilityError(p: readonly number[]): number {
  let worst = 0;
  let sum = 0;
  for (const v of p) {
    if (!Number.isFinite(v)) return Number.POSITIVE_INFINITY;
    worst = Math.max(worst, -v);
    sum += v;
  }
  return Math.max(worst, Math.abs(sum - 1));
}

export function negate(a: readonly (readonly number[])[]): number[][] {
  return a.map((row) => row.map((v) => -v));
}

/** Shannon entropy in nats. */
export function entropy(p: readonly number[]): number {
  let h = 0;
  for (const v of p) if (v > 0) h -= v * Math.log(v);
  return h;
}

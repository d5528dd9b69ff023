/**
 * All Nash equilibria of a nondegenerate bimatrix game by support enumeration (von Stengel,
 * "Equilibrium computation for two-player games in strategic and extensive form", ch. 3 of
 * Nisan, Roughgarden, Tardos, Vazirani (eds.) 2007, "Algorithmic Game Theory").
 *
 * In a nondegenerate game every equilibrium has supports I (rows) and J (columns) of equal
 * size k. For each such pair, the column strategy y on J must make every row of I
 * indifferent and the row strategy x on I every column of J:
 *
 *   Σ_{j∈J} A[i][j] y_j = u  (i ∈ I),  Σ y_j = 1;     Σ_{i∈I} B[i][j] x_i = v  (j ∈ J),  Σ x_i = 1,
 *
 * two (k+1)×(k+1) linear systems. The candidate is an equilibrium when x, y ≥ 0 and no
 * pure strategy outside the supports does better (u and v are the best-response payoffs).
 * The number of support pairs is C(m+n, m) − 1, so the method is for small games.
 *
 * Degenerate games can have equilibria with unequal supports or continua of equilibria;
 * those are not all found, but everything returned is still an equilibrium.
 */
import { ValidationError } from '../errors.js';
import type { BimatrixEquilibrium } from './lemke-howson.js';
import { checkSameShape, luSolveInPlace, type Matrix, matrixRange } from './linear-algebra.js';

export interface SupportEnumerationOptions {
  /** Refuse games with more support pairs than this, C(m+n, m) − 1. Default 2,000,000. */
  maxSupportPairs?: number;
  /** Tolerance (relative to the payoff range) for non-negativity and best responses. Default 1e-9. */
  tolerance?: number;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/** Calls `visit` with every k-subset of 0..n−1, in lexicographic order (the array is reused). */
function forEachSubset(n: number, k: number, visit: (s: Int32Array) => void): void {
  const s = new Int32Array(k);
  for (let i = 0; i < k; i++) s[i] = i;
  for (;;) {
    visit(s);
    let i = k - 1;
    while (i >= 0 && s[i] === n - k + i) i--;
    if (i < 0) return;
    s[i] += 1;
    for (let j = i + 1; j < k; j++) s[j] = s[j - 1] + 1;
  }
}

/**
 * Solves Σ_{c} M[support_r][c'] z_c = w (r < k), Σ z = 1 for (z, w), where the payoff seen
 * by "indifferent" strategy r against "mixing" strategy c is pay(r, c). Returns z followed
 * by w in `out`, or null if singular.
 */
function solveIndifference(
  k: number,
  pay: (r: number, c: number) => number,
  sys: Float64Array,
  rhs: Float64Array,
): Float64Array | null {
  const n = k + 1;
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < k; c++) sys[r * n + c] = pay(r, c);
    sys[r * n + k] = -1;
    rhs[r] = 0;
  }
  for (let c = 0; c < k; c++) sys[k * n + c] = 1;
  sys[k * n + k] = 0;
  rhs[k] = 1;
  return luSolveInPlace(sys, rhs, n, 1e-12);
}

/** Every Nash equilibrium of the nondegenerate bimatrix game (A, B). */
export function supportEnumeration(
  a: Matrix,
  b: Matrix,
  options: SupportEnumerationOptions = {},
): BimatrixEquilibrium[] {
  checkSameShape(a, b, 'A', 'B');
  const m = a.length;
  const n = a[0].length;
  const limit = options.maxSupportPairs ?? 2_000_000;
  const pairs = binomial(m + n, m) - 1;
  if (pairs > limit) {
    throw new ValidationError(
      `supportEnumeration: a ${m}×${n} game has ${pairs} support pairs (limit ${limit}); use lemkeHowson`,
      { field: 'A' },
    );
  }
  const ra = matrixRange(a);
  const rb = matrixRange(b);
  const tolA = (options.tolerance ?? 1e-9) * Math.max(1, ra.max - ra.min);
  const tolB = (options.tolerance ?? 1e-9) * Math.max(1, rb.max - rb.min);
  const tolP = options.tolerance ?? 1e-9;

  const found: BimatrixEquilibrium[] = [];
  const kMax = Math.min(m, n);
  const sys = new Float64Array((kMax + 1) * (kMax + 1));
  const rhs = new Float64Array(kMax + 1);
  const x = new Float64Array(m);
  const y = new Float64Array(n);

  for (let k = 1; k <= kMax; k++) {
    forEachSubset(m, k, (rowsI) => {
      forEachSubset(n, k, (colsJ) => {
        // y on J making the rows of I indifferent (value u to the row player).
        const ySol = solveIndifference(k, (r, c) => a[rowsI[r]][colsJ[c]], sys, rhs);
        if (ySol === null) return;
        for (let c = 0; c < k; c++) if (ySol[c] < -tolP) return;
        const u = ySol[k];
        y.fill(0);
        for (let c = 0; c < k; c++) y[colsJ[c]] = Math.max(0, ySol[c]);
        // x on I making the columns of J indifferent (value v to the column player).
        const xSol = solveIndifference(k, (r, c) => b[rowsI[c]][colsJ[r]], sys, rhs);
        if (xSol === null) return;
        for (let c = 0; c < k; c++) if (xSol[c] < -tolP) return;
        const v = xSol[k];
        x.fill(0);
        for (let c = 0; c < k; c++) x[rowsI[c]] = Math.max(0, xSol[c]);
        // Best responses: no row beats u against y, no column beats v against x.
        for (let i = 0; i < m; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += a[i][j] * y[j];
          if (s > u + tolA) return;
        }
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let i = 0; i < m; i++) s += b[i][j] * x[i];
          if (s > v + tolB) return;
        }
        const row = Array.from(x);
        const col = Array.from(y);
        // A degenerate game can reach one equilibrium from several support pairs.
        const duplicate = found.some(
          (e) =>
            e.row.every((p, i) => Math.abs(p - row[i]) <= 1e-9) &&
            e.col.every((q, j) => Math.abs(q - col[j]) <= 1e-9),
        );
        if (!duplicate) found.push({ row, col });
      });
    });
  }
  return found;
}

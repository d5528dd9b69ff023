/**
 * The Lemke–Howson algorithm (Lemke & Howson 1964, "Equilibrium points of bimatrix games")
 * for one Nash equilibrium of a bimatrix game (A for the row player, B for the column
 * player), in the tableau form of von Stengel (2002), "Computing equilibria for two-person
 * games", Handbook of Game Theory vol. 3, ch. 45.
 *
 * After shifting both payoff matrices to be positive (which changes no equilibrium), the
 * best-response polytopes are
 *
 *   P = {x ≥ 0 : Bᵀx ≤ 1},   Q = {y ≥ 0 : A y ≤ 1},
 *
 * with slacks s = 1 − Bᵀx and r = 1 − A y. Label i ∈ [0, m) belongs to x_i and r_i, label
 * m + j to s_j and y_j; a variable at zero "has" its label. A pair (x, y) ≠ (0, 0) carrying
 * every label is an equilibrium once normalised. Starting from (0, 0), the missing label k
 * is dropped by letting its nonbasic variable enter; each pivot makes some variable leave
 * its tableau, and the variable with the same label in the other tableau enters next
 * (complementary pivoting), until the variable that leaves has label k.
 *
 * The minimum-ratio test is lexicographic over (b, B⁻¹) rows (the degenerate-game rule of
 * the same chapter), which keeps the path well defined and finite in degenerate games.
 */
import { ValidationError } from '../errors.js';
import { checkSameShape, type Matrix, matrixRange, normalizeProbabilities } from './linear-algebra.js';

export interface LemkeHowsonOptions {
  /** The label dropped first: 0..m−1 for a row strategy, m..m+n−1 for a column strategy. Default 0. */
  initialLabel?: number;
  /** Pivot limit (the path can be exponentially long in the worst case). Default 100000. */
  maxPivots?: number;
}

export interface BimatrixEquilibrium {
  /** The row player's mixed strategy. */
  row: number[];
  /** The column player's mixed strategy. */
  col: number[];
}

/** Relative threshold below which a tableau entry counts as zero. */
const EPS = 1e-12;

/**
 * A tableau for the system M z + w = 1, z, w ≥ 0, over `rows` equations. Columns
 * 0..structural−1 are z, the next `rows` columns are the slacks w (whose initial identity
 * block holds B⁻¹ throughout, as the lexicographic rule needs), and the last column is the
 * right-hand side.
 */
class Tableau {
  readonly width: number;
  readonly t: Float64Array;
  /** basis[r] = column index of the variable basic in row r. */
  readonly basis: Int32Array;

  constructor(
    readonly rows: number,
    readonly structural: number,
    coef: (r: number, c: number) => number,
  ) {
    this.width = structural + rows + 1;
    this.t = new Float64Array(rows * this.width);
    this.basis = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < structural; c++) this.t[r * this.width + c] = coef(r, c);
      this.t[r * this.width + structural + r] = 1;
      this.t[r * this.width + this.width - 1] = 1;
      this.basis[r] = structural + r;
    }
  }

  /**
   * Pivots column `col` into the basis, choosing the leaving row by the lexicographic
   * minimum ratio test; returns the column that left. Throws if the column is unbounded
   * (impossible for positive payoffs, where both polytopes are bounded).
   */
  pivotIn(col: number): number {
    const { rows, width, t } = this;
    let best = -1;
    for (let r = 0; r < rows; r++) {
      const a = t[r * width + col];
      if (a <= EPS) continue;
      if (best < 0 || this.lexLess(r, best, col)) best = r;
    }
    if (best < 0) throw new Error('lemkeHowson: unbounded pivot column (payoffs not positive?)');
    const prow = best * width;
    const inv = 1 / t[prow + col];
    for (let c = 0; c < width; c++) t[prow + c] *= inv;
    t[prow + col] = 1;
    for (let r = 0; r < rows; r++) {
      if (r === best) continue;
      const f = t[r * width + col];
      if (f === 0) continue;
      const rr = r * width;
      for (let c = 0; c < width; c++) t[rr + c] -= f * t[prow + c];
      t[rr + col] = 0;
    }
    const left = this.basis[best];
    this.basis[best] = col;
    return left;
  }

  /** Is row r's ratio vector (b_r, B⁻¹_r·)/a_r lexicographically smaller than row s's? */
  private lexLess(r: number, s: number, col: number): boolean {
    const { width, t, structural, rows } = this;
    const ar = t[r * width + col];
    const as = t[s * width + col];
    // Compare the right-hand side first, then the slack (B⁻¹) columns in order.
    for (let k = -1; k < rows; k++) {
      const c = k < 0 ? width - 1 : structural + k;
      const x = t[r * width + c] / ar;
      const y = t[s * width + c] / as;
      const tol = 1e-11 * Math.max(1, Math.abs(x), Math.abs(y));
      if (x < y - tol) return true;
      if (x > y + tol) return false;
    }
    return false;
  }

  /** The value of column `col` in the current basic solution (0 when nonbasic). */
  value(col: number): number {
    for (let r = 0; r < this.rows; r++)
      if (this.basis[r] === col) return this.t[r * this.width + this.width - 1];
    return 0;
  }
}

/** One Nash equilibrium of the bimatrix game (A, B) by Lemke–Howson from `initialLabel`. */
export function lemkeHowson(a: Matrix, b: Matrix, options: LemkeHowsonOptions = {}): BimatrixEquilibrium {
  checkSameShape(a, b, 'A', 'B');
  const m = a.length;
  const n = a[0].length;
  const k = options.initialLabel ?? 0;
  if (!Number.isInteger(k) || k < 0 || k >= m + n) {
    throw new ValidationError(`initialLabel must be an integer in [0, ${m + n - 1}]`, {
      field: 'initialLabel',
    });
  }
  const maxPivots = options.maxPivots ?? 100_000;
  // Shift each matrix so that its smallest entry is 1 (von Stengel 2002: positive payoffs
  // make P and Q bounded polytopes); equilibria are unchanged by adding a constant.
  const ra = matrixRange(a);
  const rb = matrixRange(b);
  const shiftA = 1 - ra.min;
  const shiftB = 1 - rb.min;
  // Tableau P: Bᵀx + s = 1 (rows = n columns of the game); z = x (labels 0..m−1), w = s (labels m..m+n−1).
  const tp = new Tableau(n, m, (j, i) => b[i][j] + shiftB);
  // Tableau Q: A y + r = 1 (rows = m); z = y (labels m..m+n−1), w = r (labels 0..m−1).
  const tq = new Tableau(m, n, (i, j) => a[i][j] + shiftA);

  // Columns of P are (x_0..x_{m−1}, s_0..s_{n−1}): a column's index is its label.
  // Columns of Q are (y_0..y_{n−1}, r_0..r_{m−1}): y_j has label m + j, r_i has label i.
  const labelInQ = (col: number): number => (col < n ? m + col : col - n);
  const colInQ = (label: number): number => (label < m ? n + label : label - m);

  // Drop label k: its nonbasic variable at (0, 0) is x_k (in P) or y_{k−m} (in Q).
  let inP = k < m;
  let entering = inP ? k : colInQ(k);
  for (let pivots = 0; ; pivots++) {
    if (pivots >= maxPivots) throw new Error(`lemkeHowson: no equilibrium within ${maxPivots} pivots`);
    const left = inP ? tp.pivotIn(entering) : tq.pivotIn(entering);
    const label = inP ? left : labelInQ(left);
    if (label === k) break;
    // The complementary variable (same label) enters in the other tableau.
    inP = !inP;
    entering = inP ? label : colInQ(label);
  }

  const x = new Array<number>(m);
  for (let i = 0; i < m; i++) x[i] = tp.value(i);
  const y = new Array<number>(n);
  for (let j = 0; j < n; j++) y[j] = tq.value(j);
  return { row: normalizeProbabilities(x), col: normalizeProbabilities(y) };
}

/**
 * Small dense linear algebra for the game solvers: matrix validation, LU solves with
 * partial pivoting, and probability-vector helpers. Matrices are row-major `number[][]`
 * at the API and `Float64Array` (row-major, explicit stride) inside the solvers.
 */
import { ValidationError } from '../errors.js';

/** A dense matrix, `A[i][j]` = entry in row i, column j. */
export type Matrix = readonly (readonly number[])[];

/** Throws unless `a` is a non-empty rectangular matrix of finite numbers; returns its shape. */
export function checkMatrix(a: Matrix, field: string): { rows: number; cols: number } {
  if (!Array.isArray(a) || a.length === 0) {
    throw new ValidationError(`${field} must be a non-empty matrix`, { field });
  }
  const cols = a[0]?.length ?? 0;
  if (cols === 0) throw new ValidationError(`${field} must have at least one column`, { field });
  for (let i = 0; i < a.length; i++) {
    const row = a[i];
    if (!Array.isArray(row) || row.length !== cols) {
      throw new ValidationError(
        `${field} must be rectangular: row ${i} has ${row?.length} entries, not ${cols}`,
        {
          field,
        },
      );
    }
    for (let j = 0; j < cols; j++) {
      if (!Number.isFinite(row[j])) {
        throw new ValidationError(`${field}[${i}][${j}] is not a finite number`, { field });
      }
    }
  }
  return { rows: a.length, cols };
}

/** Throws unless `b` has the same shape as `a`. */
export function checkSameShape(a: Matrix, b: Matrix, fieldA: string, fieldB: string): void {
  const sa = checkMatrix(a, fieldA);
  const sb = checkMatrix(b, fieldB);
  if (sa.rows !== sb.rows || sa.cols !== sb.cols) {
    throw new ValidationError(
      `${fieldA} is ${sa.rows}x${sa.cols} but ${fieldB} is ${sb.rows}x${sb.cols}; a bimatrix game needs equal shapes`,
      { field: fieldB },
    );
  }
}

/** Throws unless `p` is a probability vector of length n (entries ≥ 0 summing to 1, within `tol`). */
export function checkProbabilityVector(p: readonly number[], n: number, field: string, tol = 1e-9): void {
  if (!Array.isArray(p) || p.length !== n) {
    throw new ValidationError(`${field} must have ${n} entries`, { field });
  }
  let sum = 0;
  for (const v of p) {
    if (!Number.isFinite(v) || v < -tol) {
      throw new ValidationError(`${field} must be non-negative and finite`, { field });
    }
    sum += v;
  }
  if (Math.abs(sum - 1) > tol * Math.max(1, n)) {
    throw new ValidationError(`${field} must sum to 1 (sums to ${sum})`, { field });
  }
}

/** Smallest and largest entry of a matrix. */
export function matrixRange(a: Matrix): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const row of a) {
    for (const v of row) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return { min, max };
}

/** The transpose of a matrix, as a new `number[][]`. */
export function transpose(a: Matrix): number[][] {
  const rows = a.length;
  const cols = a[0].length;
  const t: number[][] = [];
  for (let j = 0; j < cols; j++) {
    const row = new Array<number>(rows);
    for (let i = 0; i < rows; i++) row[i] = a[i][j];
    t.push(row);
  }
  return t;
}

/**
 * Solves the square system M x = b (M is n×n, row-major with stride n) by Gaussian
 * elimination with partial pivoting. `m` and `b` are overwritten. Returns the solution in
 * `b`'s storage, or null when a pivot falls below `singularTol` × the largest entry of M
 * (the matrix is singular to working precision).
 */
export function luSolveInPlace(
  m: Float64Array,
  b: Float64Array,
  n: number,
  singularTol = 1e-13,
): Float64Array | null {
  let scale = 0;
  for (let k = 0; k < n * n; k++) {
    const v = Math.abs(m[k]);
    if (v > scale) scale = v;
  }
  if (scale === 0) return n === 0 ? b : null;
  const threshold = singularTol * scale;
  for (let col = 0; col < n; col++) {
    let pivotRow = col;
    let best = Math.abs(m[col * n + col]);
    for (let r = col + 1; r < n; r++) {
      const v = Math.abs(m[r * n + col]);
      if (v > best) {
        best = v;
        pivotRow = r;
      }
    }
    if (best <= threshold) return null;
    if (pivotRow !== col) {
      for (let k = 0; k < n; k++) {
        const t = m[col * n + k];
        m[col * n + k] = m[pivotRow * n + k];
        m[pivotRow * n + k] = t;
      }
      const t = b[col];
      b[col] = b[pivotRow];
      b[pivotRow] = t;
    }
    const pivot = m[col * n + col];
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col] / pivot;
      if (f === 0) continue;
      m[r * n + col] = 0;
      for (let k = col + 1; k < n; k++) m[r * n + k] -= f * m[col * n + k];
      b[r] -= f * b[col];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < n; k++) s -= m[r * n + k] * b[k];
    b[r] = s / m[r * n + r];
  }
  return b;
}

/** Clamps tiny negative entries to 0 and rescales to sum 1 (round-off cleanup of a mixed strategy). */
export function normalizeProbabilities(p: ArrayLike<number>): number[] {
  const out = new Array<number>(p.length);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const v = Math.max(p[i], 0);
    out[i] = v;
    sum += v;
  }
  if (sum <= 0) throw new RangeError('normalizeProbabilities: no positive mass');
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** (A y)_i for every row i. */
export function matVec(a: Matrix, y: readonly number[]): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) {
    const row = a[i];
    let s = 0;
    for (let j = 0; j < row.length; j++) s += row[j] * y[j];
    out[i] = s;
  }
  return out;
}

/** (xᵀ A)_j for every column j. */
export function vecMat(x: readonly number[], a: Matrix): number[] {
  const cols = a[0].length;
  const out = new Array<number>(cols).fill(0);
  for (let i = 0; i < a.length; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    const row = a[i];
    for (let j = 0; j < cols; j++) out[j] += xi * row[j];
  }
  return out;
}

/** xᵀ A y. */
export function bilinear(x: readonly number[], a: Matrix, y: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    if (x[i] === 0) continue;
    const row = a[i];
    let t = 0;
    for (let j = 0; j < row.length; j++) t += row[j] * y[j];
    s += x[i] * t;
  }
  return s;
}

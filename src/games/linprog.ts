/**
 * A dense two-phase simplex solver for small and medium linear programs (a few hundred
 * rows and columns: the size of the meta-games solved here).
 *
 * The problem is stated as SciPy's `scipy.optimize.linprog` states it:
 *
 *   minimise cᵀx  subject to  A_ub x ≤ b_ub,  A_eq x = b_eq,  lo ≤ x ≤ hi
 *
 * with bounds defaulting to [0, +∞), so that SciPy can serve as an independent oracle.
 *
 * Method (Dantzig's simplex on a dense tableau, as in Chvátal, "Linear Programming", 1983):
 * 1. Standard form: every variable becomes non-negative (shift by a finite lower bound,
 *    mirror an only-upper-bounded one, split a free one into x⁺ − x⁻); a finite upper
 *    bound becomes a row; each inequality gets a slack; each row is scaled by its largest
 *    coefficient (equilibration) and negated where its right-hand side is negative.
 * 2. Phase 1 minimises the sum of artificial variables on rows without a usable slack;
 *    a positive optimum proves infeasibility. Artificials left basic at level 0 are pivoted
 *    out, or their row is redundant and stays inert.
 * 3. Phase 2 minimises the real objective. Entering column: most negative reduced cost
 *    (Dantzig), with Harris's two-pass ratio test (Harris 1973, "Pivot selection methods of
 *    the Devex LP code") choosing the largest pivot among near-ties. After a run of
 *    degenerate pivots the solver switches to Bland's rule (Bland 1977, "New finite pivoting
 *    rules for the simplex method": smallest eligible index entering and leaving), which
 *    cannot cycle, and returns to Dantzig after the next non-degenerate pivot.
 * 4. Polishing: the optimal basis is re-solved from the original data with an LU
 *    factorisation (B x_B = b and Bᵀy = c_B), which removes round-off accumulated in the
 *    tableau and yields the duals.
 *
 * Duals are reported as SciPy's `marginals`: the derivative of the optimal objective with
 * respect to each right-hand side (≤ 0 for `A_ub` rows of a minimisation).
 */
import { ValidationError } from '../errors.js';
import { luSolveInPlace, type Matrix } from './linear-algebra.js';

/** A variable's bounds [lo, hi]; `null` (or ±Infinity) means unbounded on that side. */
export type Bound = readonly [number | null, number | null];

export interface LinearProgram {
  /** Objective coefficients, one per variable. */
  c: readonly number[];
  /** Inequality rows, A_ub x ≤ b_ub. */
  aUb?: Matrix;
  bUb?: readonly number[];
  /** Equality rows, A_eq x = b_eq. */
  aEq?: Matrix;
  bEq?: readonly number[];
  /** One bound for every variable, or a list with one per variable. Default [0, null]. */
  bounds?: Bound | readonly Bound[];
}

export interface LinprogOptions {
  /** Maximise cᵀx instead of minimising it. */
  maximize?: boolean;
  /** Optimality and feasibility tolerance on the scaled problem. Default 1e-9. */
  tolerance?: number;
  /** Pivot limit over both phases. Default 50 × (rows + columns) + 1000. */
  maxIterations?: number;
  /**
   * 'dantzig' (default): largest reduced cost, falling back to Bland's rule during long
   * degenerate runs. 'bland': Bland's rule throughout (slower, never cycles).
   */
  pivotRule?: 'dantzig' | 'bland';
}

export type LinprogStatus = 'optimal' | 'infeasible' | 'unbounded' | 'iteration_limit';

export interface LinprogResult {
  status: LinprogStatus;
  /** The optimal point (empty unless `status` is 'optimal'). */
  x: number[];
  /** cᵀx at the optimum; ∓Infinity when unbounded; NaN when infeasible or stopped. */
  objective: number;
  /** ∂objective/∂b_ub for each inequality row (empty unless optimal). */
  ineqMarginals: number[];
  /** ∂objective/∂b_eq for each equality row (empty unless optimal). */
  eqMarginals: number[];
  /** Simplex pivots performed over both phases. */
  iterations: number;
}

/** Runs of degenerate pivots longer than this switch the pivoting rule to Bland's. */
const DEGENERATE_RUN_BEFORE_BLAND = 20;

interface VariableMap {
  offset: number;
  plus: number;
  minus: number;
}

function readBound(bounds: LinearProgram['bounds'], k: number, n: number): [number, number] {
  let b: Bound | undefined;
  if (bounds === undefined) b = [0, null];
  else if (bounds.length === 2 && !Array.isArray(bounds[0])) b = bounds as Bound;
  else {
    const list = bounds as readonly Bound[];
    if (list.length !== n) {
      throw new ValidationError(`bounds: ${list.length} bounds for ${n} variables`, { field: 'bounds' });
    }
    b = list[k];
  }
  const lo = b[0] === null ? Number.NEGATIVE_INFINITY : b[0];
  const hi = b[1] === null ? Number.POSITIVE_INFINITY : b[1];
  if (
    Number.isNaN(lo) ||
    Number.isNaN(hi) ||
    lo === Number.POSITIVE_INFINITY ||
    hi === Number.NEGATIVE_INFINITY
  ) {
    throw new ValidationError(`bounds[${k}] is not a valid interval`, { field: 'bounds' });
  }
  if (lo > hi)
    throw new ValidationError(`bounds[${k}]: lower bound ${lo} exceeds upper bound ${hi}`, {
      field: 'bounds',
    });
  return [lo, hi];
}

function checkRows(a: Matrix | undefined, b: readonly number[] | undefined, n: number, name: string): number {
  const rows = a?.length ?? 0;
  if ((b?.length ?? 0) !== rows) {
    throw new ValidationError(`${name}: ${rows} rows but ${b?.length ?? 0} right-hand sides`, {
      field: name,
    });
  }
  for (let i = 0; i < rows; i++) {
    const row = (a as Matrix)[i];
    if (row.length !== n) {
      throw new ValidationError(`${name}: row ${i} has ${row.length} entries, expected ${n}`, {
        field: name,
      });
    }
    for (const v of row) {
      if (!Number.isFinite(v)) throw new ValidationError(`${name}: non-finite coefficient`, { field: name });
    }
    if (!Number.isFinite((b as readonly number[])[i])) {
      throw new ValidationError(`${name}: non-finite right-hand side`, { field: name });
    }
  }
  return rows;
}

/** Solves a linear program; see the module comment for the method and conventions. */
export function linprog(problem: LinearProgram, options: LinprogOptions = {}): LinprogResult {
  const n = problem.c.length;
  if (n === 0) throw new ValidationError('linprog: c must have at least one entry', { field: 'c' });
  for (const v of problem.c) {
    if (!Number.isFinite(v))
      throw new ValidationError('linprog: non-finite objective coefficient', { field: 'c' });
  }
  const mUb = checkRows(problem.aUb, problem.bUb, n, 'aUb');
  const mEq = checkRows(problem.aEq, problem.bEq, n, 'aEq');
  const tol = options.tolerance ?? 1e-9;
  const sense = options.maximize ? -1 : 1;

  // 1. Standard form: x_k = offset_k + z[plus_k] − z[minus_k], z ≥ 0.
  const vars: VariableMap[] = [];
  const upperRows: Array<{ col: number; width: number }> = [];
  let nz = 0;
  for (let k = 0; k < n; k++) {
    const [lo, hi] = readBound(problem.bounds, k, n);
    if (Number.isFinite(lo)) {
      vars.push({ offset: lo, plus: nz, minus: -1 });
      if (Number.isFinite(hi)) upperRows.push({ col: nz, width: hi - lo });
      nz += 1;
    } else if (Number.isFinite(hi)) {
      vars.push({ offset: hi, plus: -1, minus: nz });
      nz += 1;
    } else {
      vars.push({ offset: 0, plus: nz, minus: nz + 1 });
      nz += 2;
    }
  }
  const mB = upperRows.length;
  const rows = mUb + mEq + mB;
  const nSlack = mUb + mB;

  // Original (unscaled) standard-form rows over z, and right-hand sides.
  const base = new Float64Array(rows * nz);
  const rhs = new Float64Array(rows);
  const fillRow = (r: number, coef: readonly number[], b: number): void => {
    let shift = 0;
    for (let k = 0; k < n; k++) {
      const a = coef[k];
      if (a === 0) continue;
      const v = vars[k];
      if (v.plus >= 0) base[r * nz + v.plus] += a;
      if (v.minus >= 0) base[r * nz + v.minus] -= a;
      shift += a * v.offset;
    }
    rhs[r] = b - shift;
  };
  for (let i = 0; i < mUb; i++) fillRow(i, (problem.aUb as Matrix)[i], (problem.bUb as readonly number[])[i]);
  for (let i = 0; i < mEq; i++)
    fillRow(mUb + i, (problem.aEq as Matrix)[i], (problem.bEq as readonly number[])[i]);
  for (let i = 0; i < mB; i++) {
    base[(mUb + mEq + i) * nz + upperRows[i].col] = 1;
    rhs[mUb + mEq + i] = upperRows[i].width;
  }

  // Row equilibration and sign: scaled row = rowFactor × original row, with rhs ≥ 0.
  const rowFactor = new Float64Array(rows);
  const slackOf = new Int32Array(rows).fill(-1);
  for (let r = 0; r < rows; r++) {
    let big = 0;
    for (let j = 0; j < nz; j++) big = Math.max(big, Math.abs(base[r * nz + j]));
    const s = big > 0 ? 1 / big : 1;
    rowFactor[r] = rhs[r] * s < 0 ? -s : s;
    if (r < mUb) slackOf[r] = nz + r;
    else if (r >= mUb + mEq) slackOf[r] = nz + mUb + (r - mUb - mEq);
  }

  // Columns: z (nz), slacks (nSlack), then one artificial per row that needs one.
  const needsArtificial: number[] = [];
  for (let r = 0; r < rows; r++) if (slackOf[r] < 0 || rowFactor[r] < 0) needsArtificial.push(r);
  const nArt = needsArtificial.length;
  const cols = nz + nSlack + nArt;
  const width = cols + 1;
  const artStart = nz + nSlack;

  // Original scaled system [M | r] kept for polishing; T is the working tableau.
  const m0 = new Float64Array(rows * cols);
  const r0 = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const f = rowFactor[r];
    for (let j = 0; j < nz; j++) m0[r * cols + j] = f * base[r * nz + j];
    // The slack variable is rescaled so that its coefficient is ±1 (sign of the row flip).
    if (slackOf[r] >= 0) m0[r * cols + slackOf[r]] = f < 0 ? -1 : 1;
    r0[r] = f * rhs[r];
    if (r0[r] < 0) r0[r] = 0; // −0 or round-off on a zero right-hand side
  }
  const basis = new Int32Array(rows);
  for (let r = 0; r < rows; r++) basis[r] = slackOf[r];
  for (let a = 0; a < nArt; a++) {
    const r = needsArtificial[a];
    m0[r * cols + artStart + a] = 1;
    basis[r] = artStart + a;
  }

  const cost = new Float64Array(cols);
  for (let k = 0; k < n; k++) {
    const c = sense * problem.c[k];
    const v = vars[k];
    if (v.plus >= 0) cost[v.plus] += c;
    if (v.minus >= 0) cost[v.minus] -= c;
  }

  const t = new Float64Array((rows + 1) * width);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) t[r * width + j] = m0[r * cols + j];
    t[r * width + cols] = r0[r];
  }
  const obj = rows * width;
  const maxIterations = options.maxIterations ?? 50 * (rows + cols) + 1000;
  let iterations = 0;

  const pivot = (pr: number, pc: number): void => {
    const prow = pr * width;
    const inv = 1 / t[prow + pc];
    for (let j = 0; j < width; j++) t[prow + j] *= inv;
    t[prow + pc] = 1;
    for (let r = 0; r <= rows; r++) {
      if (r === pr) continue;
      const rr = r * width;
      const f = t[rr + pc];
      if (f === 0) continue;
      for (let j = 0; j < width; j++) t[rr + j] -= f * t[prow + j];
      t[rr + pc] = 0;
    }
    // Harris's test may leave a right-hand side a hair below zero; it is round-off.
    for (let r = 0; r < rows; r++) if (t[r * width + cols] < 0) t[r * width + cols] = 0;
    basis[pr] = pc;
  };

  /** Simplex iterations on the current objective row over columns [0, colLimit). */
  const runSimplex = (colLimit: number): 'optimal' | 'unbounded' | 'iteration_limit' => {
    const alwaysBland = options.pivotRule === 'bland';
    let bland = alwaysBland;
    let degenerateRun = 0;
    for (;;) {
      if (iterations >= maxIterations) return 'iteration_limit';
      let pc = -1;
      let best = -tol;
      for (let j = 0; j < colLimit; j++) {
        const d = t[obj + j];
        if (d < best) {
          pc = j;
          if (bland) break;
          best = d;
        }
      }
      if (pc < 0) return 'optimal';

      let pr = -1;
      if (bland) {
        let theta = Number.POSITIVE_INFINITY;
        for (let r = 0; r < rows; r++) {
          const a = t[r * width + pc];
          if (a <= tol) continue;
          const ratio = t[r * width + cols] / a;
          if (ratio < theta - 1e-12 * (1 + Math.abs(theta)) || pr < 0) {
            theta = ratio;
            pr = r;
          } else if (ratio <= theta + 1e-12 * (1 + Math.abs(theta)) && basis[r] < basis[pr]) {
            pr = r;
          }
        }
      } else {
        let bound = Number.POSITIVE_INFINITY;
        for (let r = 0; r < rows; r++) {
          const a = t[r * width + pc];
          if (a <= tol) continue;
          const ratio = (t[r * width + cols] + tol) / a;
          if (ratio < bound) bound = ratio;
        }
        let bestPivot = 0;
        for (let r = 0; r < rows; r++) {
          const a = t[r * width + pc];
          if (a <= tol) continue;
          if (t[r * width + cols] / a <= bound && a > bestPivot) {
            bestPivot = a;
            pr = r;
          }
        }
      }
      if (pr < 0) return 'unbounded';
      const step = t[pr * width + cols] / t[pr * width + pc];
      pivot(pr, pc);
      iterations += 1;
      if (step <= tol) {
        degenerateRun += 1;
        if (degenerateRun > DEGENERATE_RUN_BEFORE_BLAND) bland = true;
      } else {
        degenerateRun = 0;
        bland = alwaysBland;
      }
    }
  };

  const fail = (status: LinprogStatus, objective: number): LinprogResult => ({
    status,
    x: [],
    objective,
    ineqMarginals: [],
    eqMarginals: [],
    iterations,
  });

  // 2. Phase 1: minimise the sum of artificials.
  if (nArt > 0) {
    for (let j = 0; j <= cols; j++) t[obj + j] = 0;
    for (let a = 0; a < nArt; a++) {
      const rr = needsArtificial[a] * width;
      for (let j = 0; j < artStart; j++) t[obj + j] -= t[rr + j];
      t[obj + cols] -= t[rr + cols];
    }
    // Artificials that leave are dropped (never re-enter): if the program is feasible,
    // a zero-infeasibility point remains reachable without them.
    const status = runSimplex(artStart);
    if (status === 'iteration_limit') return fail(status, Number.NaN);
    let rMax = 0;
    for (let r = 0; r < rows; r++) rMax = Math.max(rMax, r0[r]);
    let infeasibility = 0;
    for (let r = 0; r < rows; r++) if (basis[r] >= artStart) infeasibility += t[r * width + cols];
    if (infeasibility > 10 * tol * (1 + rMax)) return fail('infeasible', Number.NaN);
    // Pivot basic artificials (at level ~0) out on the largest structural entry of their row.
    for (let r = 0; r < rows; r++) {
      if (basis[r] < artStart) continue;
      let pc = -1;
      let big = 100 * tol;
      for (let j = 0; j < artStart; j++) {
        const v = Math.abs(t[r * width + j]);
        if (v > big) {
          big = v;
          pc = j;
        }
      }
      if (pc >= 0) {
        t[r * width + cols] = 0;
        pivot(r, pc);
      }
      // Otherwise the row is a combination of others (redundant): its artificial stays
      // basic at 0 and, as artificials never enter in phase 2, the row never binds.
    }
  }

  // 3. Phase 2: reduced costs d_j = c_j − c_Bᵀ B⁻¹ a_j.
  for (let j = 0; j <= cols; j++) t[obj + j] = j < cols ? cost[j] : 0;
  for (let r = 0; r < rows; r++) {
    const cb = cost[basis[r]];
    if (cb === 0) continue;
    const rr = r * width;
    for (let j = 0; j <= cols; j++) t[obj + j] -= cb * t[rr + j];
  }
  const status2 = runSimplex(artStart);
  if (status2 === 'iteration_limit') return fail(status2, Number.NaN);
  if (status2 === 'unbounded') return fail('unbounded', -sense * Number.POSITIVE_INFINITY);

  // 4. Polish: re-solve the optimal basis from the original scaled data.
  const z = new Float64Array(cols);
  const bMat = new Float64Array(rows * rows);
  for (let r = 0; r < rows; r++) for (let k = 0; k < rows; k++) bMat[r * rows + k] = m0[r * cols + basis[k]];
  const bMatT = new Float64Array(rows * rows);
  for (let r = 0; r < rows; r++) for (let k = 0; k < rows; k++) bMatT[k * rows + r] = bMat[r * rows + k];
  const zB = luSolveInPlace(bMat, Float64Array.from(r0), rows);
  let polished = zB !== null;
  if (zB !== null) {
    for (let r = 0; r < rows; r++) {
      const tableauValue = t[r * width + cols];
      if (zB[r] < -1e3 * tol || Math.abs(zB[r] - tableauValue) > 1e-6 * (1 + Math.abs(tableauValue))) {
        polished = false;
        break;
      }
    }
  }
  for (let r = 0; r < rows; r++) {
    const v = polished ? (zB as Float64Array)[r] : t[r * width + cols];
    z[basis[r]] = Math.max(v, 0);
  }
  const cB = new Float64Array(rows);
  for (let r = 0; r < rows; r++) cB[r] = cost[basis[r]];
  let y = luSolveInPlace(bMatT, cB, rows);
  if (y === null) {
    // Fallback: y_r = c_col − d_col for the column that started as row r's unit vector.
    y = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const unitCol =
        slackOf[r] >= 0 && rowFactor[r] > 0 ? slackOf[r] : artStart + needsArtificial.indexOf(r);
      y[r] = cost[unitCol] - t[obj + unitCol];
    }
  }

  const x = new Array<number>(n);
  let objective = 0;
  for (let k = 0; k < n; k++) {
    const v = vars[k];
    x[k] = v.offset + (v.plus >= 0 ? z[v.plus] : 0) - (v.minus >= 0 ? z[v.minus] : 0);
    objective += problem.c[k] * x[k];
  }
  const ineqMarginals = new Array<number>(mUb);
  for (let i = 0; i < mUb; i++) ineqMarginals[i] = sense * y[i] * rowFactor[i];
  const eqMarginals = new Array<number>(mEq);
  for (let i = 0; i < mEq; i++) eqMarginals[i] = sense * y[mUb + i] * rowFactor[mUb + i];
  return { status: 'optimal', x, objective, ineqMarginals, eqMarginals, iterations };
}

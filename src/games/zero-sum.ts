/**
 * Exact solution of a two-player zero-sum matrix game by linear programming.
 *
 * The row player receives A[i][j] and maximises; the column player pays it and minimises.
 * By von Neumann's minimax theorem both have optimal mixed strategies and a common value
 * v = max_x min_j (xᵀA)_j = min_y max_i (A y)_i.
 *
 * LP (the classical reduction, e.g. Dantzig 1951 "A proof of the equivalence of the
 * programming problem and the game problem"; OpenSpiel's lp_solver.solve_zero_sum_matrix_game
 * solves the equivalent maximin program once per player): after an affine map of the payoffs onto [1, 2], which
 * changes neither player's optimal strategies, the column player's program
 *
 *   maximise 1ᵀw  subject to  A w ≤ 1,  w ≥ 0
 *
 * has optimum 1/v with y = v·w, and its dual, minimise 1ᵀu subject to Aᵀu ≥ 1, u ≥ 0,
 * gives x = v·u. The dual is read from the solver's marginals, so one LP yields both.
 */
import { checkMatrix, type Matrix, matrixRange, normalizeProbabilities } from './linear-algebra.js';
import { linprog } from './linprog.js';

export interface ZeroSumSolution {
  /** The game's value to the row player. */
  value: number;
  /** An optimal (maximin) mixed strategy of the row player. */
  rowStrategy: number[];
  /** An optimal (minimax) mixed strategy of the column player. */
  colStrategy: number[];
}

/** Solves the zero-sum game with row-player payoffs A (row maximises). */
export function solveZeroSum(a: Matrix): ZeroSumSolution {
  const { rows, cols } = checkMatrix(a, 'A');
  const { min, max } = matrixRange(a);
  const span = max - min;
  if (span === 0) {
    // Every profile pays the same: every strategy is optimal; return the uniform ones.
    return {
      value: min,
      rowStrategy: new Array(rows).fill(1 / rows),
      colStrategy: new Array(cols).fill(1 / cols),
    };
  }
  // Payoffs mapped onto [1, 2]: positive (the reduction needs v > 0) and of unit scale.
  const shifted = a.map((row) => row.map((v) => 1 + (v - min) / span));
  const res = linprog(
    { c: new Array(cols).fill(1), aUb: shifted, bUb: new Array(rows).fill(1) },
    { maximize: true },
  );
  if (res.status !== 'optimal') {
    // Cannot happen for a positive matrix (w = 0 is feasible and Σw ≤ 1/min entry).
    throw new Error(`solveZeroSum: the game LP ended with status ${res.status}`);
  }
  const total = res.objective;
  const shiftedValue = 1 / total;
  return {
    value: min + (shiftedValue - 1) * span,
    rowStrategy: normalizeProbabilities(res.ineqMarginals),
    colStrategy: normalizeProbabilities(res.x),
  };
}

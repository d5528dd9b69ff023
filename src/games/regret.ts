/**
 * Equilibrium checks shared by the solvers and their callers: how much each player of a
 * bimatrix game (A for the row player, B for the column player) could gain by deviating
 * from a mixed profile (x, y) to a pure best response. A profile is a Nash equilibrium
 * exactly when both regrets are 0 (Nash 1951); their sum is the "NashConv" of Lanctot et
 * al. 2017 (OpenSpiel's exploitability measure, for two players).
 */
import { bilinear, checkMatrix, type Matrix, matVec, vecMat } from './linear-algebra.js';

export interface Regrets {
  /** max_i (A y)_i − xᵀ A y ≥ 0: the row player's gain from the best pure deviation. */
  row: number;
  /** max_j (xᵀ B)_j − xᵀ B y ≥ 0: the column player's gain from the best pure deviation. */
  col: number;
}

/** Both players' regrets at the profile (x, y) of the bimatrix game (A, B). */
export function regrets(a: Matrix, b: Matrix, x: readonly number[], y: readonly number[]): Regrets {
  checkMatrix(a, 'A');
  checkMatrix(b, 'B');
  const ay = matVec(a, y);
  const xb = vecMat(x, b);
  const rowPayoff = bilinear(x, a, y);
  const colPayoff = bilinear(x, b, y);
  return {
    row: Math.max(0, Math.max(...ay) - rowPayoff),
    col: Math.max(0, Math.max(...xb) - colPayoff),
  };
}

/**
 * Zero-sum guarantees of a strategy pair in the game A (row maximises, column minimises):
 * `rowGuarantee` = min_j (xᵀA)_j is what x secures whatever the column does, and
 * `colGuarantee` = max_i (A y)_i is the most y can lose. x and y are optimal exactly when
 * the two are equal (von Neumann's minimax theorem); their difference is the duality gap.
 */
export function zeroSumGuarantees(
  a: Matrix,
  x: readonly number[],
  y: readonly number[],
): { rowGuarantee: number; colGuarantee: number } {
  return { rowGuarantee: Math.min(...vecMat(x, a)), colGuarantee: Math.max(...matVec(a, y)) };
}

/**
 * The maximum-entropy Nash equilibrium of a zero-sum game, and Nash averaging
 * (Balduzzi, Tuyls, Perolat, Graepel 2018, "Re-evaluating evaluation", NeurIPS).
 *
 * In a zero-sum game the equilibria form a product of two polytopes, the players' optimal
 * strategy sets P* = {x ∈ Δ : Aᵀx ≥ v·1} and Q* = {y ∈ Δ : A y ≤ v·1}. Entropy is strictly
 * concave, so each polytope has exactly one entropy maximiser; the pair is the unique
 * maxent Nash equilibrium that Nash averaging evaluates against. Because it spreads mass
 * evenly over interchangeable strategies, a duplicated agent or task splits its mass with
 * its copy and leaves every Nash-averaged score unchanged (the paper's invariance axiom).
 *
 * Method, for the row player (the column player is the row player of −Aᵀ):
 * 1. The value v and one optimal pair (x⁰, y⁰) by LP (`solveZeroSum`).
 * 2. The face of P*: R = rows played by some optimal strategy, E = columns paid exactly v by
 *    every optimal strategy. By Goldman–Tucker strict complementarity (Goldman & Tucker 1956,
 *    "Theory of linear programming"), E is the set of columns the column player can use, and
 *    a row is outside R exactly when some optimal y leaves it strictly below v. Rows decided
 *    by (x⁰, y⁰) are settled at once; the undecided ones by LPs that maximise their mass
 *    over P*.
 * 3. On that face, max H(x) s.t. (Aᵀx)_j = v (j ∈ E), (Aᵀx)_j ≥ v (j ∉ E), x ∈ Δ_R has the
 *    concave dual  min_λ log Σ_{i∈R} exp((Bλ)_i),  B = A_R − v,  λ_j ≥ 0 for j ∉ E,
 *    whose minimiser gives x = softmax(Bλ) (the Gibbs form of maximum-entropy solutions,
 *    Jaynes 1957). Restricting to the face makes the dual minimum attained (a relative-
 *    interior point exists by step 2), so Bertsekas's projected Newton method (Bertsekas
 *    1982, "Projected Newton methods for optimization problems with simple constraints"),
 *    with Levenberg–Marquardt damping for redundant equalities, converges to it.
 */
import { ValidationError } from '../errors.js';
import { checkMatrix, luSolveInPlace, type Matrix, matrixRange, transpose } from './linear-algebra.js';
import { linprog } from './linprog.js';
import { solveZeroSum, type ZeroSumSolution } from './zero-sum.js';

export interface MaxEntropyNashOptions {
  /** Target residual of the face constraints, in payoff-range units. Default 1e-12. */
  tolerance?: number;
  /** Newton iteration cap per player. Default 500. */
  maxIterations?: number;
}

/** Probability below which an LP vertex coordinate counts as zero (payoffs scaled to [0, 1]). */
const SUPPORT_TOL = 1e-9;

/**
 * Rows of the "row-player" game M (maximising, value v) that some optimal strategy plays.
 * `own` is one optimal strategy of this player, `other` one of the opponent.
 */
function essentialRows(
  m: number[][],
  v: number,
  own: readonly number[],
  other: readonly number[],
): boolean[] {
  const rows = m.length;
  const cols = m[0].length;
  const inSet = own.map((p) => p > SUPPORT_TOL);
  const undecided: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (inSet[i]) continue;
    let payoff = 0;
    for (let j = 0; j < cols; j++) payoff += m[i][j] * other[j];
    // Strictly below v against an optimal opponent: never in an optimal support.
    if (payoff >= v - SUPPORT_TOL) undecided.push(i);
  }
  while (undecided.length > 0) {
    // max Σ_{k} t_k  s.t. t_k ≤ x_{undecided[k]}, 0 ≤ t_k ≤ 1/|U|, x ∈ P*: the cap spreads
    // mass over as many undecided rows as the optimal set allows.
    const u = undecided.length;
    const nVar = rows + u;
    const aUb: number[][] = [];
    const bUb: number[] = [];
    for (let j = 0; j < cols; j++) {
      const row = new Array<number>(nVar).fill(0);
      for (let i = 0; i < rows; i++) row[i] = -m[i][j];
      aUb.push(row);
      bUb.push(-v);
    }
    for (let k = 0; k < u; k++) {
      const row = new Array<number>(nVar).fill(0);
      row[rows + k] = 1;
      row[undecided[k]] = -1;
      aUb.push(row);
      bUb.push(0);
    }
    const sumRow = new Array<number>(nVar).fill(0);
    for (let i = 0; i < rows; i++) sumRow[i] = 1;
    const c = new Array<number>(nVar).fill(0);
    for (let k = 0; k < u; k++) c[rows + k] = 1;
    const bounds: Array<[number, number | null]> = [];
    for (let i = 0; i < rows; i++) bounds.push([0, null]);
    for (let k = 0; k < u; k++) bounds.push([0, 1 / u]);
    let res = linprog({ c, aUb, bUb, aEq: [sumRow], bEq: [1], bounds }, { maximize: true });
    // v comes from an LP and may exceed the exact value by round-off; relax it slightly.
    for (let relax = 1e-12; res.status === 'infeasible' && relax <= 1e-9; relax *= 100) {
      const relaxed = bUb.map((b, k) => (k < cols ? b + relax : b));
      res = linprog({ c, aUb, bUb: relaxed, aEq: [sumRow], bEq: [1], bounds }, { maximize: true });
    }
    if (res.status !== 'optimal' || res.objective <= SUPPORT_TOL) break;
    const still: number[] = [];
    for (const i of undecided) {
      if (res.x[i] > SUPPORT_TOL) inSet[i] = true;
      else still.push(i);
    }
    if (still.length === undecided.length) break;
    undecided.length = 0;
    undecided.push(...still);
  }
  return inSet;
}

/**
 * The entropy maximiser over {x ∈ Δ_support : (Mᵀx)_j = v for j ∈ equality, ≥ v otherwise},
 * by projected Newton on the dual (see the module comment, step 3).
 */
function maxEntropyOnFace(
  m: number[][],
  v: number,
  support: readonly boolean[],
  equality: readonly boolean[],
  tol: number,
  maxIterations: number,
): number[] {
  const rows = m.length;
  const n = m[0].length;
  const idx: number[] = [];
  for (let i = 0; i < rows; i++) if (support[i]) idx.push(i);
  const k = idx.length;
  const out = new Array<number>(rows).fill(0);
  if (k === 1) {
    out[idx[0]] = 1;
    return out;
  }
  const b = new Float64Array(k * n);
  for (let r = 0; r < k; r++) for (let j = 0; j < n; j++) b[r * n + j] = m[idx[r]][j] - v;

  const lambda = new Float64Array(n);
  const trial = new Float64Array(n);
  const z = new Float64Array(k);
  const p = new Float64Array(k);
  const g = new Float64Array(n);
  const d = new Float64Array(n);

  /** log Σ exp(Bλ) at `lam`, leaving softmax(Bλ) in p and the gradient Bᵀp in g. */
  const evaluate = (lam: Float64Array): number => {
    let zMax = Number.NEGATIVE_INFINITY;
    for (let r = 0; r < k; r++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += b[r * n + j] * lam[j];
      z[r] = s;
      if (s > zMax) zMax = s;
    }
    let sum = 0;
    for (let r = 0; r < k; r++) {
      p[r] = Math.exp(z[r] - zMax);
      sum += p[r];
    }
    for (let r = 0; r < k; r++) p[r] /= sum;
    g.fill(0);
    for (let r = 0; r < k; r++) {
      const pr = p[r];
      for (let j = 0; j < n; j++) g[j] += pr * b[r * n + j];
    }
    return zMax + Math.log(sum);
  };
  /** Projected-gradient residual: |g_j| for equalities, |min(λ_j, g_j)| for inequalities. */
  const residual = (): number => {
    let worst = 0;
    for (let j = 0; j < n; j++) {
      const r = equality[j] ? Math.abs(g[j]) : Math.abs(Math.min(lambda[j], g[j]));
      if (r > worst) worst = r;
    }
    return worst;
  };

  let f = evaluate(lambda);
  const free: number[] = [];
  const h = new Float64Array(n * n);
  const rhs = new Float64Array(n);
  let bestResidual = Number.POSITIVE_INFINITY;
  let lastImprovement = 0;
  for (let it = 0; it < maxIterations; it++) {
    const res = residual();
    if (res <= tol) break;
    // Stop when round-off stalls progress (no 10% gain in 50 iterations).
    if (res < 0.9 * bestResidual) {
      bestResidual = res;
      lastImprovement = it;
    } else if (it - lastImprovement > 50) {
      break;
    }
    // ε-active bounds (Bertsekas 1982): at (or within ε of) zero with a positive gradient.
    const eps = Math.min(1e-6, res);
    free.length = 0;
    for (let j = 0; j < n; j++) {
      if (!equality[j] && lambda[j] <= eps && g[j] > 0) d[j] = -g[j];
      else free.push(j);
    }
    // Newton step on the free block: Hessian = Bᵀ(diag p − p pᵀ)B, damped by μ ∝ residual.
    const nf = free.length;
    if (nf > 0) {
      h.fill(0, 0, nf * nf);
      for (let r = 0; r < k; r++) {
        const pr = p[r];
        const rowOff = r * n;
        for (let a = 0; a < nf; a++) {
          const wa = pr * b[rowOff + free[a]];
          if (wa === 0) continue;
          for (let c = a; c < nf; c++) h[a * nf + c] += wa * b[rowOff + free[c]];
        }
      }
      const mu = 1e-14 + Math.min(res, 1);
      for (let a = 0; a < nf; a++) {
        for (let c = a; c < nf; c++) {
          const val = h[a * nf + c] - g[free[a]] * g[free[c]];
          h[a * nf + c] = val;
          h[c * nf + a] = val;
        }
        h[a * nf + a] += mu;
      }
      for (let a = 0; a < nf; a++) rhs[a] = -g[free[a]];
      const step = luSolveInPlace(h.subarray(0, nf * nf), rhs.subarray(0, nf), nf, 1e-300);
      for (let a = 0; a < nf; a++) d[free[a]] = step === null ? -g[free[a]] : step[a];
    }
    // Armijo backtracking along the projection arc λ(t) = P[λ + t d].
    let t = 1;
    let accepted = false;
    for (let ls = 0; ls < 60; ls++) {
      let expected = 0;
      for (let j = 0; j < n; j++) {
        let next = lambda[j] + t * d[j];
        if (!equality[j] && next < 0) next = 0;
        trial[j] = next;
        expected += g[j] * (next - lambda[j]);
      }
      const fTrial = evaluate(trial);
      if (fTrial <= f + 1e-4 * expected + 1e-15 * Math.max(1, Math.abs(f))) {
        lambda.set(trial);
        f = fTrial;
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) break;
  }
  evaluate(lambda);
  for (let r = 0; r < k; r++) out[idx[r]] = p[r];
  return out;
}

/**
 * The maximum-entropy Nash equilibrium of the zero-sum game A (row player maximises):
 * each player's strategy is the entropy maximiser of their optimal set.
 */
export function maxEntropyNash(a: Matrix, options: MaxEntropyNashOptions = {}): ZeroSumSolution {
  const { rows, cols } = checkMatrix(a, 'A');
  const { min, max } = matrixRange(a);
  const span = max - min;
  if (span === 0) {
    return {
      value: min,
      rowStrategy: new Array(rows).fill(1 / rows),
      colStrategy: new Array(cols).fill(1 / cols),
    };
  }
  const tol = options.tolerance ?? 1e-12;
  const maxIterations = options.maxIterations ?? 500;
  // Work on payoffs scaled to [0, 1] so that every tolerance is relative to the payoff range.
  const scaled = a.map((row) => row.map((x) => (x - min) / span));
  const base = solveZeroSum(scaled);
  const v = base.value;
  const negT = transpose(scaled).map((row) => row.map((x) => -x));
  const rowSupport = essentialRows(scaled, v, base.rowStrategy, base.colStrategy);
  const colSupport = essentialRows(negT, -v, base.colStrategy, base.rowStrategy);
  const rowStrategy = maxEntropyOnFace(scaled, v, rowSupport, colSupport, tol, maxIterations);
  const colStrategy = maxEntropyOnFace(negT, -v, colSupport, rowSupport, tol, maxIterations);
  return { value: min + v * span, rowStrategy, colStrategy };
}

export interface NashAveragingOptions extends MaxEntropyNashOptions {
  /**
   * Rescale each task's scores to [0, 1] by its min and max over agents before solving
   * (as OpenSpiel's nash_averaging_avt_matrix does). Default true. A task on which every
   * agent scores the same carries no ranking information; it is given the normalised
   * score 1 for all agents (solved by everyone), which no hard-task adversary prefers.
   */
  normalize?: boolean;
}

export interface NashAveragingResult {
  /** The agents' maxent Nash mixture (the row player's). */
  agentStrategy: number[];
  /** The tasks' maxent Nash mixture (the adversarial column player's). */
  taskStrategy: number[];
  /** Nash-averaged skill of each agent: its expected (normalised) score on taskStrategy. */
  agentSkill: number[];
  /** Nash-averaged difficulty of each task: minus its expected score under agentStrategy. */
  taskDifficulty: number[];
  /** The meta-game's value: the skill the agent mixture guarantees on every task mixture. */
  value: number;
  /** The score matrix the game was solved on (normalised unless `normalize` is false). */
  scores: number[][];
}

/**
 * Nash averaging for agent-vs-task evaluation (Balduzzi et al. 2018, section 4 and
 * appendix D): the agents player picks a distribution over agents to maximise the score,
 * the tasks player picks a distribution over tasks to minimise it (tasks are rewarded for
 * being hard), on the per-task normalised score matrix S. Their maxent Nash equilibrium
 * (p*, q*) weights agents and tasks; the skill of agent a is (S q*)_a and the difficulty of
 * task t is −(p*ᵀ S)_t. This is the paper's antisymmetric meta-game [[0, S], [−Sᵀ, 0]]
 * (zero value), whose symmetric maxent equilibrium is the pair (p*, q*).
 */
export function nashAveraging(scores: Matrix, options: NashAveragingOptions = {}): NashAveragingResult {
  const { rows, cols } = checkMatrix(scores, 'scores');
  let s: number[][];
  if (options.normalize === false) {
    s = scores.map((row) => row.slice());
  } else {
    s = Array.from({ length: rows }, () => new Array<number>(cols));
    for (let j = 0; j < cols; j++) {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < rows; i++) {
        lo = Math.min(lo, scores[i][j]);
        hi = Math.max(hi, scores[i][j]);
      }
      for (let i = 0; i < rows; i++) s[i][j] = hi > lo ? (scores[i][j] - lo) / (hi - lo) : 1;
    }
  }
  const eq = maxEntropyNash(s, options);
  const agentSkill = s.map((row) => row.reduce((acc, x, j) => acc + x * eq.colStrategy[j], 0));
  const taskDifficulty = new Array<number>(cols).fill(0);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) taskDifficulty[j] -= eq.rowStrategy[i] * s[i][j];
  return {
    agentStrategy: eq.rowStrategy,
    taskStrategy: eq.colStrategy,
    agentSkill,
    taskDifficulty,
    value: eq.value,
    scores: s,
  };
}

/**
 * Nash averaging for agent-vs-agent evaluation (Balduzzi et al. 2018, section 4): A is the
 * antisymmetric matrix of head-to-head results (A = −Aᵀ, e.g. log-odds or win rate − ½).
 * The maxent Nash p* is symmetric, and the Nash-averaged skill of agent a is (A p*)_a ≤ 0,
 * with 0 exactly for the agents in p*'s support.
 */
export function nashAveragingAvA(
  payoffs: Matrix,
  options: MaxEntropyNashOptions = {},
): { strategy: number[]; skill: number[] } {
  const { rows, cols } = checkMatrix(payoffs, 'payoffs');
  if (rows !== cols)
    throw new ValidationError('payoffs must be square (agents × agents)', { field: 'payoffs' });
  const { min, max } = matrixRange(payoffs);
  const scale = Math.max(Math.abs(min), Math.abs(max), 1e-300);
  for (let i = 0; i < rows; i++) {
    for (let j = i; j < cols; j++) {
      if (Math.abs(payoffs[i][j] + payoffs[j][i]) > 1e-9 * scale) {
        throw new ValidationError(`payoffs must be antisymmetric: A[${i}][${j}] ≠ −A[${j}][${i}]`, {
          field: 'payoffs',
        });
      }
    }
  }
  const eq = maxEntropyNash(payoffs, options);
  const strategy = eq.rowStrategy;
  const skill = payoffs.map((row) => row.reduce((acc, x, j) => acc + x * strategy[j], 0));
  return { strategy, skill };
}

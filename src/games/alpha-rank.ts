/**
 * α-Rank (Omidshafiei, Papadimitriou, Piliouras, Tuyls, Rowland, Lespiau, Czarnecki,
 * Lanctot, Perolat, Munos 2019, "α-Rank: Multi-agent evaluation by evolution", Scientific
 * Reports 9:9937), following the conventions of OpenSpiel's open_spiel/python/egt/alpharank.py.
 *
 * Monomorphic populations evolve under rare mutations: from a pure strategy profile s, one
 * population k is picked and a mutant strategy r_k ≠ s_k tries to take over it. With
 * selection intensity α and population size m, the Fermi-rule fixation probability of a
 * mutant with fitness advantage Δ is
 *
 *   ρ(Δ) = (1 − e^{−αΔ}) / (1 − e^{−mαΔ})      (→ 1/m as Δ → 0).
 *
 * The Markov chain over profiles moves s → r with probability η ρ, where
 * η = 1 / Σ_k (|S_k| − 1), and stays otherwise; α-Rank is its stationary distribution π.
 *
 * - K ≥ 2 populations (one payoff table per population, indexed by the full profile):
 *   Δ = f_k(r) − f_k(s), the deviating population's payoff change.
 * - One population (a symmetric game with payoff matrix A, A[r][s] = payoff of r against s):
 *   with the local selection model (OpenSpiel's default), Δ = A[r][s] − A[s][r]; without it,
 *   the Moran process where fitness depends on the population's composition:
 *   ρ = 1 / (1 + Σ_{l=1}^{m−1} Π_{p=1}^{l} e^{−α (f_r(p) − f_s(m−p))}), with
 *   f_r(p) = ((p−1) A[r][r] + (m−p) A[r][s]) / (m−1) and
 *   f_s(m−p) = ((m−p−1) A[s][s] + p A[s][r]) / (m−1).
 *
 * Numerics: with the default α = 100, m = 50 a disadvantaged mutant fixates with probability
 * ~e^{−4900}, which underflows. Fixation probabilities are therefore computed as logarithms
 * (with expm1), and π is found by the Grassmann–Taksar–Heyman algorithm (Grassmann, Taksar &
 * Heyman 1985, "Regenerative analysis and steady state distributions for Markov chains"), a
 * subtraction-free Gaussian elimination of πᵀ(P − I) = 0 that stays accurate for tiny
 * transition probabilities; when some are below e^{−300} it runs in log space.
 */
import { ValidationError } from '../errors.js';
import type { Matrix } from './linear-algebra.js';

/** A K-dimensional payoff table in row-major order (the last population's strategy varies fastest). */
export interface PayoffTensor {
  shape: readonly number[];
  data: ArrayLike<number>;
}

/** One population's payoff table: a matrix (two populations, or one symmetric population) or a tensor. */
export type PayoffTable = Matrix | PayoffTensor;

export interface AlphaRankOptions {
  /** Selection intensity α ≥ 0. Default 100 (OpenSpiel's default). */
  alpha?: number;
  /** Population size m (integer ≥ 2). Default 50 (OpenSpiel's default). */
  m?: number;
  /** One population only: the local selection model (default true, as OpenSpiel). */
  localSelection?: boolean;
}

export interface AlphaRankEntry {
  /** Strategy of each population in this profile. */
  profile: number[];
  /** Stationary mass of the profile. */
  mass: number;
}

export interface AlphaRankResult {
  /** Stationary distribution over profile ids (OpenSpiel's id order). */
  pi: number[];
  /** profiles[id]: the strategy of each population. */
  profiles: number[][];
  /** Profiles sorted by decreasing mass (ties by id). */
  ranking: AlphaRankEntry[];
  /** The row-stochastic transition matrix C over profiles (C[s][r]: s → r). */
  transitionMatrix: number[][];
  /** Fixation probabilities ρ[s][r] of a mutant r in a population at s (0 where no single mutation links them). */
  fixationProbabilities: number[][];
}

/** log ρ for the Fermi rule at u = αΔ, without overflow for any u (see the module comment). */
export function logFermiFixation(u: number, m: number): number {
  const a = Math.abs(u);
  // OpenSpiel uses the limit 1/m for |u| ≤ 1e-14; the formula below agrees to ~1e-14 there.
  if (a <= 1e-14) return -Math.log(m);
  const core = Math.log(-Math.expm1(-a)) - Math.log(-Math.expm1(-m * a));
  // For u < 0 multiply numerator and denominator by e^{mu}: ρ = e^{−(m−1)|u|} · core.
  return u < 0 ? core - (m - 1) * a : core;
}

/** log ρ of the single-population Moran process without local selection. */
function logMoranFixation(a: Matrix, r: number, s: number, m: number, alpha: number): number {
  // log ρ = −log(1 + Σ_l exp(L_l)), L_l = −α Σ_{p=1}^{l} (f_r(p) − f_s(m − p)).
  const terms = new Float64Array(m);
  terms[0] = 0;
  let acc = 0;
  for (let p = 1; p < m; p++) {
    const fr = ((p - 1) * a[r][r] + (m - p) * a[r][s]) / (m - 1);
    const fs = ((m - p - 1) * a[s][s] + p * a[s][r]) / (m - 1);
    acc -= alpha * (fr - fs);
    terms[p] = acc;
  }
  let mx = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < m; i++) mx = Math.max(mx, terms[i]);
  let sum = 0;
  for (let i = 0; i < m; i++) sum += Math.exp(terms[i] - mx);
  return -(mx + Math.log(sum));
}

function logAddExp(x: number, y: number): number {
  if (x === Number.NEGATIVE_INFINITY) return y;
  if (y === Number.NEGATIVE_INFINITY) return x;
  return x > y ? x + Math.log1p(Math.exp(y - x)) : y + Math.log1p(Math.exp(x - y));
}

/**
 * Stationary distribution of the chain whose off-diagonal log transition probabilities are
 * `logP` (n×n, row-major; −Infinity for no transition), by GTH elimination. `logP` is consumed.
 */
function stationaryGth(logP: Float64Array, n: number): number[] {
  let minFinite = 0;
  for (let k = 0; k < n * n; k++) {
    const v = logP[k];
    if (v !== Number.NEGATIVE_INFINITY && v < minFinite) minFinite = v;
  }
  const pi = new Float64Array(n);
  const s = new Float64Array(n);
  if (minFinite >= -300) {
    const p = new Float64Array(n * n);
    for (let k = 0; k < n * n; k++) p[k] = Math.exp(logP[k]);
    for (let k = n - 1; k >= 1; k--) {
      let total = 0;
      for (let j = 0; j < k; j++) total += p[k * n + j];
      s[k] = total;
      for (let i = 0; i < k; i++) {
        const f = p[i * n + k] / total;
        if (f === 0) continue;
        for (let j = 0; j < k; j++) if (j !== i) p[i * n + j] += f * p[k * n + j];
      }
    }
    pi[0] = 1;
    for (let k = 1; k < n; k++) {
      let acc = 0;
      for (let i = 0; i < k; i++) acc += pi[i] * p[i * n + k];
      pi[k] = acc / s[k];
    }
    let sum = 0;
    for (let k = 0; k < n; k++) sum += pi[k];
    return Array.from(pi, (v) => v / sum);
  }
  // Log-space GTH: the same elimination with products as sums and sums as log-add-exp.
  for (let k = n - 1; k >= 1; k--) {
    let total = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < k; j++) total = logAddExp(total, logP[k * n + j]);
    s[k] = total;
    for (let i = 0; i < k; i++) {
      const f = logP[i * n + k] - total;
      if (f === Number.NEGATIVE_INFINITY) continue;
      for (let j = 0; j < k; j++)
        if (j !== i) logP[i * n + j] = logAddExp(logP[i * n + j], f + logP[k * n + j]);
    }
  }
  pi[0] = 0;
  for (let k = 1; k < n; k++) {
    let acc = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < k; i++) acc = logAddExp(acc, pi[i] + logP[i * n + k]);
    pi[k] = acc - s[k];
  }
  let mx = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < n; k++) mx = Math.max(mx, pi[k]);
  let sum = 0;
  for (let k = 0; k < n; k++) sum += Math.exp(pi[k] - mx);
  return Array.from(pi, (v) => Math.exp(v - mx) / sum);
}

function isTensor(t: PayoffTable): t is PayoffTensor {
  return !Array.isArray(t) && typeof t === 'object' && t !== null && 'shape' in t;
}

/** Flattens a table to row-major data with its shape, validating it. */
function readTable(t: PayoffTable, k: number): { shape: number[]; data: Float64Array } {
  const field = `payoffTables[${k}]`;
  if (isTensor(t)) {
    const shape = Array.from(t.shape);
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new ValidationError(`${field}: shape must be a list of positive integers`, { field });
    }
    const size = shape.reduce((x, y) => x * y, 1);
    if (t.data.length !== size) {
      throw new ValidationError(`${field}: ${t.data.length} entries for shape [${shape.join(', ')}]`, {
        field,
      });
    }
    const data = Float64Array.from(t.data);
    if (data.some((v) => !Number.isFinite(v)))
      throw new ValidationError(`${field}: non-finite payoff`, { field });
    return { shape, data };
  }
  const rows = t.length;
  const cols = rows > 0 ? t[0].length : 0;
  if (rows === 0 || cols === 0 || t.some((r) => r.length !== cols)) {
    throw new ValidationError(`${field} must be a non-empty rectangular matrix`, { field });
  }
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = t[i][j];
      if (!Number.isFinite(v)) throw new ValidationError(`${field}: non-finite payoff`, { field });
      data[i * cols + j] = v;
    }
  }
  return { shape: [rows, cols], data };
}

/**
 * α-Rank of a game. `payoffTables` has one entry for a single-population (symmetric) game
 * — a square matrix — or one table per population, each indexed by the full profile.
 */
export function alphaRank(
  payoffTables: readonly PayoffTable[],
  options: AlphaRankOptions = {},
): AlphaRankResult {
  const alpha = options.alpha ?? 100;
  const m = options.m ?? 50;
  if (!(alpha >= 0) || !Number.isFinite(alpha)) {
    throw new ValidationError('alpha must be a finite non-negative number', { field: 'alpha' });
  }
  if (!Number.isInteger(m) || m < 2) throw new ValidationError('m must be an integer ≥ 2', { field: 'm' });
  if (!Array.isArray(payoffTables) || payoffTables.length === 0) {
    throw new ValidationError('payoffTables must hold at least one payoff table', { field: 'payoffTables' });
  }
  const tables = payoffTables.map((t, k) => readTable(t, k));
  const single = tables.length === 1;
  const shape = single ? [tables[0].shape[0]] : tables[0].shape;
  if (single) {
    const sh = tables[0].shape;
    if (sh.length !== 2 || sh[0] !== sh[1]) {
      throw new ValidationError('a single-population game needs a square payoff matrix', {
        field: 'payoffTables[0]',
      });
    }
  } else {
    for (let k = 0; k < tables.length; k++) {
      const sh = tables[k].shape;
      if (sh.length !== tables.length || sh.some((d, i) => d !== shape[i])) {
        throw new ValidationError(
          `payoffTables[${k}] must have shape [${shape.join(', ')}] with one axis per population (${tables.length})`,
          { field: `payoffTables[${k}]` },
        );
      }
    }
  }

  const pops = shape.length;
  const numProfiles = shape.reduce((x, y) => x * y, 1);
  const profiles: number[][] = [];
  for (let id = 0; id < numProfiles; id++) {
    const prof = new Array<number>(pops);
    let rest = id;
    for (let k = pops - 1; k >= 0; k--) {
      prof[k] = rest % shape[k];
      rest = Math.floor(rest / shape[k]);
    }
    profiles.push(prof);
  }
  // Strides for changing population k's strategy in a profile id.
  const stride = new Array<number>(pops);
  stride[pops - 1] = 1;
  for (let k = pops - 2; k >= 0; k--) stride[k] = stride[k + 1] * shape[k + 1];

  const n = numProfiles;
  const logC = new Float64Array(n * n).fill(Number.NEGATIVE_INFINITY);
  const rho: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const logEta = -Math.log(shape.reduce((acc, d) => acc + d - 1, 0));

  if (n > 1) {
    if (single) {
      const a: number[][] = [];
      const sz = shape[0];
      for (let i = 0; i < sz; i++) a.push(Array.from(tables[0].data.subarray(i * sz, (i + 1) * sz)));
      const local = options.localSelection ?? true;
      for (let s = 0; s < sz; s++) {
        for (let r = 0; r < sz; r++) {
          if (r === s) continue;
          const lr = local
            ? logFermiFixation(alpha * (a[r][s] - a[s][r]), m)
            : logMoranFixation(a, r, s, m, alpha);
          rho[s][r] = Math.exp(lr);
          logC[s * n + r] = logEta + lr;
        }
      }
    } else {
      for (let s = 0; s < n; s++) {
        const prof = profiles[s];
        for (let k = 0; k < pops; k++) {
          const fS = tables[k].data[s];
          for (let strat = 0; strat < shape[k]; strat++) {
            if (strat === prof[k]) continue;
            const r = s + (strat - prof[k]) * stride[k];
            const lr = logFermiFixation(alpha * (tables[k].data[r] - fS), m);
            rho[s][r] = Math.exp(lr);
            logC[s * n + r] = logEta + lr;
          }
        }
      }
    }
  }

  const transitionMatrix: number[][] = [];
  for (let s = 0; s < n; s++) {
    const row = new Array<number>(n).fill(0);
    let out = 0;
    for (let r = 0; r < n; r++) {
      if (r === s) continue;
      row[r] = Math.exp(logC[s * n + r]);
      out += row[r];
    }
    row[s] = 1 - out;
    transitionMatrix.push(row);
  }

  const pi = n === 1 ? [1] : stationaryGth(logC, n);
  const ranking = pi
    .map((mass, id) => ({ profile: profiles[id].slice(), mass, id }))
    .sort((x, y) => y.mass - x.mass || x.id - y.id)
    .map(({ profile, mass }) => ({ profile, mass }));
  return { pi, profiles, ranking, transitionMatrix, fixationProbabilities: rho };
}

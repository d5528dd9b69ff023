/**
 * Replicator dynamics (Taylor & Jonker 1978, "Evolutionary stable strategies and game
 * dynamics"; Hofbauer & Sigmund 1998, "Evolutionary Games and Population Dynamics"),
 * integrated with the classical fourth-order Runge–Kutta method.
 *
 * Single population, symmetric game with payoff matrix A (A[i][j] = payoff of strategy i
 * against strategy j):
 *
 *   ẋ_i = x_i ((A x)_i − xᵀ A x)
 *
 * Two populations, bimatrix game (A for the row population, B for the column population):
 *
 *   ẋ_i = x_i ((A y)_i − xᵀ A y),   ẏ_j = y_j ((Bᵀ x)_j − xᵀ B y)
 *
 * Both fields are tangent to the simplex (their components sum to zero) and vanish on its
 * faces, so exact solutions stay on the simplex; after each step the state is clamped at 0
 * and renormalised to remove round-off drift.
 */
import { ValidationError } from '../errors.js';
import { checkMatrix, checkProbabilityVector, checkSameShape, type Matrix } from './linear-algebra.js';

export interface ReplicatorOptions {
  /** Initial population state (a probability vector). Default uniform. */
  x0?: readonly number[];
  /** Number of integration steps. Default 1000. */
  steps?: number;
  /** Step size. Default 0.01. */
  dt?: number;
  /** Record the state every this many steps (0 = only the final state). Default 0. */
  recordEvery?: number;
}

export interface ReplicatorResult {
  /** The state after `steps` steps. */
  x: number[];
  /** States at steps 0, recordEvery, 2·recordEvery, … (empty when recordEvery is 0). */
  trajectory: number[][];
}

export interface TwoPopulationReplicatorOptions extends ReplicatorOptions {
  /** Initial state of the column population. Default uniform. */
  y0?: readonly number[];
}

export interface TwoPopulationReplicatorResult {
  x: number[];
  y: number[];
  trajectory: Array<{ x: number[]; y: number[] }>;
}

function checkSteps(steps: number, dt: number, recordEvery: number): void {
  if (!Number.isInteger(steps) || steps < 0)
    throw new ValidationError('steps must be a non-negative integer', { field: 'steps' });
  if (!(dt > 0) || !Number.isFinite(dt))
    throw new ValidationError('dt must be a positive number', { field: 'dt' });
  if (!Number.isInteger(recordEvery) || recordEvery < 0) {
    throw new ValidationError('recordEvery must be a non-negative integer', { field: 'recordEvery' });
  }
}

function renormalise(z: Float64Array, from: number, to: number): void {
  let sum = 0;
  for (let i = from; i < to; i++) {
    if (z[i] < 0) z[i] = 0;
    sum += z[i];
  }
  for (let i = from; i < to; i++) z[i] /= sum;
}

/**
 * Integrates ż = f(z) with RK4 for `steps` steps; `f(z, out)` writes the field into `out`.
 * `blocks` lists the [from, to) ranges that are each a probability vector.
 */
function integrate(
  z: Float64Array,
  f: (z: Float64Array, out: Float64Array) => void,
  steps: number,
  dt: number,
  blocks: ReadonlyArray<readonly [number, number]>,
  record: (step: number) => void,
  recordEvery: number,
): void {
  const d = z.length;
  const k1 = new Float64Array(d);
  const k2 = new Float64Array(d);
  const k3 = new Float64Array(d);
  const k4 = new Float64Array(d);
  const tmp = new Float64Array(d);
  if (recordEvery > 0) record(0);
  for (let s = 1; s <= steps; s++) {
    f(z, k1);
    for (let i = 0; i < d; i++) tmp[i] = z[i] + 0.5 * dt * k1[i];
    f(tmp, k2);
    for (let i = 0; i < d; i++) tmp[i] = z[i] + 0.5 * dt * k2[i];
    f(tmp, k3);
    for (let i = 0; i < d; i++) tmp[i] = z[i] + dt * k3[i];
    f(tmp, k4);
    for (let i = 0; i < d; i++) z[i] += (dt / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    for (const [from, to] of blocks) renormalise(z, from, to);
    if (recordEvery > 0 && s % recordEvery === 0) record(s);
  }
}

/** Single-population replicator dynamics of the symmetric game A (square). */
export function replicatorDynamics(a: Matrix, options: ReplicatorOptions = {}): ReplicatorResult {
  const { rows, cols } = checkMatrix(a, 'A');
  if (rows !== cols)
    throw new ValidationError('A must be square for single-population dynamics', { field: 'A' });
  const n = rows;
  const steps = options.steps ?? 1000;
  const dt = options.dt ?? 0.01;
  const recordEvery = options.recordEvery ?? 0;
  checkSteps(steps, dt, recordEvery);
  const x0 = options.x0 ?? new Array<number>(n).fill(1 / n);
  checkProbabilityVector(x0 as number[], n, 'x0');
  const flat = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) flat[i * n + j] = a[i][j];
  const ax = new Float64Array(n);
  const field = (x: Float64Array, out: Float64Array): void => {
    let mean = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += flat[i * n + j] * x[j];
      ax[i] = s;
      mean += x[i] * s;
    }
    for (let i = 0; i < n; i++) out[i] = x[i] * (ax[i] - mean);
  };
  const z = Float64Array.from(x0);
  const trajectory: number[][] = [];
  integrate(z, field, steps, dt, [[0, n]], () => trajectory.push(Array.from(z)), recordEvery);
  return { x: Array.from(z), trajectory };
}

/** Two-population replicator dynamics of the bimatrix game (A, B). */
export function twoPopulationReplicatorDynamics(
  a: Matrix,
  b: Matrix,
  options: TwoPopulationReplicatorOptions = {},
): TwoPopulationReplicatorResult {
  checkSameShape(a, b, 'A', 'B');
  const m = a.length;
  const n = a[0].length;
  const steps = options.steps ?? 1000;
  const dt = options.dt ?? 0.01;
  const recordEvery = options.recordEvery ?? 0;
  checkSteps(steps, dt, recordEvery);
  const x0 = options.x0 ?? new Array<number>(m).fill(1 / m);
  const y0 = options.y0 ?? new Array<number>(n).fill(1 / n);
  checkProbabilityVector(x0 as number[], m, 'x0');
  checkProbabilityVector(y0 as number[], n, 'y0');
  const fa = new Float64Array(m * n);
  const fb = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      fa[i * n + j] = a[i][j];
      fb[i * n + j] = b[i][j];
    }
  }
  const ay = new Float64Array(m);
  const bx = new Float64Array(n);
  // State z = (x, y).
  const field = (z: Float64Array, out: Float64Array): void => {
    let rowMean = 0;
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += fa[i * n + j] * z[m + j];
      ay[i] = s;
      rowMean += z[i] * s;
    }
    bx.fill(0);
    for (let i = 0; i < m; i++) {
      const xi = z[i];
      for (let j = 0; j < n; j++) bx[j] += xi * fb[i * n + j];
    }
    let colMean = 0;
    for (let j = 0; j < n; j++) colMean += z[m + j] * bx[j];
    for (let i = 0; i < m; i++) out[i] = z[i] * (ay[i] - rowMean);
    for (let j = 0; j < n; j++) out[m + j] = z[m + j] * (bx[j] - colMean);
  };
  const z = new Float64Array(m + n);
  z.set(x0, 0);
  z.set(y0, m);
  const trajectory: Array<{ x: number[]; y: number[] }> = [];
  integrate(
    z,
    field,
    steps,
    dt,
    [
      [0, m],
      [m, m + n],
    ],
    () => trajectory.push({ x: Array.from(z.subarray(0, m)), y: Array.from(z.subarray(m)) }),
    recordEvery,
  );
  return { x: Array.from(z.subarray(0, m)), y: Array.from(z.subarray(m)), trajectory };
}

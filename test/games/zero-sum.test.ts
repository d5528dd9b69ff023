import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { zeroSumGuarantees } from '../../src/games/regret.js';
import { solveZeroSum } from '../../src/games/zero-sum.js';
import { Generator } from '../../src/rng/index.js';
import { probabilityError, randomMatrix } from './helpers.js';

const RPS = [
  [0, -1, 1],
  [1, 0, -1],
  [-1, 1, 0],
];

/** Asserts that (x, y) with value v is optimal: both guarantees equal v to `tol`. */
function expectOptimal(a: number[][], sol: ReturnType<typeof solveZeroSum>, tol = 1e-9): void {
  expect(probabilityError(sol.rowStrategy)).toBeLessThan(1e-12);
  expect(probabilityError(sol.colStrategy)).toBeLessThan(1e-12);
  const { rowGuarantee, colGuarantee } = zeroSumGuarantees(a, sol.rowStrategy, sol.colStrategy);
  const scale = Math.max(1, ...a.flat().map(Math.abs));
  expect(Math.abs(rowGuarantee - sol.value)).toBeLessThan(tol * scale);
  expect(Math.abs(colGuarantee - sol.value)).toBeLessThan(tol * scale);
}

describe('solveZeroSum on known games', () => {
  it('matching pennies: value 0, both players (1/2, 1/2)', () => {
    const a = [
      [1, -1],
      [-1, 1],
    ];
    const sol = solveZeroSum(a);
    expect(sol.value).toBeCloseTo(0, 12);
    for (const p of [...sol.rowStrategy, ...sol.colStrategy]) expect(p).toBeCloseTo(0.5, 12);
  });

  it('rock-paper-scissors: value 0, uniform strategies', () => {
    const sol = solveZeroSum(RPS);
    expect(sol.value).toBeCloseTo(0, 12);
    for (const p of [...sol.rowStrategy, ...sol.colStrategy]) expect(p).toBeCloseTo(1 / 3, 12);
  });

  it('finds a pure saddle point', () => {
    // Row minima (1, 0, 2) peak at row 2; column maxima (5, 2, 6) bottom at column 1:
    // A[2][1] = 2 is a saddle point, and both pure strategies are the unique optima.
    const a = [
      [3, 1, 4],
      [2, 0, 1],
      [5, 2, 6],
    ];
    const sol = solveZeroSum(a);
    expect(sol.value).toBeCloseTo(2, 12);
    expect(sol.rowStrategy.map((v) => Math.round(v * 1e12) / 1e12)).toEqual([0, 0, 1]);
    expect(sol.colStrategy.map((v) => Math.round(v * 1e12) / 1e12)).toEqual([0, 1, 0]);
  });

  it('solves a 2×2 game by the closed form and a rectangular extension of it', () => {
    // 2×2 without saddle point, A = [[3, -1], [-2, 4]]; with D = a11 - a12 - a21 + a22 = 10:
    // x1 = (a22 - a21)/D = 0.6, y1 = (a22 - a12)/D = 0.5, v = (a11 a22 - a12 a21)/D = 1.
    const a = [
      [3, -1],
      [-2, 4],
    ];
    const sol = solveZeroSum(a);
    expect(sol.value).toBeCloseTo(1, 12);
    expect(sol.rowStrategy[0]).toBeCloseTo(0.6, 12);
    expect(sol.colStrategy[0]).toBeCloseTo(0.5, 12);
    // A third column (4, 5) pays the row player more than v against x (0.6·4 + 0.4·5 = 4.4),
    // so the column player never uses it: same value and strategies, padded with a zero.
    const wide = [
      [3, -1, 4],
      [-2, 4, 5],
    ];
    const w = solveZeroSum(wide);
    expect(w.value).toBeCloseTo(1, 12);
    expect(w.colStrategy[2]).toBeCloseTo(0, 12);
    expect(w.colStrategy[0]).toBeCloseTo(0.5, 12);
    // The 3×2 game −wideᵀ swaps the roles: value −1, row strategy (0.5, 0.5, 0).
    const tall = [
      [-3, 2],
      [1, -4],
      [-4, -5],
    ];
    const t = solveZeroSum(tall);
    expect(t.value).toBeCloseTo(-1, 12);
    expect(t.rowStrategy[0]).toBeCloseTo(0.5, 12);
    expect(t.rowStrategy[2]).toBeCloseTo(0, 12);
    expect(t.colStrategy[0]).toBeCloseTo(0.6, 12);
  });

  it('a constant shift moves the value and keeps the strategies; a scaling scales it', () => {
    const rng = new Generator(11);
    const a = randomMatrix(rng, 5, 7);
    const base = solveZeroSum(a);
    const shifted = solveZeroSum(a.map((r) => r.map((v) => v + 42.5)));
    expect(shifted.value - base.value).toBeCloseTo(42.5, 10);
    shifted.rowStrategy.forEach((p, i) => {
      expect(p).toBeCloseTo(base.rowStrategy[i], 9);
    });
    shifted.colStrategy.forEach((p, j) => {
      expect(p).toBeCloseTo(base.colStrategy[j], 9);
    });
    const scaled = solveZeroSum(a.map((r) => r.map((v) => 1e-3 * v)));
    expect(scaled.value).toBeCloseTo(1e-3 * base.value, 13);
  });

  it('a constant game has that value, and 1×n / m×1 games are solved', () => {
    const c = solveZeroSum([
      [2, 2],
      [2, 2],
    ]);
    expect(c.value).toBe(2);
    expectOptimal(
      [
        [2, 2],
        [2, 2],
      ],
      c,
    );
    const row = solveZeroSum([[3, -1, 2]]);
    expect(row.value).toBeCloseTo(-1, 12);
    expect(row.colStrategy[1]).toBeCloseTo(1, 12);
    const col = solveZeroSum([[3], [-1], [2]]);
    expect(col.value).toBeCloseTo(3, 12);
    expect(col.rowStrategy[0]).toBeCloseTo(1, 12);
  });

  it('rejects malformed matrices', () => {
    expect(() => solveZeroSum([])).toThrow(ValidationError);
    expect(() => solveZeroSum([[1, 2], [3]])).toThrow(ValidationError);
    expect(() => solveZeroSum([[1, Number.NaN]])).toThrow(ValidationError);
  });
});

describe('solveZeroSum properties', () => {
  it('on 300 random games both strategies are optimal: row guarantee = value = column guarantee', () => {
    const rng = new Generator(2024);
    for (let g = 0; g < 300; g++) {
      const rows = 1 + rng.integers(0, 12);
      const cols = 1 + rng.integers(0, 12);
      // A third of the games have small integer payoffs: many ties, degenerate LPs.
      const a =
        g % 3 === 0
          ? randomMatrix(rng, rows, cols).map((r) => r.map((v) => Math.round(3 * v)))
          : randomMatrix(rng, rows, cols, -10, 10);
      expectOptimal(a, solveZeroSum(a));
    }
  });

  it('solves a 150×120 game to zero duality gap', () => {
    const rng = new Generator(99);
    const a = randomMatrix(rng, 150, 120);
    expectOptimal(a, solveZeroSum(a));
  });
});

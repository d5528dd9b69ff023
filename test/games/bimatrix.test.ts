import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { lemkeHowson } from '../../src/games/lemke-howson.js';
import { regrets } from '../../src/games/regret.js';
import { supportEnumeration } from '../../src/games/support-enumeration.js';
import { Generator } from '../../src/rng/index.js';
import { probabilityError, randomMatrix } from './helpers.js';

type Eq = { row: number[]; col: number[] };

function expectNash(a: number[][], b: number[][], eq: Eq, tol = 1e-9): void {
  expect(probabilityError(eq.row)).toBeLessThan(1e-12);
  expect(probabilityError(eq.col)).toBeLessThan(1e-12);
  const r = regrets(a, b, eq.row, eq.col);
  expect(r.row).toBeLessThan(tol);
  expect(r.col).toBeLessThan(tol);
}

function sameEq(e: Eq, f: Eq, tol = 1e-8): boolean {
  return (
    e.row.every((p, i) => Math.abs(p - f.row[i]) < tol) && e.col.every((q, j) => Math.abs(q - f.col[j]) < tol)
  );
}

function expectContains(list: Eq[], target: Eq, tol = 1e-8): void {
  expect(list.some((e) => sameEq(e, target, tol))).toBe(true);
}

// Battle of the sexes: pure (0,0) and (1,1), and the mixed x = (3/5, 2/5), y = (2/5, 3/5)
// (row indifferent when 3 y1 = 2 y2, column indifferent when 2 x1 = 3 x2).
const BOS_A = [
  [3, 0],
  [0, 2],
];
const BOS_B = [
  [2, 0],
  [0, 3],
];

// Prisoner's dilemma (row: cooperate, defect): defect strictly dominates, so the only
// equilibrium is (defect, defect).
const PD_A = [
  [3, 0],
  [5, 1],
];
const PD_B = [
  [3, 5],
  [0, 1],
];

// von Stengel (2002), "Computing equilibria for two-person games", the 3×2 example game.
// Its equilibria, checked by hand (indifference and best responses):
//   x = (1, 0, 0), y = (1, 0):            Ay = (3, 2, 0),  xᵀB = (3, 2)
//   x = (4/5, 1/5, 0), y = (2/3, 1/3):    Ay = (3, 3, 2),  xᵀB = (14/5, 14/5)
//   x = (0, 1/3, 2/3), y = (1/3, 2/3):    Ay = (3, 4, 4),  xᵀB = (8/3, 8/3)
const VS_A = [
  [3, 3],
  [2, 5],
  [0, 6],
];
const VS_B = [
  [3, 2],
  [2, 6],
  [3, 1],
];
const VS_EQUILIBRIA: Eq[] = [
  { row: [1, 0, 0], col: [1, 0] },
  { row: [4 / 5, 1 / 5, 0], col: [2 / 3, 1 / 3] },
  { row: [0, 1 / 3, 2 / 3], col: [1 / 3, 2 / 3] },
];

describe('supportEnumeration on known games', () => {
  it('battle of the sexes has exactly 3 equilibria', () => {
    const eqs = supportEnumeration(BOS_A, BOS_B);
    expect(eqs).toHaveLength(3);
    expectContains(eqs, { row: [1, 0], col: [1, 0] });
    expectContains(eqs, { row: [0, 1], col: [0, 1] });
    expectContains(eqs, { row: [0.6, 0.4], col: [0.4, 0.6] });
  });

  it("prisoner's dilemma has exactly 1 equilibrium, (defect, defect)", () => {
    const eqs = supportEnumeration(PD_A, PD_B);
    expect(eqs).toHaveLength(1);
    expectContains(eqs, { row: [0, 1], col: [0, 1] });
  });

  it('von Stengel’s 3×2 example has its 3 equilibria', () => {
    const eqs = supportEnumeration(VS_A, VS_B);
    expect(eqs).toHaveLength(3);
    for (const e of VS_EQUILIBRIA) expectContains(eqs, e);
  });

  it('the 3×3 coordination game A = B = I has 7 equilibria (uniform on each non-empty support)', () => {
    const id = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    const eqs = supportEnumeration(id, id);
    expect(eqs).toHaveLength(7);
    expectContains(eqs, { row: [1 / 3, 1 / 3, 1 / 3], col: [1 / 3, 1 / 3, 1 / 3] });
    expectContains(eqs, { row: [0.5, 0, 0.5], col: [0.5, 0, 0.5] });
  });

  it('refuses games with too many support pairs', () => {
    const big = randomMatrix(new Generator(1), 12, 12);
    expect(() => supportEnumeration(big, big, { maxSupportPairs: 1000 })).toThrow(ValidationError);
  });
});

describe('lemkeHowson on known games', () => {
  it('battle of the sexes: each initial label reaches one of the three equilibria', () => {
    const eqs = supportEnumeration(BOS_A, BOS_B);
    for (let k = 0; k < 4; k++) {
      const e = lemkeHowson(BOS_A, BOS_B, { initialLabel: k });
      expectNash(BOS_A, BOS_B, e);
      expectContains(eqs, e);
    }
  });

  it("prisoner's dilemma: (defect, defect) from every label", () => {
    for (let k = 0; k < 4; k++) {
      const e = lemkeHowson(PD_A, PD_B, { initialLabel: k });
      expect(sameEq(e, { row: [0, 1], col: [0, 1] })).toBe(true);
    }
  });

  it('von Stengel’s example: label 0 reaches the pure equilibrium (1, 0, 0), (1, 0)', () => {
    // Hand trace: x_0 enters Bᵀx + s = 1 (column (3, 2), ratios 1/3, 1/2) and s_0 (label 3)
    // leaves; y_0 enters (A + 1)y + r = 1 (column (4, 3, 1), ratios 1/4, 1/3, 1) and r_0
    // (label 0) leaves: done at x ∝ (1/3, 0, 0), y ∝ (1/4, 0).
    const e = lemkeHowson(VS_A, VS_B, { initialLabel: 0 });
    expect(sameEq(e, VS_EQUILIBRIA[0])).toBe(true);
    for (let k = 0; k < 5; k++) {
      const f = lemkeHowson(VS_A, VS_B, { initialLabel: k });
      expect(VS_EQUILIBRIA.some((g) => sameEq(f, g))).toBe(true);
    }
  });

  it("Shapley's game: the unique equilibrium is uniform", () => {
    // Shapley (1964): A = I, B = cyclic shift; the only equilibrium is (1/3, 1/3, 1/3) for both.
    const a = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    const b = [
      [0, 1, 0],
      [0, 0, 1],
      [1, 0, 0],
    ];
    for (let k = 0; k < 6; k++) {
      const e = lemkeHowson(a, b, { initialLabel: k });
      for (const p of [...e.row, ...e.col]) expect(p).toBeCloseTo(1 / 3, 12);
    }
    expect(supportEnumeration(a, b)).toHaveLength(1);
  });

  it('validates its arguments', () => {
    expect(() => lemkeHowson(BOS_A, BOS_B, { initialLabel: 4 })).toThrow(ValidationError);
    expect(() => lemkeHowson(BOS_A, BOS_B, { initialLabel: -1 })).toThrow(ValidationError);
    expect(() => lemkeHowson(BOS_A, [[1, 2]])).toThrow(ValidationError);
  });
});

describe('bimatrix properties', () => {
  it('random nondegenerate games: odd count, all Nash, every Lemke–Howson result listed', () => {
    const rng = new Generator(77);
    let games = 0;
    for (let g = 0; g < 150; g++) {
      const m = 1 + rng.integers(0, 5);
      const n = 1 + rng.integers(0, 5);
      // Continuous payoffs: nondegenerate with probability one.
      const a = randomMatrix(rng, m, n, -5, 5);
      const b = randomMatrix(rng, m, n, -5, 5);
      const eqs = supportEnumeration(a, b);
      expect(eqs.length % 2).toBe(1);
      for (const e of eqs) expectNash(a, b, e);
      for (let k = 0; k < m + n; k++) {
        const e = lemkeHowson(a, b, { initialLabel: k });
        expectNash(a, b, e);
        expectContains(eqs, e);
      }
      games += 1;
    }
    expect(games).toBe(150);
  });

  it('Lemke–Howson returns an equilibrium from every label in degenerate games (lexicographic rule)', () => {
    const rng = new Generator(78);
    for (let g = 0; g < 150; g++) {
      const m = 1 + rng.integers(0, 6);
      const n = 1 + rng.integers(0, 6);
      // Payoffs in {-1, 0, 1}: ties everywhere, degenerate pivots on the path.
      const a = randomMatrix(rng, m, n).map((r) => r.map((v) => Math.round(1.4 * v)));
      const b = randomMatrix(rng, m, n).map((r) => r.map((v) => Math.round(1.4 * v)));
      for (let k = 0; k < m + n; k++) expectNash(a, b, lemkeHowson(a, b, { initialLabel: k }));
      for (const e of supportEnumeration(a, b)) expectNash(a, b, e);
    }
  });

  it('Lemke–Howson solves a 40×40 game', () => {
    const rng = new Generator(79);
    const a = randomMatrix(rng, 40, 40);
    const b = randomMatrix(rng, 40, 40);
    expectNash(a, b, lemkeHowson(a, b, { initialLabel: 3 }));
  });

  it('zero-sum games: support enumeration agrees with the minimax value', () => {
    const rng = new Generator(80);
    for (let g = 0; g < 30; g++) {
      const a = randomMatrix(rng, 4, 3);
      const b = a.map((r) => r.map((v) => -v));
      const eqs = supportEnumeration(a, b);
      // A nondegenerate zero-sum game has a unique equilibrium.
      expect(eqs).toHaveLength(1);
      expectNash(a, b, lemkeHowson(a, b));
    }
  });
});

import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { alphaRank, logFermiFixation } from '../../src/games/alpha-rank.js';
import { Generator } from '../../src/rng/index.js';
import { probabilityError, randomMatrix } from './helpers.js';

const RPS = [
  [0, -1, 1],
  [1, 0, -1],
  [-1, 1, 0],
];

/** Direct Fermi fixation probability, valid where nothing overflows. */
function fermi(u: number, m: number): number {
  return u === 0 ? 1 / m : (1 - Math.exp(-u)) / (1 - Math.exp(-m * u));
}

/** max_r |(π C)_r − π_r| and the row-sum error of C. */
function stationarity(pi: number[], c: number[][]): number {
  let worst = 0;
  for (let r = 0; r < pi.length; r++) {
    let s = 0;
    for (let q = 0; q < pi.length; q++) s += pi[q] * c[q][r];
    worst = Math.max(worst, Math.abs(s - pi[r]));
  }
  for (const row of c) worst = Math.max(worst, Math.abs(row.reduce((x, y) => x + y, 0) - 1));
  return worst;
}

describe('logFermiFixation', () => {
  it('matches the direct formula where it does not overflow, and its limits', () => {
    for (const m of [2, 10, 50]) {
      for (const u of [-5, -0.3, -1e-3, 1e-3, 0.3, 5]) {
        expect(Math.exp(logFermiFixation(u, m))).toBeCloseTo(fermi(u, m), 12);
      }
      // Small u, where the direct formula cancels; series of the ratio to second order:
      // m ρ = 1 + (m − 1)u/2 + (m²/12 − m/4 + 1/6)u² + O(m³u³).
      for (const u of [-1e-7, 1e-7]) {
        const series = 1 + ((m - 1) * u) / 2 + ((m * m) / 12 - m / 4 + 1 / 6) * u * u;
        expect(Math.exp(logFermiFixation(u, m)) * m).toBeCloseTo(series, 13);
      }
      expect(Math.exp(logFermiFixation(0, m))).toBeCloseTo(1 / m, 15);
    }
    // u = -100, m = 50: ρ = (e^100 - 1)/(e^5000 - 1) ≈ e^(-4900), i.e. log ρ ≈ -4900.
    expect(logFermiFixation(-100, 50)).toBeCloseTo(-4900, 9);
    expect(logFermiFixation(100, 50)).toBeCloseTo(0, 12);
  });
});

describe('alphaRank, single population', () => {
  it('rock-paper-scissors: uniform (the chain is invariant under the cyclic relabelling)', () => {
    const res = alphaRank([RPS]);
    for (const p of res.pi) expect(p).toBeCloseTo(1 / 3, 12);
    expect(stationarity(res.pi, res.transitionMatrix)).toBeLessThan(1e-12);
  });

  it('two strategies: π agrees with the closed form of a two-state chain', () => {
    // With η = 1, π_0 c_01 = π_1 c_10, so π_0 = c_10 / (c_01 + c_10), where
    // c_01 = ρ(α(A[1][0] − A[0][1])) and c_10 = ρ(α(A[0][1] − A[1][0])) (local selection).
    const rng = new Generator(3);
    for (let g = 0; g < 20; g++) {
      const a = randomMatrix(rng, 2, 2);
      const alpha = rng.uniform(0.1, 5);
      const m = 2 + rng.integers(0, 30);
      const c01 = fermi(alpha * (a[1][0] - a[0][1]), m);
      const c10 = fermi(alpha * (a[0][1] - a[1][0]), m);
      const res = alphaRank([a], { alpha, m });
      expect(res.pi[0]).toBeCloseTo(c10 / (c01 + c10), 12);
      expect(res.fixationProbabilities[0][1]).toBeCloseTo(c01, 12);
    }
  });

  it('two strategies with a transition below e^-300: the log-space elimination keeps π exact', () => {
    // A[0][1] − A[1][0] = −1, α = 8, m = 50: c_10 = ρ(−8) ≈ e^{−392}, so π_0 ≈ e^{−392} ≈ 1e−170,
    // still a double; its logarithm must match log c_10 − log(c_01 + c_10).
    const a = [
      [0, 0],
      [1, 0],
    ];
    const res = alphaRank([a], { alpha: 8, m: 50 });
    const l10 = logFermiFixation(-8, 50);
    const l01 = logFermiFixation(8, 50);
    const expected = l10 - (l01 + Math.log1p(Math.exp(l10 - l01)));
    expect(l10).toBeLessThan(-300);
    expect(Math.log(res.pi[0]) / expected).toBeCloseTo(1, 13);
    expect(res.pi[1]).toBe(1);
  });

  it('a dominant strategy collects all the mass as α grows', () => {
    // Prisoner's dilemma: defect (1) beats cooperate (0) head to head (5 vs 0).
    const pd = [
      [3, 0],
      [5, 1],
    ];
    const masses = [0, 0.001, 0.01, 0.05, 0.1, 0.2].map((alpha) => alphaRank([pd], { alpha }).pi[1]);
    expect(masses[0]).toBeCloseTo(0.5, 15); // α = 0: neutral drift both ways
    for (let k = 1; k < masses.length; k++) expect(masses[k]).toBeGreaterThan(masses[k - 1]);
    expect(alphaRank([pd], { alpha: 100 }).pi[1]).toBeCloseTo(1, 12);
    expect(alphaRank([pd]).ranking[0].profile).toEqual([1]);
  });

  it("OpenSpiel's documented example (Han et al. 2013 payoffs, m = 20, α = 0.1, Moran process)", () => {
    // open_spiel/python/egt/alpharank_test.py, test_stationary_distribution: expected π given
    // there to 8 decimals (asserted to 4 by OpenSpiel), with use_local_selection_model=False.
    const r = 1;
    const t = 2;
    const p = 0;
    const s = -1;
    const delta = 4;
    const eps = 0.25;
    const table = [
      [r - eps / 2, r - eps, 0, s + delta - eps, r - eps],
      [r, r, s, s, s],
      [0, t, p, p, p],
      [t - delta, t, p, p, p],
      [r, t, p, p, p],
    ];
    const res = alphaRank([table], { m: 20, alpha: 0.1, localSelection: false });
    const expected = [0.40966787, 0.07959841, 0.20506998, 0.08505983, 0.2206039];
    res.pi.forEach((v, i) => {
      expect(Math.abs(v - expected[i])).toBeLessThan(1e-8);
    });
  });

  it('Moran process on a constant-sum game reduces to the Fermi closed form (as OpenSpiel checks)', () => {
    // If A + Aᵀ = c everywhere, f_r(p) − f_s(m − p) = m/(m − 1) (A[r][s] − c/2) for every p,
    // so ρ = fermi(α m/(m − 1) (A[r][s] − c/2), m).
    const c = 1;
    const a = RPS.map((row) => row.map((v) => v + c / 2));
    const alpha = 0.7;
    const m = 12;
    const res = alphaRank([a], { alpha, m, localSelection: false });
    for (let s = 0; s < 3; s++) {
      for (let q = 0; q < 3; q++) {
        if (q === s) continue;
        expect(res.fixationProbabilities[s][q]).toBeCloseTo(
          fermi((alpha * m * (a[q][s] - c / 2)) / (m - 1), m),
          12,
        );
      }
    }
  });
});

describe('alphaRank, several populations', () => {
  it('a symmetric coordination game with α = 100, m = 50 splits the mass between its two equilibria', () => {
    // A = B = I: leaving (0,0) or (1,1) has fixation ≈ e^(-4900) (underflows in doubles), the
    // off-diagonal profiles fall into either equilibrium. By the symmetry (i, j) → (1−i, 1−j)
    // π = (1/2, ~0, ~0, 1/2): this needs the log-space elimination.
    const id = [
      [1, 0],
      [0, 1],
    ];
    const res = alphaRank([id, id]);
    expect(res.pi[0]).toBeCloseTo(0.5, 12);
    expect(res.pi[3]).toBeCloseTo(0.5, 12);
    expect(res.pi[1]).toBeLessThan(1e-300);
    expect(res.profiles).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
  });

  it('prisoner’s dilemma as two populations: (defect, defect) dominates', () => {
    const a = [
      [3, 0],
      [5, 1],
    ];
    const b = [
      [3, 5],
      [0, 1],
    ];
    const res = alphaRank([a, b]);
    expect(res.ranking[0].profile).toEqual([1, 1]);
    expect(res.ranking[0].mass).toBeCloseTo(1, 12);
  });

  it('two populations, 2×2: C and π agree with an independent construction', () => {
    // With two strategies per population, η = 1/2 and every profile has two neighbours (the
    // row or the column population deviates). C is built here from the definition, and π
    // by power iteration on it.
    const rng = new Generator(8);
    for (let g = 0; g < 10; g++) {
      const a = randomMatrix(rng, 2, 2);
      const b = randomMatrix(rng, 2, 2);
      const alpha = rng.uniform(0.1, 3);
      const m = 5;
      const res = alphaRank([a, b], { alpha, m });
      // Build C independently: profile id = 2i + j.
      const c = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 2; j++) {
          const s = 2 * i + j;
          const rowDev = 2 * (1 - i) + j;
          const colDev = 2 * i + (1 - j);
          c[s][rowDev] = 0.5 * fermi(alpha * (a[1 - i][j] - a[i][j]), m);
          c[s][colDev] = 0.5 * fermi(alpha * (b[i][1 - j] - b[i][j]), m);
          c[s][s] = 1 - c[s][rowDev] - c[s][colDev];
        }
      }
      res.transitionMatrix.forEach((row, s) => {
        row.forEach((v, r) => {
          expect(v).toBeCloseTo(c[s][r], 13);
        });
      });
      // Power iteration on the independent C converges (the chain is aperiodic: c[s][s] > 0).
      let pi = [0.25, 0.25, 0.25, 0.25];
      for (let it = 0; it < 20000; it++)
        pi = [0, 1, 2, 3].map((r) => pi.reduce((acc, p, q) => acc + p * c[q][r], 0));
      res.pi.forEach((v, k) => {
        expect(v).toBeCloseTo(pi[k], 9);
      });
    }
  });

  it('three populations as tensors: π is a stationary probability vector', () => {
    const rng = new Generator(21);
    const shape = [2, 3, 2];
    const size = 12;
    const tables = [0, 1, 2].map(() => ({
      shape,
      data: Array.from({ length: size }, () => rng.uniform(-1, 1)),
    }));
    const res = alphaRank(tables, { alpha: 2, m: 10 });
    expect(res.pi).toHaveLength(12);
    expect(probabilityError(res.pi)).toBeLessThan(1e-12);
    expect(stationarity(res.pi, res.transitionMatrix)).toBeLessThan(1e-10);
    // Profile ids follow OpenSpiel: the last population's strategy varies fastest.
    expect(res.profiles[1]).toEqual([0, 0, 1]);
    expect(res.profiles[2]).toEqual([0, 1, 0]);
    expect(res.profiles[11]).toEqual([1, 2, 1]);
  });
});

describe('alphaRank properties', () => {
  it('on random games π is a probability vector with π C = π to 1e-10', () => {
    const rng = new Generator(99);
    for (let g = 0; g < 60; g++) {
      const alpha = [0.01, 1, 10, 100][g % 4];
      const m = 2 + rng.integers(0, 60);
      const single = g % 2 === 0;
      const n = 2 + rng.integers(0, 6);
      const res = single
        ? alphaRank([randomMatrix(rng, n, n)], { alpha, m })
        : alphaRank([randomMatrix(rng, 3, 4), randomMatrix(rng, 3, 4)], { alpha, m });
      expect(probabilityError(res.pi)).toBeLessThan(1e-12);
      expect(stationarity(res.pi, res.transitionMatrix)).toBeLessThan(1e-10);
      // The ranking lists every profile once, by decreasing mass.
      expect(res.ranking).toHaveLength(res.pi.length);
      for (let k = 1; k < res.ranking.length; k++)
        expect(res.ranking[k].mass).toBeLessThanOrEqual(res.ranking[k - 1].mass);
    }
  });

  it('random symmetric games, single population, local and Moran models', () => {
    const rng = new Generator(100);
    for (let g = 0; g < 40; g++) {
      const n = 2 + rng.integers(0, 6);
      const a = randomMatrix(rng, n, n);
      const res = alphaRank([a], {
        alpha: [0.5, 5, 50, 100][g % 4],
        m: 2 + rng.integers(0, 40),
        localSelection: g % 3 !== 0,
      });
      expect(probabilityError(res.pi)).toBeLessThan(1e-12);
      expect(stationarity(res.pi, res.transitionMatrix)).toBeLessThan(1e-10);
    }
  });

  it('validates its inputs', () => {
    expect(() => alphaRank([])).toThrow(ValidationError);
    expect(() => alphaRank([[[1, 2]]])).toThrow(ValidationError);
    expect(() => alphaRank([RPS], { m: 1 })).toThrow(ValidationError);
    expect(() => alphaRank([RPS], { alpha: -1 })).toThrow(ValidationError);
    expect(() => alphaRank([RPS, [[1, 2]]])).toThrow(ValidationError);
    expect(() =>
      alphaRank([
        { shape: [2, 2], data: [1, 2, 3] },
        { shape: [2, 2], data: [1, 2, 3, 4] },
      ]),
    ).toThrow(ValidationError);
  });

  it('a game with one profile has π = [1]', () => {
    expect(alphaRank([[[5]]]).pi).toEqual([1]);
  });
});

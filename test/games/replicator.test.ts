import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { replicatorDynamics, twoPopulationReplicatorDynamics } from '../../src/games/replicator.js';

const RPS = [
  [0, -1, 1],
  [1, 0, -1],
  [-1, 1, 0],
];

describe('replicatorDynamics (one population)', () => {
  it('hawk-dove converges to the interior ESS: hawks at V/C', () => {
    // Maynard Smith's hawk-dove with V = 2, C = 3: A = [[(V-C)/2, V], [0, V/2]]. Hawks and
    // doves earn the same when -p/2 + 2(1 - p) = 1 - p, i.e. p = V/C = 2/3 (the ESS).
    // Linearising ṗ = p(1 - p)(1 - 3p/2) at 2/3 gives rate -1/3, so t = 80 shrinks the
    // initial error by e^(-80/3) ≈ 3e-12.
    const a = [
      [-0.5, 2],
      [0, 1],
    ];
    for (const h0 of [0.05, 0.5, 0.95]) {
      const { x } = replicatorDynamics(a, { x0: [h0, 1 - h0], steps: 8000, dt: 0.01 });
      expect(x[0]).toBeCloseTo(2 / 3, 8);
    }
  });

  it("prisoner's dilemma: defection takes over", () => {
    const { x } = replicatorDynamics(
      [
        [3, 0],
        [5, 1],
      ],
      { x0: [0.99, 0.01], steps: 3000, dt: 0.01 },
    );
    expect(x[1]).toBeGreaterThan(1 - 1e-6);
  });

  it('rock-paper-scissors cycles: x1·x2·x3 is conserved and the orbit does not converge', () => {
    // For this A, d/dt log(x1 x2 x3) = Σ_i (Ax)_i − 3 xᵀAx = 0 (columns sum to zero and A is
    // antisymmetric), so every interior orbit is a closed curve around (1/3, 1/3, 1/3).
    const x0 = [0.6, 0.3, 0.1];
    const h0 = x0[0] * x0[1] * x0[2];
    const { trajectory } = replicatorDynamics(RPS, { x0, steps: 5000, dt: 0.01, recordEvery: 50 });
    expect(trajectory).toHaveLength(101);
    let maxDist = 0;
    for (const x of trajectory) {
      expect(x[0] * x[1] * x[2]).toBeCloseTo(h0, 9);
      expect(x[0] + x[1] + x[2]).toBeCloseTo(1, 14);
      maxDist = Math.max(maxDist, Math.abs(x[0] - 1 / 3));
    }
    // Still far from the centre at the end of 50 time units: no convergence.
    const last = trajectory[trajectory.length - 1];
    expect(Math.hypot(last[0] - 1 / 3, last[1] - 1 / 3, last[2] - 1 / 3)).toBeGreaterThan(0.1);
    expect(maxDist).toBeGreaterThan(0.2);
  });

  it('rest points stay put: a vertex and the RPS centre', () => {
    expect(replicatorDynamics(RPS, { x0: [1, 0, 0], steps: 100 }).x).toEqual([1, 0, 0]);
    const c = replicatorDynamics(RPS, { steps: 100 }).x;
    for (const v of c) expect(v).toBeCloseTo(1 / 3, 14);
  });

  it('validates its inputs', () => {
    expect(() => replicatorDynamics([[1, 2]])).toThrow(ValidationError);
    expect(() => replicatorDynamics(RPS, { x0: [0.5, 0.5] })).toThrow(ValidationError);
    expect(() => replicatorDynamics(RPS, { x0: [0.5, 0.6, -0.1] })).toThrow(ValidationError);
    expect(() => replicatorDynamics(RPS, { dt: 0 })).toThrow(ValidationError);
    expect(() => replicatorDynamics(RPS, { steps: 1.5 })).toThrow(ValidationError);
  });
});

describe('twoPopulationReplicatorDynamics', () => {
  it('matching pennies cycles around (1/2, 1/2): x1·x2·y1·y2 is conserved', () => {
    // Zero-sum with interior equilibrium x* = y* = (1/2, 1/2): Σ x*_i log x_i + Σ y*_j log y_j
    // is a constant of motion (Hofbauer & Sigmund 1998), i.e. x1 x2 y1 y2: with B = −A its
    // time derivative is x*ᵀA y − xᵀA y*, and both terms equal the value v (x*ᵀA = v 1ᵀ and
    // A y* = v 1 at an interior equilibrium), so it vanishes.
    const a = [
      [1, -1],
      [-1, 1],
    ];
    const b = a.map((r) => r.map((v) => -v));
    const x0 = [0.8, 0.2];
    const y0 = [0.3, 0.7];
    const h0 = x0[0] * x0[1] * y0[0] * y0[1];
    const { trajectory } = twoPopulationReplicatorDynamics(a, b, {
      x0,
      y0,
      steps: 4000,
      dt: 0.005,
      recordEvery: 100,
    });
    for (const { x, y } of trajectory) expect(x[0] * x[1] * y[0] * y[1]).toBeCloseTo(h0, 9);
  });

  it('converges to the strict equilibrium of the prisoner’s dilemma', () => {
    const a = [
      [3, 0],
      [5, 1],
    ];
    const b = [
      [3, 5],
      [0, 1],
    ];
    const { x, y } = twoPopulationReplicatorDynamics(a, b, { x0: [0.9, 0.1], y0: [0.95, 0.05], steps: 3000 });
    expect(x[1]).toBeGreaterThan(1 - 1e-6);
    expect(y[1]).toBeGreaterThan(1 - 1e-6);
  });

  it('battle of the sexes: the mixed equilibrium is a saddle, orbits go to a pure one', () => {
    const a = [
      [3, 0],
      [0, 2],
    ];
    const b = [
      [2, 0],
      [0, 3],
    ];
    // Near the mixed equilibrium x = (3/5, 2/5), y = (2/5, 3/5), pushed towards (0, 0).
    const { x, y } = twoPopulationReplicatorDynamics(a, b, {
      x0: [0.65, 0.35],
      y0: [0.45, 0.55],
      steps: 3000,
    });
    expect(x[0]).toBeGreaterThan(1 - 1e-6);
    expect(y[0]).toBeGreaterThan(1 - 1e-6);
  });
});

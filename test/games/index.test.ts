import { describe, expect, it } from 'vitest';
import {
  alphaRank,
  lemkeHowson,
  linprog,
  maxEntropyNash,
  nashAveraging,
  nashAveragingAvA,
  regrets,
  replicatorDynamics,
  solveZeroSum,
  supportEnumeration,
  twoPopulationReplicatorDynamics,
  zeroSumGuarantees,
} from '../../src/games/index.js';

describe('games index', () => {
  it('exports the solvers', () => {
    const exported = [
      alphaRank,
      lemkeHowson,
      linprog,
      maxEntropyNash,
      nashAveraging,
      nashAveragingAvA,
      regrets,
      replicatorDynamics,
      solveZeroSum,
      supportEnumeration,
      twoPopulationReplicatorDynamics,
      zeroSumGuarantees,
    ];
    for (const f of exported) expect(typeof f).toBe('function');
  });

  it('solvers agree on a zero-sum game: LP, maxent, Lemke–Howson and support enumeration', () => {
    // Rock-paper-scissors: the unique equilibrium is uniform for both players.
    const a = [
      [0, -1, 1],
      [1, 0, -1],
      [-1, 1, 0],
    ];
    const b = a.map((r) => r.map((v) => -v));
    const lp = solveZeroSum(a);
    const me = maxEntropyNash(a);
    const lh = lemkeHowson(a, b);
    const se = supportEnumeration(a, b);
    expect(se).toHaveLength(1);
    for (const p of [lp.rowStrategy, me.rowStrategy, lh.row, se[0].row]) {
      for (const v of p) expect(v).toBeCloseTo(1 / 3, 10);
    }
  });
});

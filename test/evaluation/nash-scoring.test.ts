import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { ENV_REFERENCES } from '../../src/evaluation/metrics.js';
import { type NashScoring, type PopulationAgent, scoreNash } from '../../src/evaluation/nash-scoring.js';
import { NashScores } from '../../src/evaluation/schemas.js';
import { regrets } from '../../src/games/index.js';
import { Generator } from '../../src/rng/index.js';

/** Environment ids without reference returns: their scores are plain min-max (no floor). */
const E = ['E1', 'E2', 'E3', 'E4', 'E5'];

function agent(
  id: string,
  means: readonly number[],
  kind: PopulationAgent['kind'] = 'baseline',
  envs: readonly string[] = E,
): PopulationAgent {
  return {
    id,
    kind,
    agent_type: 'ppo',
    perEnvMeanReturn: Object.fromEntries(means.map((m, j) => [envs[j], m])),
  };
}

/** An agent with raw returns m + sd·z per environment (and their exact mean as the mean). */
function noisyAgent(
  id: string,
  means: readonly number[],
  sd: number,
  rng: Generator,
  episodes = 30,
  envs: readonly string[] = E,
): PopulationAgent {
  const raw = means.map((m) => Array.from({ length: episodes }, () => m + sd * rng.standardNormal()));
  return {
    id,
    kind: 'baseline',
    agent_type: 'ppo',
    perEnvMeanReturn: Object.fromEntries(
      raw.map((r, j) => [envs[j], r.reduce((a, b) => a + b, 0) / r.length]),
    ),
    perEnvReturns: Object.fromEntries(raw.map((r, j) => [envs[j], r])),
  };
}

function randomPopulation(rng: Generator, n: number, k: number): PopulationAgent[] {
  return Array.from({ length: n }, (_, i) =>
    agent(
      `a${i}`,
      Array.from({ length: k }, () => rng.uniform(0, 100)),
      i === 0 ? 'candidate' : 'baseline',
    ),
  );
}

function expectValid(r: NashScoring): void {
  for (const s of [r.overall, ...Object.values(r.perEnvironment)]) {
    expect(Value.Check(NashScores, s)).toBe(true);
    expect(s.conflict_score).toBeGreaterThanOrEqual(0);
    expect(s.conflict_score).toBeLessThanOrEqual(1);
    expect(s.deviation_from_equilibrium).toBeGreaterThanOrEqual(0);
    expect(s.stability_score).toBeGreaterThanOrEqual(0);
    expect(s.stability_score).toBeLessThanOrEqual(1);
    const total = (s.equilibrium ?? []).reduce((acc, q) => acc + q.weight, 0);
    expect(total).toBeCloseTo(1, 9);
    expect(s.details.length).toBeGreaterThan(0);
  }
}

describe('scoreNash: a known game', () => {
  // Three agents on two environments with no reference returns (plain min-max):
  // A = (10, 0), B = (0, 10), C = (6, 6) → S: A (1, 0), B (0, 1), C (0.6, 0.6).
  // Value: C alone guarantees 0.6; a mixture (a, b, c) with a = b earns 0.6 − 0.2a ≤ 0.6, so
  // v = 0.6 and p* = C. Environment player's optimal set {q : S q ≤ 0.6} = {q1 ∈ [0.4, 0.6]},
  // whose entropy maximiser is (½, ½). Skills (S q*): A ½, B ½, C 0.6.
  // Conflict: regrets R = 1 − S: A (0, 1), B (1, 0), C (0.4, 0.4); min_p max_e pᵀR = 0.4 (C).
  // Winner-takes-all regrets: A (0, 1), B (1, 0), C (1, 1) → ½ (mixing A and B). 0.4/0.5 = 0.8.
  // Per environment: the other environment's equilibrium is its winner (B for E1, A for E2),
  // whose regret here is 1.
  const pop = [agent('A', [10, 0]), agent('B', [0, 10]), agent('C', [6, 6], 'candidate')];
  const envs = ['E1', 'E2'];

  it('equilibrium, skills, deviation and conflict', () => {
    const r = scoreNash(pop, 'C', { environments: envs });
    expectValid(r);
    expect(r.game.scores).toEqual([
      [1, 0],
      [0, 1],
      [0.6, 0.6],
    ]);
    expect(r.game.agentWeights[2]).toBeCloseTo(1, 9);
    r.game.environmentWeights.forEach((q) => {
      expect(q).toBeCloseTo(0.5, 9);
    });
    [0.5, 0.5, 0.6].forEach((v, i) => {
      expect(r.game.skills[i]).toBeCloseTo(v, 9);
    });
    expect(r.overall.deviation_from_equilibrium).toBe(0);
    expect(r.overall.conflict_score).toBeCloseTo(0.8, 9);
    expect(r.perEnvironment.E1.conflict_score).toBeCloseTo(1, 9);
    expect(r.perEnvironment.E2.conflict_score).toBeCloseTo(1, 9);
    // In equilibrium, but the environments conflict above 0.5: review.
    expect(r.overall.recommendation).toBe('review');
    expect(r.overall.stability_score).toBe(1); // no noise information: exact scores
    expect(r.game.perturbations).toBe(0);
    // Per environment C is 0.4 below the winner: between 0.1 and 0.5 → review.
    expect(r.perEnvironment.E1.deviation_from_equilibrium).toBeCloseTo(0.4, 12);
    expect(r.perEnvironment.E1.recommendation).toBe('review');
    expect(r.perEnvironment.E1.equilibrium).toEqual([
      { agent: 'A', weight: 1 },
      { agent: 'B', weight: 0 },
      { agent: 'C', weight: 0 },
    ]);
  });

  it('the recommendation rule, step by step', () => {
    // Tolerating the conflict, C in equilibrium is accepted.
    expect(
      scoreNash(pop, 'C', { environments: envs, thresholds: { maxConflict: 0.9 } }).overall.recommendation,
    ).toBe('accept');
    // A: skill ½ against the best 0.6 → deviation 0.1, not dominated (it is best on E1):
    // accept below the accept threshold, review between the thresholds, reject above.
    const rec = (acceptDeviation: number, rejectDeviation: number) =>
      scoreNash(pop, 'A', {
        environments: envs,
        thresholds: { maxConflict: 0.9, acceptDeviation, rejectDeviation },
      }).overall;
    expect(rec(0.15, 0.5).deviation_from_equilibrium).toBeCloseTo(0.1, 9);
    expect(rec(0.15, 0.5).recommendation).toBe('accept');
    expect(rec(0.05, 0.5).recommendation).toBe('review');
    expect(rec(0.05, 0.08).recommendation).toBe('reject');
    expect(rec(0.05, 0.08).details).toMatch(/^reject: candidate 'A' is outside the equilibrium support/);
  });
});

describe('scoreNash: normalisation', () => {
  it('floors the range at δ of the random → target gap', () => {
    // CartPole-v1 references: random 22.1, target 475 → gap 452.9, floor 0.1·452.9 = 45.29.
    // A gap of 9 between two agents is below the floor: deviation 9/45.29; without the floor
    // (δ = 0) plain min-max makes it 1.
    const envs = ['CartPole-v1'];
    const pop = [agent('base', [500], 'baseline', envs), agent('cand', [491], 'candidate', envs)];
    const floor = 0.1 * (ENV_REFERENCES['CartPole-v1'].target - ENV_REFERENCES['CartPole-v1'].random);
    const r = scoreNash(pop, 'cand');
    expect(r.game.scale).toEqual([floor]);
    expect(r.overall.deviation_from_equilibrium).toBeCloseTo(9 / floor, 12);
    expect(r.perEnvironment['CartPole-v1'].deviation_from_equilibrium).toBeCloseTo(9 / floor, 12);
    // Beaten on its only environment by about 0.2 (more than 0.1, less than 0.5): review.
    expect(r.overall.recommendation).toBe('review');
    const plain = scoreNash(pop, 'cand', { significance: 0 });
    expect(plain.overall.deviation_from_equilibrium).toBe(1);
    // A gap above the floor is plain min-max.
    const far = scoreNash(
      [agent('base', [500], 'baseline', envs), agent('cand', [400], 'candidate', envs)],
      'cand',
    );
    expect(far.game.scale).toEqual([100]);
    // Custom references replace the defaults.
    const custom = scoreNash(pop, 'cand', { references: { 'CartPole-v1': { random: 0, target: 900 } } });
    expect(custom.overall.deviation_from_equilibrium).toBeCloseTo(0.1, 12);
  });

  it('an environment on which everyone ties is left out of the game', () => {
    const rng = new Generator(12);
    for (let g = 0; g < 10; g++) {
      const pop = randomPopulation(rng, 4, 3);
      const withTie = pop.map((a) => ({ ...a, perEnvMeanReturn: { ...a.perEnvMeanReturn, E4: 7 } }));
      const base = scoreNash(pop, 'a0', { environments: E.slice(0, 3) });
      const tied = scoreNash(withTie, 'a0', { environments: E.slice(0, 4) });
      expect(tied.game.informativeEnvironments).toEqual(E.slice(0, 3));
      expect(tied.game.environmentWeights[3]).toBe(0);
      expect(tied.overall.deviation_from_equilibrium).toBeCloseTo(base.overall.deviation_from_equilibrium, 9);
      expect(tied.overall.conflict_score).toBeCloseTo(base.overall.conflict_score, 9);
      expect(tied.perEnvironment.E4.deviation_from_equilibrium).toBe(0);
      expect(tied.perEnvironment.E4.conflict_score).toBe(0);
    }
  });
});

describe('scoreNash: properties', () => {
  it('scores stay in range; deviation is 0 exactly when the candidate is in the equilibrium support', () => {
    const rng = new Generator(7);
    for (let g = 0; g < 40; g++) {
      const n = 2 + rng.integers(0, 6);
      const k = 1 + rng.integers(0, 5);
      const pop = randomPopulation(rng, n, k);
      const r = scoreNash(pop, 'a0', { environments: E.slice(0, k) });
      expectValid(r);
      const inSupport = r.game.agentWeights[0] > 1e-7;
      expect(r.overall.deviation_from_equilibrium === 0).toBe(inSupport);
      // The best skill is the game's value: no agent's skill exceeds it.
      const best = Math.max(...r.game.skills);
      expect(best - r.game.skills[0]).toBeCloseTo(r.overall.deviation_from_equilibrium, 9);
    }
  });

  it('a candidate better than everyone everywhere: deviation 0, no conflict, accept', () => {
    const rng = new Generator(8);
    for (let g = 0; g < 20; g++) {
      const k = 1 + rng.integers(0, 5);
      const others = randomPopulation(rng, 2 + rng.integers(0, 5), k).slice(1);
      const top = E.slice(0, k).map(
        (e) => Math.max(...others.map((a) => a.perEnvMeanReturn[e])) + rng.uniform(1, 10),
      );
      const pop = [...others, agent('cand', top, 'candidate')];
      const r = scoreNash(pop, 'cand', { environments: E.slice(0, k) });
      expect(r.overall.deviation_from_equilibrium).toBe(0);
      expect(r.overall.conflict_score).toBe(0);
      expect(r.overall.recommendation).toBe('accept');
      expect(r.overall.equilibrium?.find((q) => q.agent === 'cand')?.weight).toBeCloseTo(1, 9);
      for (const s of Object.values(r.perEnvironment)) expect(s.recommendation).toBe('accept');
    }
  });

  it('a strictly dominated candidate is never accepted, and is rejected when far off', () => {
    const rng = new Generator(9);
    for (let g = 0; g < 20; g++) {
      const k = 1 + rng.integers(0, 5);
      const pop = randomPopulation(rng, 2 + rng.integers(0, 4), k).map((a) => ({
        ...a,
        kind: 'baseline' as const,
      }));
      const victim = pop[rng.integers(0, pop.length)];
      const worse = E.slice(0, k).map((e) => victim.perEnvMeanReturn[e] - rng.uniform(20, 60));
      const r = scoreNash([...pop, agent('cand', worse, 'candidate')], 'cand', {
        environments: E.slice(0, k),
      });
      expect(r.game.dominatedBy).toContain(victim.id);
      expect(r.overall.deviation_from_equilibrium).toBeGreaterThan(0);
      expect(r.overall.recommendation).not.toBe('accept');
      if (r.overall.deviation_from_equilibrium > 0.5 && r.overall.stability_score >= 0.8) {
        expect(r.overall.recommendation).toBe('reject');
      }
      expect(r.overall.details).toContain('dominated by');
    }
  });

  it("duplicating a baseline changes neither the candidate's deviation nor the conflict", () => {
    // Continuous random scores: the equilibrium is unique with probability one. A copy adds a
    // row equal to an existing one, which leaves the environment player's optimal set — and so
    // its maxent mixture q* — unchanged; the copy's weight splits with the original's.
    const rng = new Generator(10);
    for (let g = 0; g < 30; g++) {
      const n = 2 + rng.integers(0, 5);
      const k = 1 + rng.integers(0, 5);
      const pop = randomPopulation(rng, n, k);
      const d = 1 + rng.integers(0, n - 1);
      const copy = { ...pop[d], id: `${pop[d].id}-copy` };
      const base = scoreNash(pop, 'a0', { environments: E.slice(0, k) });
      const dup = scoreNash([...pop, copy], 'a0', { environments: E.slice(0, k) });
      expect(dup.overall.deviation_from_equilibrium).toBeCloseTo(base.overall.deviation_from_equilibrium, 8);
      expect(dup.overall.conflict_score).toBeCloseTo(base.overall.conflict_score, 8);
      dup.game.environmentWeights.forEach((q, j) => {
        expect(q).toBeCloseTo(base.game.environmentWeights[j], 7);
      });
      expect(dup.game.agentWeights[d] + dup.game.agentWeights[n]).toBeCloseTo(base.game.agentWeights[d], 7);
    }
  });

  it('environments that rank the agents the same way: conflict 0 everywhere', () => {
    const rng = new Generator(11);
    for (let g = 0; g < 20; g++) {
      const n = 2 + rng.integers(0, 5);
      const k = 2 + rng.integers(0, 4);
      const quality = Array.from({ length: n }, () => rng.uniform(0, 1));
      // Each environment applies its own increasing transform to the common quality.
      const transforms = Array.from({ length: k }, () => {
        const a = rng.uniform(1, 100);
        const b = rng.uniform(-50, 50);
        const p = rng.uniform(0.3, 3);
        return (q: number) => b + a * q ** p;
      });
      const pop = quality.map((q, i) =>
        agent(
          `a${i}`,
          transforms.map((f) => f(q)),
          i === 0 ? 'candidate' : 'baseline',
        ),
      );
      const r = scoreNash(pop, 'a0', { environments: E.slice(0, k) });
      expect(r.overall.conflict_score).toBe(0);
      for (const s of Object.values(r.perEnvironment)) expect(s.conflict_score).toBe(0);
    }
  });

  it('perfectly opposed rankings: conflict 1', () => {
    for (const n of [2, 3, 5]) {
      // Evenly spaced returns, reversed on the second environment.
      const pop = Array.from({ length: n }, (_, i) =>
        agent(`a${i}`, [10 * i, 10 * (n - 1 - i)], i === 0 ? 'candidate' : 'baseline'),
      );
      const r = scoreNash(pop, 'a0', { environments: ['E1', 'E2'] });
      expect(r.overall.conflict_score).toBeCloseTo(1, 9);
      expect(r.perEnvironment.E1.conflict_score).toBeCloseTo(1, 9);
      expect(r.perEnvironment.E2.conflict_score).toBeCloseTo(1, 9);
      expect(r.overall.recommendation).not.toBe('accept');
    }
    // A compromise agent that is nearly best on both lowers the conflict: regrets
    // (0, 1), (1, 0), (0.1, 0.1) → w = 0.1 against the winner-takes-all ½.
    const pop = [agent('a', [100, 0], 'candidate'), agent('b', [0, 100]), agent('c', [90, 90])];
    expect(scoreNash(pop, 'a', { environments: ['E1', 'E2'] }).overall.conflict_score).toBeCloseTo(0.2, 9);
  });

  it('is deterministic for a seed', () => {
    const rng = new Generator(13);
    const pop = [
      noisyAgent('a', [50, 60, 70], 10, rng),
      noisyAgent('b', [52, 55, 75], 10, rng),
      noisyAgent('c', [40, 70, 60], 10, rng),
    ];
    const opts = { environments: E.slice(0, 3), perturbations: 60, seed: 3 };
    const r1 = scoreNash(pop, 'a', opts);
    expect(scoreNash(pop, 'a', opts)).toEqual(r1);
    expectValid(r1);
  });
});

describe('scoreNash: stability', () => {
  it('clear margins are stable; differences within the noise are not', () => {
    const rng = new Generator(21);
    const envs = E.slice(0, 2);
    // The candidate is far below the baseline on both environments (margin 30 SEs).
    const clear = [noisyAgent('cand', [0, 0], 5, rng), noisyAgent('base', [60, 60], 5, rng)];
    const r1 = scoreNash(clear, 'cand', { environments: envs, perturbations: 100 });
    expect(r1.game.perturbations).toBe(100);
    expect(r1.overall.stability_score).toBe(1);
    expect(r1.overall.recommendation).toBe('reject');
    // On one environment, the baseline's returns are the candidate's plus 0.5, a tenth of the
    // standard error of the difference (sd 20, 30 episodes each: √(2·20²/30) ≈ 5.2): the
    // bootstrap puts the candidate ahead (accept) or behind (reject) about equally often.
    const cand = noisyAgent('cand', [50], 20, rng);
    const shifted = (cand.perEnvReturns?.E1 ?? []).map((v) => v + 0.5);
    const base: PopulationAgent = {
      id: 'base',
      kind: 'baseline',
      agent_type: 'ppo',
      perEnvMeanReturn: { E1: (cand.perEnvMeanReturn.E1 ?? 0) + 0.5 },
      perEnvReturns: { E1: shifted },
    };
    const tie = [cand, base];
    const r2 = scoreNash(tie, 'cand', { environments: ['E1'], perturbations: 100 });
    expect(r2.overall.stability_score).toBeGreaterThan(0.2);
    expect(r2.overall.stability_score).toBeLessThan(0.8);
    expect(r2.overall.recommendation).toBe('review');
    expectValid(r2);
  });

  it('uses standard errors where raw returns are absent', () => {
    const envs = ['E1'];
    const pop = [agent('cand', [10], 'candidate', envs), agent('base', [11], 'baseline', envs)];
    const exact = scoreNash(pop, 'cand', { perturbations: 100 });
    expect(exact.game.perturbations).toBe(0);
    expect(exact.overall.stability_score).toBe(1);
    const withSe = pop.map((a) => ({ ...a, perEnvStdError: { E1: 5 } }));
    const noisy = scoreNash(withSe, 'cand', { perturbations: 100 });
    expect(noisy.game.perturbations).toBe(100);
    expect(noisy.overall.stability_score).toBeLessThan(0.8);
    expect(noisy.overall.stability_score).toBeGreaterThan(0.2);
    expect(noisy.perEnvironment.E1.stability_score).toBe(noisy.overall.stability_score);
  });
});

describe('scoreNash: degenerate populations', () => {
  it('a population of one gets neutral scores', () => {
    const r = scoreNash([agent('solo', [1, 2, 3], 'candidate')], 'solo', { environments: E.slice(0, 3) });
    for (const s of [r.overall, ...Object.values(r.perEnvironment)]) {
      expect(s.conflict_score).toBe(0);
      expect(s.deviation_from_equilibrium).toBe(0);
      expect(s.stability_score).toBe(1);
      expect(s.recommendation).toBe('accept');
      expect(s.equilibrium).toEqual([{ agent: 'solo', weight: 1 }]);
    }
    expectValid(r);
  });

  it('agents missing an environment are left out', () => {
    const partial = { ...agent('partial', [5]), perEnvMeanReturn: { E1: 5 } };
    const r = scoreNash([agent('cand', [1, 2], 'candidate'), partial], 'cand', {
      environments: ['E1', 'E2'],
    });
    expect(r.game.excludedAgents).toEqual(['partial']);
    expect(r.game.agents).toEqual(['cand']);
    expect(r.overall.recommendation).toBe('accept');
    expect(r.overall.details).toContain('not scored: partial');
    const r2 = scoreNash([agent('cand', [1, 2], 'candidate'), partial, agent('b', [3, 0])], 'cand', {
      environments: ['E1', 'E2'],
    });
    expect(r2.game.agents).toEqual(['cand', 'b']);
    expect(r2.overall.details).toContain('partial');
  });

  it('with one environment the overall scores are that environment’s', () => {
    const rng = new Generator(31);
    for (let g = 0; g < 10; g++) {
      const pop = [
        noisyAgent('c', [rng.uniform(0, 50)], 15, rng, 20),
        noisyAgent('b', [rng.uniform(0, 50)], 15, rng, 20),
      ];
      const r = scoreNash(pop, 'c', { environments: ['E1'], perturbations: 40, seed: g });
      const e = r.perEnvironment.E1;
      expect(r.overall.conflict_score).toBe(0);
      expect(e.conflict_score).toBe(0);
      expect(r.overall.deviation_from_equilibrium).toBeCloseTo(e.deviation_from_equilibrium, 12);
      expect(r.overall.stability_score).toBe(e.stability_score);
      expect(r.overall.recommendation).toBe(e.recommendation);
    }
  });

  it('rejects malformed input', () => {
    const ok = [agent('c', [1], 'candidate', ['E1']), agent('b', [2], 'baseline', ['E1'])];
    expect(() => scoreNash([], 'c')).toThrow(ValidationError);
    expect(() => scoreNash(ok, 'missing')).toThrow(ValidationError);
    expect(() => scoreNash([...ok, agent('b', [3], 'other', ['E1'])], 'c')).toThrow(ValidationError);
    expect(() => scoreNash([agent('c', [Number.NaN], 'candidate', ['E1'])], 'c')).toThrow(ValidationError);
    expect(() => scoreNash(ok, 'c', { environments: ['E2'] })).toThrow(ValidationError);
    expect(() => scoreNash(ok, 'c', { environments: [] })).toThrow(ValidationError);
    expect(() => scoreNash(ok, 'c', { thresholds: { acceptDeviation: 0.6, rejectDeviation: 0.5 } })).toThrow(
      ValidationError,
    );
    expect(() => scoreNash(ok, 'c', { perturbations: -1 })).toThrow(ValidationError);
    expect(() => scoreNash(ok, 'c', { significance: -0.1 })).toThrow(ValidationError);
    expect(() => scoreNash([{ ...ok[0], kind: 'boss' as 'other' }], 'c')).toThrow(ValidationError);
  });
});

describe('scoreNash: head-to-head', () => {
  it('win probabilities from raw returns (known answer) and equilibria of the bimatrix game', () => {
    // One environment. A: 1, 2, 3; B: 2, 2, 2; C: 0, 0, 4.
    // P(A > B): only 3 > 2 → 3/9; P(B > A): 2 > 1 → 3/9; P(A > A'): pairs (2,1), (3,1), (3,2) → 3/9;
    // P(B > B') = 0; P(C > A): 4 beats 1, 2, 3 → 3/9; P(A > C): 1, 2, 3 beat 0 twice → 6/9;
    // P(C > B) = 3/9; P(B > C) = 6/9; P(C > C'): 4 beats two 0s → 2/9.
    const withRaw = (
      id: string,
      raw: number[],
      kind: PopulationAgent['kind'] = 'baseline',
    ): PopulationAgent => ({
      id,
      kind,
      agent_type: 'dqn',
      perEnvMeanReturn: { E1: raw.reduce((a, b) => a + b, 0) / raw.length },
      perEnvReturns: { E1: raw },
    });
    const pop = [withRaw('A', [1, 2, 3], 'candidate'), withRaw('B', [2, 2, 2]), withRaw('C', [0, 0, 4])];
    const r = scoreNash(pop, 'A', { perturbations: 0 });
    const h = r.game.headToHead;
    expect(h).not.toBeNull();
    if (h === null) return;
    const expected = [
      [3, 3, 6],
      [3, 0, 6],
      [3, 3, 2],
    ].map((row) => row.map((v) => v / 9));
    h.win.forEach((row, i) => {
      row.forEach((v, j) => {
        expect(v).toBeCloseTo(expected[i][j], 14);
      });
    });
    expect(h.equilibria.length).toBeGreaterThan(0);
    const winT = h.win.map((_, i) => h.win.map((row) => row[i]));
    for (const eq of h.equilibria) {
      const reg = regrets(h.win, winT, eq.row, eq.col);
      expect(reg.row).toBeLessThan(1e-9);
      expect(reg.col).toBeLessThan(1e-9);
    }
    expect(h.alphaRank.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(h.candidateAlphaRank).toBeGreaterThanOrEqual(1);
    // No agent wins more than it loses against A (B: 3/9 vs 3/9; C: 3/9 vs 6/9).
    expect(h.strongestRival).toBeNull();
  });

  it('names the strongest rival and is absent without raw returns', () => {
    const rng = new Generator(41);
    const pop = [noisyAgent('cand', [0, 0], 10, rng), noisyAgent('rival', [15, 15], 10, rng)];
    const r = scoreNash(pop, 'cand', { environments: ['E1', 'E2'], perturbations: 0 });
    expect(r.game.headToHead?.strongestRival?.agent).toBe('rival');
    expect(r.game.headToHead?.strongestRival?.winsAgainstCandidate).toBeGreaterThan(0.8);
    expect(r.overall.details).toContain('head to head');
    expect(
      scoreNash(pop, 'cand', { environments: ['E1', 'E2'], headToHead: false }).game.headToHead,
    ).toBeNull();
    const bare = [agent('cand', [0, 0], 'candidate'), agent('rival', [1, 1])];
    expect(scoreNash(bare, 'cand', { environments: ['E1', 'E2'] }).game.headToHead).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { StateError, ValidationError } from '../../src/errors.js';
import { detectRegression } from '../../src/evaluation/regression.js';
import type { BaselineMetrics, Verdict } from '../../src/evaluation/schemas.js';
import {
  alphaSpent,
  createSequentialTest,
  groupSequentialBoundaries,
  groupSequentialRejectionProbability,
  planSequentialDesign,
  type SequentialDesign,
  type SequentialStep,
} from '../../src/evaluation/sequential.js';
import { Generator } from '../../src/rng/index.js';
import { mean, normalIsf, normalSf, std, zTestPower } from '../../src/stats/index.js';

function rec(returns: number[]): BaselineMetrics {
  return {
    num_episodes: returns.length,
    mean_reward: mean(returns),
    std_reward: std(returns),
    episode_returns: returns,
  };
}

function draw(g: Generator, n: number, m: number, s: number): number[] {
  return Array.from({ length: n }, () => g.normal(m, s));
}

describe('alpha spending (Lan & DeMets 1983)', () => {
  it('matches the closed forms (values from SciPy: 2·norm.sf(norm.isf(α/2)/√t), α·log(1 + (e − 1)t))', () => {
    expect(alphaSpent('obrien-fleming', 0.05, 0.5)).toBeCloseTo(0.005574596680784402, 14);
    expect(alphaSpent('pocock', 0.05, 0.5)).toBeCloseTo(0.031005725347913876, 14);
  });

  it('is 0 at t = 0, alpha at t ≥ 1, increasing in between', () => {
    for (const kind of ['obrien-fleming', 'pocock'] as const) {
      expect(alphaSpent(kind, 0.05, 0)).toBe(0);
      expect(alphaSpent(kind, 0.05, 1)).toBe(0.05);
      expect(alphaSpent(kind, 0.05, 1.3)).toBe(0.05);
      let prev = 0;
      for (let t = 0.05; t < 1; t += 0.05) {
        const a = alphaSpent(kind, 0.05, t);
        expect(a).toBeGreaterThan(prev);
        prev = a;
      }
      expect(prev).toBeLessThan(0.05);
    }
  });
});

describe('group-sequential boundaries (numerical integration, Jennison & Turnbull ch. 19)', () => {
  // Known answers from an independent computation: SciPy's multivariate_normal CDF (Genz's
  // algorithm, abseps 1e-12) of the canonical joint distribution corr(Z_j, Z_k) = √(I_j/I_k),
  // each boundary solved with brentq so that P(cross at look k first) = α(t_k) − α(t_{k−1});
  // the power is 1 − P(Z_k < c_k for all k) with E[Z_k] = 0.3·√I_k.
  const infos = [20, 45, 70];

  it("O'Brien-Fleming-type spending, unequal looks", () => {
    const b = groupSequentialBoundaries(infos, 0.05, 'obrien-fleming');
    [3.485459646389481, 2.1856540312719384, 1.688916283499171].forEach((v, k) => {
      expect(b[k]).toBeCloseTo(v, 5);
    });
    expect(groupSequentialRejectionProbability(infos, b, 0.3)).toBeCloseTo(0.8002659189578821, 5);
    expect(groupSequentialRejectionProbability(infos, b, 0)).toBeCloseTo(0.05, 9);
  });

  it('Pocock-type spending, unequal looks', () => {
    const b = groupSequentialBoundaries(infos, 0.05, 'pocock');
    [2.054363502554533, 1.9860308448741728, 1.9699933857325176].forEach((v, k) => {
      expect(b[k]).toBeCloseTo(v, 5);
    });
    expect(groupSequentialRejectionProbability(infos, b, 0.3)).toBeCloseTo(0.7463966082863993, 5);
  });

  it("reproduces the published five-look O'Brien-Fleming-type boundaries", () => {
    // Jennison & Turnbull (2000) and gsDesign's sfLDOF, K = 5 equal looks, one-sided 0.025:
    // 4.877, 3.357, 2.680, 2.290, 2.031. The boundaries depend only on information ratios.
    const b = groupSequentialBoundaries([1, 2, 3, 4, 5], 0.025);
    [4.877, 3.357, 2.68, 2.29, 2.031].forEach((v, k) => {
      expect(b[k]).toBeCloseTo(v, 3);
    });
    expect(groupSequentialBoundaries([10, 20, 30, 40, 50], 0.025)).toEqual(
      b.map((v) => expect.closeTo(v, 9)),
    );
  });

  it('one look is the fixed-sample z-test', () => {
    const [c] = groupSequentialBoundaries([37], 0.05);
    expect(c).toBeCloseTo(normalIsf(0.05), 12);
    expect(groupSequentialRejectionProbability([37], [c], 0.25)).toBeCloseTo(
      zTestPower(0.25, 1, 37, 0.05),
      12,
    );
  });

  it('agrees with a Monte Carlo simulation of the canonical joint distribution', () => {
    // Z_k = S_k/√I_k with S a Brownian motion with drift: independent increments N(θΔ, Δ).
    const b = groupSequentialBoundaries(infos, 0.05);
    const g = new Generator(123);
    const paths = 100_000;
    for (const theta of [0, 0.3]) {
      let rejected = 0;
      for (let p = 0; p < paths; p++) {
        let s = 0;
        let prev = 0;
        for (let k = 0; k < infos.length; k++) {
          const d = infos[k] - prev;
          s += theta * d + Math.sqrt(d) * g.standardNormal();
          prev = infos[k];
          if (s / Math.sqrt(infos[k]) >= b[k]) {
            rejected++;
            break;
          }
        }
      }
      const expected = groupSequentialRejectionProbability(infos, b, theta);
      const se = Math.sqrt((expected * (1 - expected)) / paths);
      expect(Math.abs(rejected / paths - expected)).toBeLessThan(4 * se);
    }
  });

  it('validates the information levels', () => {
    expect(() => groupSequentialBoundaries([], 0.05)).toThrow(ValidationError);
    expect(() => groupSequentialBoundaries([3, 2], 0.05)).toThrow(/increasing/);
    expect(() => groupSequentialBoundaries([0, 2], 0.05)).toThrow(ValidationError);
    expect(() => groupSequentialRejectionProbability([1, 2], [3], 0)).toThrow(ValidationError);
  });
});

describe('planSequentialDesign', () => {
  it('picks the smallest cap on the schedule with the requested power', () => {
    const d = planSequentialDesign({
      baselineEpisodes: 100,
      extendBaseline: true,
      balanced: true,
      effectSize: 0.3,
    });
    expect(d.plannedPower).toBeGreaterThanOrEqual(0.9);
    const smaller = planSequentialDesign({
      baselineEpisodes: 100,
      extendBaseline: true,
      balanced: true,
      effectSize: 0.3,
      maxEpisodes: d.maxEpisodes - d.batchSize,
    });
    expect(smaller.plannedPower).toBeLessThan(0.9);
    // Balanced looks: n_b = n_c; the first at 50, then every 25.
    expect(d.looks[0]).toEqual({ current: 50, baseline: 50 });
    expect(d.looks[1]).toEqual({ current: 75, baseline: 75 });
    expect(d.looks.at(-1)?.current).toBe(d.maxEpisodes);
    expect(d.inflation).toBeGreaterThan(1);
    expect(d.inflation).toBeLessThan(1.25);
  });

  it('without an effect size uses the hard cap; an infinite one needs a single look', () => {
    const none = planSequentialDesign({ baselineEpisodes: 100, maxEpisodes: 300 });
    expect(none.maxEpisodes).toBe(300);
    expect(none.plannedPower).toBeNull();
    expect(none.looks.map((l) => l.current)).toEqual([50, 75, 100, 125, 150, 175, 200, 225, 250, 275, 300]);
    expect(none.looks.every((l) => l.baseline === 100)).toBe(true); // neither extended nor balanced
    const inf = planSequentialDesign({ baselineEpisodes: 100, effectSize: Number.POSITIVE_INFINITY });
    expect(inf.looks).toHaveLength(1);
    expect(inf.boundaries[0]).toBeCloseTo(normalIsf(0.05), 12);
  });

  it('reports the power a too-small hard cap achieves', () => {
    // A fixed baseline of 100 bounds the information at 100/σ²: a 0.2σ drop can never reach 90%.
    const d = planSequentialDesign({ baselineEpisodes: 100, effectSize: 0.2, maxEpisodes: 400 });
    expect(d.maxEpisodes).toBe(400);
    expect(d.plannedPower).toBeLessThan(0.9);
    expect(d.inflation).toBeNull(); // nothing to re-plan: the cap is already the hard cap
  });

  it('validates its options', () => {
    expect(() => planSequentialDesign({ baselineEpisodes: 1 })).toThrow(/baselineEpisodes/);
    expect(() => planSequentialDesign({ baselineEpisodes: 100, minEpisodes: 1 })).toThrow(/minEpisodes/);
    expect(() => planSequentialDesign({ baselineEpisodes: 100, maxEpisodes: 10 })).toThrow(/maxEpisodes/);
    expect(() => planSequentialDesign({ baselineEpisodes: 100, alpha: 0.6 })).toThrow(/alpha/);
    expect(() => planSequentialDesign({ baselineEpisodes: 100, effectSize: -1 })).toThrow(/effectSize/);
    expect(() => planSequentialDesign({ baselineEpisodes: 100, spending: 'haybittle' as 'pocock' })).toThrow(
      /spending/,
    );
  });
});

/** Runs a test to its decision, playing what it asks for from the two distributions. */
function runToDecision(
  g: Generator,
  baseline: number[],
  design: SequentialDesign,
  cur: { m: number; s: number },
  base: { m: number; s: number },
): SequentialStep {
  const test = createSequentialTest({ baseline: rec(baseline), design });
  let next = test.firstBatch();
  for (;;) {
    const step = test.update({
      current: draw(g, next.current, cur.m, cur.s),
      baseline: draw(g, next.baseline, base.m, base.s),
    });
    if (step.decision !== 'continue') return step;
    next = step.next ?? { current: 0, baseline: 0 };
  }
}

describe('the sequential test: error rates by seeded simulation', () => {
  // Baseline N(100, 20²) with 60 stored episodes, the threshold 10% = 10 = 0.5σ; looks every
  // 10 episodes from 20, baseline replayed, equal numbers compared. 500 runs per case.
  const design = planSequentialDesign({
    baselineEpisodes: 60,
    extendBaseline: true,
    balanced: true,
    batchSize: 10,
    minEpisodes: 20,
    effectSize: 0.5,
  });
  const runs = 500;
  const se = Math.sqrt((0.05 * 0.95) / runs); // Monte Carlo standard error at the nominal 5%

  function rates(seed: number, currentMean: number): { rate: Record<Verdict, number>; episodes: number[] } {
    const g = new Generator(seed);
    const count: Record<Verdict, number> = {
      regression: 0,
      no_regression: 0,
      improvement: 0,
      inconclusive: 0,
    };
    const episodes: number[] = [];
    for (let r = 0; r < runs; r++) {
      const step = runToDecision(
        g,
        draw(g, 60, 100, 20),
        design,
        { m: currentMean, s: 20 },
        { m: 100, s: 20 },
      );
      count[step.decision as Verdict]++;
      episodes.push(step.episodes.current);
    }
    const rate = { ...count };
    for (const k of Object.keys(rate) as Verdict[]) rate[k] /= runs;
    return { rate, episodes };
  }

  it('has several looks', () => {
    expect(design.looks.length).toBeGreaterThanOrEqual(5);
  });

  it('calls a regression without a drop at most alpha of the time (plus Monte Carlo error)', () => {
    const { rate } = rates(1, 100);
    expect(rate.regression).toBeLessThanOrEqual(0.05 + 2.5 * se);
    expect(rate.improvement).toBeLessThanOrEqual(0.05 + 2.5 * se);
    expect(rate.no_regression).toBeGreaterThan(0.8);
  });

  it('rules out a threshold-sized drop at most alpha of the time, and detects it with the planned power', () => {
    const { rate } = rates(2, 90);
    expect(rate.no_regression + rate.improvement).toBeLessThanOrEqual(0.05 + 2.5 * se);
    expect(rate.regression).toBeGreaterThan((design.plannedPower ?? 1) - 0.05);
  });

  it('stops early on large drops', () => {
    const huge = rates(3, 40); // a 60% drop: 3σ, z ≈ 9.5 at the first look
    expect(huge.rate.regression).toBe(1);
    expect(Math.max(...huge.episodes)).toBe(20);
    const large = rates(4, 60); // a 40% drop: 2σ
    expect(large.rate.regression).toBe(1);
    expect(mean(large.episodes)).toBeLessThan(25);
    expect(design.maxEpisodes).toBeGreaterThanOrEqual(60);
  });
});

describe('the sequential test: one run', () => {
  const g = new Generator(9);
  const baseline = draw(g, 100, -83, 25);

  it('asks for balanced batches and replays the baseline past its stored episodes', () => {
    const test = createSequentialTest({ baseline: rec(baseline), extendBaseline: true, maxEpisodes: 400 });
    expect(test.design.balanced).toBe(true);
    expect(test.firstBatch()).toEqual({ current: 50, baseline: 0 });
    const h = new Generator(10);
    let step = test.update({ current: draw(h, 30, -83, 25) });
    expect(step.decision).toBe('continue');
    expect(step.look).toBe(0);
    expect(step.next).toEqual({ current: 20, baseline: 0 });
    step = test.update({ current: draw(h, 20, -83, 25) });
    expect(step.look).toBe(1);
    expect(step.compared).toEqual({ current: 50, baseline: 50 });
    expect(step.boundary).toBeGreaterThan(2.5); // an early O'Brien-Fleming boundary is strict
    let next = step.next ?? { current: 0, baseline: 0 };
    while (step.decision === 'continue' && step.episodes.current < 100) {
      step = test.update({
        current: draw(h, next.current, -83, 25),
        baseline: draw(h, next.baseline, -83, 25),
      });
      next = step.next ?? { current: 0, baseline: 0 };
    }
    if (step.decision === 'continue') {
      expect(step.episodes).toEqual({ current: 100, baseline: 100 });
      expect(step.next).toEqual({ current: 25, baseline: 25 });
    }
  });

  it('is deterministic: the same batches give the same steps', () => {
    const play = () => {
      const h = new Generator(11);
      const t = createSequentialTest({ baseline: rec(baseline), extendBaseline: true });
      const steps: SequentialStep[] = [];
      let next = t.firstBatch();
      for (;;) {
        const s = t.update({
          current: draw(h, next.current, -88, 25),
          baseline: draw(h, next.baseline, -83, 25),
        });
        steps.push(s);
        if (s.decision !== 'continue') return steps;
        next = s.next ?? { current: 0, baseline: 0 };
      }
    };
    expect(play()).toEqual(play());
  });

  it('gives stage-wise p-values; at the first look they are the plain z tail', () => {
    const t = createSequentialTest({ baseline: rec(baseline), extendBaseline: true });
    const step = t.update({ current: draw(new Generator(12), 50, -130, 25) });
    expect(step.decision).toBe('regression');
    expect(step.look).toBe(1);
    expect(step.pValues?.drop).toBeCloseTo(normalSf(step.z?.drop ?? 0), 14);
    expect(step.pValues?.drop).toBeLessThanOrEqual(
      alphaSpent('obrien-fleming', 0.05, step.informationFraction),
    );
    expect(step.evidence?.dropRejected).toBe(true);
    expect(() => t.update({ current: [1, 2] })).toThrow(StateError);
  });

  it('hands its decision to detectRegression, which adds the policy checks and words', () => {
    const h = new Generator(13);
    const cur = draw(h, 50, -130, 25);
    const step = createSequentialTest({ baseline: rec(baseline), extendBaseline: true }).update({
      current: cur,
    });
    const evidence = step.evidence ?? undefined;
    expect(evidence).toBeDefined();
    const report = detectRegression(rec(cur), rec(baseline), {}, { evidence });
    expect(report.verdict).toBe('regression');
    expect(report.metrics.p_value).toBe(step.pValues?.drop);
    expect(report.details).toContain(
      "group-sequential test, O'Brien-Fleming-type spending, stopped at look 1",
    );
    expect(report.severity).toBe('critical'); // a 57% drop
  });

  it('re-plans the cap from the first look’s variances, never below the plan', () => {
    const design = planSequentialDesign({
      baselineEpisodes: 100,
      extendBaseline: true,
      balanced: true,
      effectSize: 8.3 / 25,
      maxEpisodes: 2000,
    });
    const h = new Generator(14);
    const noisy = createSequentialTest({ baseline: rec(baseline), design });
    const s1 = noisy.update({ current: draw(h, 50, -83, 75) });
    expect(s1.cap).toBeGreaterThan(design.maxEpisodes);
    const quiet = createSequentialTest({ baseline: rec(baseline), design });
    expect(quiet.update({ current: draw(h, 50, -83, 5) }).cap).toBe(design.maxEpisodes);
    const fixed = createSequentialTest({ baseline: rec(baseline), design, reestimate: false });
    expect(fixed.update({ current: draw(h, 50, -83, 75) }).cap).toBe(design.maxEpisodes);
  });

  it('decides at once between identical constant samples (CartPole at 500)', () => {
    const t = createSequentialTest({ baseline: rec(new Array(100).fill(500)) });
    expect(t.design.looks).toHaveLength(1); // σ = 0: any drop is infinitely many σ
    const step = t.update({ current: new Array(50).fill(500) });
    expect(step.decision).toBe('no_regression');
    expect(step.z?.drop).toBeNaN();
  });

  it('rejects what it cannot use', () => {
    expect(() => createSequentialTest({ baseline: rec([5]) })).toThrow(ValidationError);
    expect(() =>
      createSequentialTest({
        baseline: { num_episodes: 100, mean_reward: 3, std_reward: 1 },
        balanced: true,
      }),
    ).toThrow(/raw episode_returns/);
    const t = createSequentialTest({ baseline: rec(baseline) });
    expect(t.design.extendBaseline).toBe(false);
    expect(() => t.update({ current: [1], baseline: [2] })).toThrow(/does not extend the baseline/);
    expect(() => t.update({ current: [1, Number.NaN] })).toThrow(ValidationError);
    const design = planSequentialDesign({ baselineEpisodes: 50 });
    expect(() => createSequentialTest({ baseline: rec(baseline), design })).toThrow(/planned for 50/);
  });

  it('works from a summary-only baseline (unbalanced)', () => {
    const t = createSequentialTest({
      baseline: { num_episodes: 100, mean_reward: -83, std_reward: 25 },
      extendBaseline: true,
    });
    expect(t.design.balanced).toBe(false);
    const step = t.update({ current: draw(new Generator(15), 50, -83, 25) });
    expect(step.compared).toEqual({ current: 50, baseline: 100 });
  });
});

import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import {
  DEFAULT_REGRESSION_THRESHOLDS,
  detectRegression,
  detectRegressions,
  severityOf,
  verdictOf,
} from '../../src/evaluation/regression.js';
import { type BaselineMetrics, RegressionReport } from '../../src/evaluation/schemas.js';
import { Generator } from '../../src/rng/index.js';
import { bootstrapDifferenceCI, mean, std } from '../../src/stats/index.js';

/** A metrics record of raw returns (failure rate and loss trend optional). */
function rec(returns: number[], extra: Partial<BaselineMetrics> = {}): BaselineMetrics {
  return {
    num_episodes: returns.length,
    mean_reward: mean(returns),
    std_reward: std(returns),
    episode_returns: returns,
    ...extra,
  };
}

/** A summary-only record (no raw arrays), std_reward with ddof 0 as the metrics report it. */
function summary(n: number, m: number, sd0: number, extra: Partial<BaselineMetrics> = {}): BaselineMetrics {
  return { num_episodes: n, mean_reward: m, std_reward: sd0, ...extra };
}

function normals(seed: number, n: number, m: number, s: number): number[] {
  const g = new Generator(seed);
  return Array.from({ length: n }, () => g.normal(m, s));
}

/** Every number in the figures is finite or null (the report is JSON without NaN/Infinity). */
function expectJsonSafe(r: RegressionReport): void {
  expect(Value.Check(RegressionReport, r)).toBe(true);
  for (const [k, v] of Object.entries(r.metrics)) {
    if (typeof v === 'number') expect(Number.isFinite(v), k).toBe(true);
  }
  expect(JSON.parse(JSON.stringify(r))).toEqual(r);
}

// Known answers: computed with SciPy 1.17 / NumPy 2.4 on these two samples —
//   stats.ttest_ind(c, b, equal_var=False, alternative='less'|'greater').pvalue,
//   stats.mannwhitneyu(c, b, alternative='less').pvalue,
//   Hedges' g = J·(mean_c − mean_b)/s_pooled with J = Γ(m/2)/(√(m/2)Γ((m−1)/2)), m = n_c + n_b − 2,
//   the relative non-inferiority test t = (mean_c − 0.9·mean_b)/√(v_c/n_c + 0.81·v_b/n_b) with
//   Welch–Satterthwaite df, p = stats.t.sf(t, df), and its inversion over the margin by
//   optimize.brentq (the margin at which p = 0.05).
const C = [12.1, 9.8, 11.4, 10.2, 8.7, 10.9, 9.5, 11.8, 10.1, 9.9, 7.6, 10.4];
const B = [11.2, 12.5, 10.8, 13.1, 11.9, 12.2, 10.5, 12.8, 11.6, 12.0];

describe('detectRegression: known answers', () => {
  const r = detectRegression(rec(C), rec(B));

  it('reproduces the SciPy p-values, effect size and non-inferiority bound', () => {
    expect(r.metrics.welch_p_value).toBeCloseTo(0.0008486649984290621, 12);
    expect(r.metrics.improvement_p_value).toBeCloseTo(0.9991513350015709, 12);
    expect(r.metrics.mann_whitney_p_value).toBeCloseTo(0.0016718110423013979, 12);
    expect(r.metrics.effect_size).toBeCloseTo(-1.4473619370436357, 10);
    expect(r.metrics.noninferiority_p_value).toBeCloseTo(0.8523303430434405, 10);
    expect(r.metrics.drop_upper_bound_pct).toBeCloseTo(20.23446882296744, 6);
    expect(r.metrics.reward_drop_pct).toBeCloseTo(13.996627318718367, 10);
    expect(r.metrics.variance_ratio).toBeCloseTo(2.272727272727273, 10);
    expect(r.metrics.reward_scale).toBeCloseTo(mean(B), 12);
    expect(r.metrics.n_current).toBe(12);
    expect(r.metrics.n_baseline).toBe(10);
  });

  it('decides by the table: a 14% significant drop, not ruled out to be ≥ 10% → regression, medium', () => {
    expect(r.verdict).toBe('regression');
    expect(r.is_regression).toBe(true);
    expect(r.failed_checks).toEqual(['reward_drop']);
    // m = 14.0 / 10 = 1.4 → medium; confidence 0.99915 ≥ 0.99 and |g| = 1.45 ≥ 0.2: no step down.
    expect(r.severity).toBe('medium');
    expect(r.confidence).toBeCloseTo(1 - 0.0008486649984290621, 12);
    expect(r.metrics.p_value).toBe(r.metrics.welch_p_value);
    expect(r.should_rollback).toBe(false);
    expect(detectRegression(rec(C), rec(B), { rollbackSeverity: 'medium' }).should_rollback).toBe(true);
    expectJsonSafe(r);
  });

  it('reports the seeded bootstrap CI of the difference of means', () => {
    const ci = bootstrapDifferenceCI(C, B, { resamples: 2000, seed: 0, confidence: 0.95 });
    expect(r.metrics.diff_ci).toEqual({ low: ci.low, high: ci.high, level: 0.95 });
    expect(r.metrics.diff_ci?.high).toBeLessThan(0);
  });

  it('writes a sentence with the figures', () => {
    expect(r.details).toMatch(/^Mean return fell 14\.0% \(11\.86 → 10\.2; 95% CI of the difference −/);
    expect(r.details).toContain('12 vs 10 episodes');
    expect(r.details).toContain('one-sided Welch p = 8.5e-4');
    expect(r.details).toContain('Mann-Whitney p = 0.0017');
    expect(r.details).toContain('reward drop 14.0% > 10.0%');
    expect(r.details).toMatch(/: regression, severity medium\.$/);
  });
});

describe('detectRegression: verdicts', () => {
  const base = rec(normals(1, 100, 476, 40), { failure_rate: 0.05 });

  it('clear regression: an 18% drop with a failed failure-rate check, rolled back', () => {
    const r = detectRegression(rec(normals(2, 100, 390, 40), { failure_rate: 0.22 }), base);
    expect(r.verdict).toBe('regression');
    expect(r.failed_checks).toEqual(['failure_rate', 'reward_drop']);
    expect(r.severity).toBe('high'); // m ≈ 1.8 → high
    expect(r.should_rollback).toBe(true);
    expect(r.confidence).toBeGreaterThan(0.999);
    expect(r.details).toContain('failure rate 22.0% > 15.0% (baseline 5.0%)');
    expect(r.details).toMatch(/regression, severity high, roll back\.$/);
    expectJsonSafe(r);
  });

  it('clear no regression: same distribution, a 10% drop ruled out', () => {
    const r = detectRegression(rec(normals(3, 100, 476, 40), { failure_rate: 0.04 }), base);
    expect(r.verdict).toBe('no_regression');
    expect(r.is_regression).toBe(false);
    expect(r.severity).toBe('none');
    expect(r.should_rollback).toBe(false);
    expect(r.failed_checks).toEqual([]);
    expect(r.metrics.p_value).toBe(r.metrics.noninferiority_p_value);
    expect(r.confidence).toBeCloseTo(1 - (r.metrics.noninferiority_p_value ?? 1), 15);
    expect(r.metrics.drop_upper_bound_pct).toBeLessThan(10);
    expect(r.details).toContain('a drop of 10.0% or more is ruled out');
    expectJsonSafe(r);
  });

  it('improvement: a significant gain', () => {
    const r = detectRegression(rec(normals(4, 100, 524, 40)), base);
    expect(r.verdict).toBe('improvement');
    expect(r.severity).toBe('none');
    expect(r.metrics.reward_drop_pct).toBeLessThan(0);
    expect(r.metrics.p_value).toBe(r.metrics.improvement_p_value);
    expect(r.details).toMatch(/^Mean return rose .*: improvement\.$/);
  });

  it('inconclusive at small n with noisy returns, and says how many episodes would do', () => {
    const b = rec(normals(5, 10, -83, 25));
    const c = rec(normals(6, 10, -88, 25));
    const r = detectRegression(c, b);
    expect(r.verdict).toBe('inconclusive');
    expect(r.severity).toBe('none');
    expect(r.confidence).toBeLessThan(0.95);
    expect(r.confidence).toBeCloseTo(1 - (r.metrics.welch_p_value ?? 1), 15);
    expect(r.details).toContain('no significant drop, and a drop of 10.0% or more is not ruled out');
    expect(r.details).toMatch(
      /: inconclusive; about \d+ episodes per side would tell a 10\.0% drop from noise with 90% power\.$/,
    );
  });

  it('negative rewards: lower is a drop, higher a gain (Acrobot-like)', () => {
    const b = rec(normals(7, 100, -83, 5));
    const worse = detectRegression(rec(normals(8, 100, -100, 5)), b);
    expect(worse.metrics.reward_drop_pct).toBeGreaterThan(15);
    expect(worse.verdict).toBe('regression');
    const better = detectRegression(rec(normals(9, 100, -70, 5)), b);
    expect(better.metrics.reward_drop_pct).toBeLessThan(-10);
    expect(better.verdict).toBe('improvement');
  });

  it('a significant but small drop is no_regression, unless a policy check fails', () => {
    // 2% drop with tiny spread: the drop test rejects, and so does "drop ≥ 10%".
    const b = rec(normals(10, 100, 500, 5));
    const c = normals(11, 100, 490, 5);
    const quiet = detectRegression(rec(c), b);
    expect(quiet.metrics.welch_p_value).toBeLessThan(1e-10);
    expect(quiet.verdict).toBe('no_regression');
    expect(quiet.details).toContain('the drop is significant but smaller than that: no regression.');
    const failing = detectRegression(rec(c, { failure_rate: 0.3 }), b);
    expect(failing.verdict).toBe('regression');
    // m = 0.2 → low, raised to medium by the failed check; confidence ≈ 1 and |g| ≈ 2 keep it there.
    expect(failing.severity).toBe('medium');
    expect(failing.should_rollback).toBe(false);
  });
});

describe('policy checks, each alone', () => {
  const bReturns = normals(20, 200, 200, 20);
  const b = rec(bReturns, { failure_rate: 0.05 });
  const same = normals(21, 200, 200, 20);

  it('failure rate: fails strictly above the threshold, configurable', () => {
    expect(detectRegression(rec(same, { failure_rate: 0.2 }), b).failed_checks).toEqual(['failure_rate']);
    expect(detectRegression(rec(same, { failure_rate: 0.15 }), b).failed_checks).toEqual([]);
    expect(
      detectRegression(rec(same, { failure_rate: 0.2 }), b, { failureRate: 0.25 }).failed_checks,
    ).toEqual([]);
    // A standing violation without a drop is reported but is not a regression.
    expect(detectRegression(rec(same, { failure_rate: 0.2 }), b).verdict).not.toBe('regression');
    // Records without a failure rate skip the check.
    expect(detectRegression(rec(same), b).metrics.failure_rate).toBeNull();
  });

  it('reward drop: fails above the percentage of the reward scale', () => {
    const shifted = bReturns.map((x) => x - 0.11 * mean(bReturns)); // exactly 11% lower
    const r = detectRegression(rec(shifted), b);
    expect(r.failed_checks).toEqual(['reward_drop']);
    expect(r.verdict).toBe('regression');
    expect(detectRegression(rec(shifted), b, { rewardDropPct: 15 }).failed_checks).toEqual([]);
  });

  it('loss trend: only when training, above the tolerance', () => {
    expect(detectRegression(rec(same, { loss_trend: 0.02 }), b).failed_checks).toEqual(['loss_trend']);
    expect(detectRegression(rec(same, { loss_trend: 0.01 }), b).failed_checks).toEqual([]);
    expect(detectRegression(rec(same, { loss_trend: null }), b).failed_checks).toEqual([]);
    expect(
      detectRegression(rec(same, { loss_trend: 0.02 }), b, { lossTrendTolerance: 0.03 }).failed_checks,
    ).toEqual([]);
    expect(detectRegression(rec(same, { loss_trend: 0.02 }), b).details).toContain(
      'loss trend +0.02 per update > 0.01',
    );
  });

  it('variance: fails above the multiplier of the baseline variance', () => {
    const m = mean(bReturns);
    const wide = bReturns.map((x) => m + 3 * (x - m)); // exactly 9× the variance, same mean
    const r = detectRegression(rec(wide), b);
    expect(r.failed_checks).toEqual(['variance']);
    expect(r.metrics.variance_ratio).toBeCloseTo(9, 10);
    expect(r.details).toContain("return variance 9× the baseline's > 2.5×");
    expect(detectRegression(rec(wide), b, { varianceMultiplier: 12 }).failed_checks).toEqual([]);
  });
});

describe('Holm across environments', () => {
  // Summary-only records, n = 100 and std 25 on both sides: the standard error of the
  // difference is 25·√(2/99·…) ≈ 3.55, so a 6.7 drop has one-sided Welch p ≈ 0.03.
  const baseA = summary(100, -83, 25);
  const curA = summary(100, -89.7, 25);
  const pair = { current: curA, baseline: baseA };

  it('turns a borderline regression into inconclusive when a second environment joins the family', () => {
    const alone = detectRegression(curA, baseA);
    const p = alone.metrics.welch_p_value ?? 1;
    expect(p).toBeGreaterThan(0.025);
    expect(p).toBeLessThan(0.05);
    expect(alone.verdict).toBe('regression');
    // An 8% drop: below the threshold, but a 10% one is not ruled out — the sentence says so.
    expect(alone.failed_checks).toEqual([]);
    expect(alone.details).toMatch(
      /a drop of 10\.0% or more is not ruled out \(one-sided 95% upper bound 1\d\.\d%\): regression, severity low\.$/,
    );
    const both = detectRegressions({
      acrobot: pair,
      cartpole: { current: summary(100, 500, 1), baseline: summary(100, 500, 1) },
    });
    expect(both.acrobot.verdict).toBe('inconclusive');
    expect(both.acrobot.metrics.p_value).toBeCloseTo(2 * p, 14);
    expect(both.acrobot.metrics.welch_p_value).toBe(p);
    expect(both.acrobot.details).toContain('Holm-adjusted over 2 environments');
    expect(both.cartpole.verdict).toBe('no_regression');
  });

  it('a single environment is the family of one; results do not depend on key order', () => {
    expect(detectRegressions({ x: pair }).x).toEqual(detectRegression(curA, baseA));
    const other = { current: summary(100, 10, 3), baseline: summary(100, 11, 3) };
    const ab = detectRegressions({ a: pair, b: other });
    const ba = detectRegressions({ b: other, a: pair });
    expect(ab.a).toEqual(ba.a);
    expect(ab.b).toEqual(ba.b);
  });

  it('untestable environments are left out of the family', () => {
    const r = detectRegressions({
      a: pair,
      one: { current: summary(100, 5, 1), baseline: summary(1, 5, 0) },
    });
    expect(r.one.verdict).toBe('inconclusive');
    expect(r.a.verdict).toBe('regression'); // the family is {a} alone
  });
});

describe('degenerate inputs', () => {
  const constant = (v: number, n = 100) => rec(new Array(n).fill(v));

  it('both constant and equal (CartPole 500 every episode): no regression, exactly', () => {
    const r = detectRegression(constant(500), constant(500));
    expect(r.verdict).toBe('no_regression');
    expect(r.confidence).toBe(1);
    expect(r.metrics.effect_size).toBe(0);
    expect(r.metrics.welch_p_value).toBe(1);
    expect(r.metrics.variance_ratio).toBe(0);
    expect(r.failed_checks).toEqual([]);
    expect(r.details).toMatch(/^Mean return did not change \(500 → 500/);
    expectJsonSafe(r);
  });

  it('both constant and different: the difference is exact; g is undefined (null)', () => {
    const r = detectRegression(constant(400), constant(500));
    expect(r.verdict).toBe('regression');
    expect(r.metrics.welch_p_value).toBe(0);
    expect(r.metrics.effect_size).toBeNull();
    expect(r.metrics.reward_drop_pct).toBeCloseTo(20, 12);
    expectJsonSafe(r);
    // Exactly at the threshold: 10% is not > 10%, and "drop ≥ 10%" is not ruled out.
    const edge = detectRegression(constant(450), constant(500));
    expect(edge.failed_checks).toEqual([]);
    expect(edge.verdict).toBe('regression');
  });

  it('one constant side: a variance ratio against the floor, and a proper test', () => {
    const cur = rec([...new Array(90).fill(500), ...new Array(10).fill(480)]);
    const r = detectRegression(cur, constant(500));
    // floor (1% of 500)² = 25; the current's variance ≈ 36.4 → ratio ≈ 1.45
    expect(r.metrics.variance_ratio).toBeCloseTo(36.36363636363637 / 25, 10);
    expect(r.failed_checks).toEqual([]);
    // 0.4% drop, significant, and "≥ 10%" ruled out → no regression.
    expect(r.verdict).toBe('no_regression');
  });

  it('a single episode on a side: inconclusive with confidence 0, checks still run', () => {
    for (const [c, b] of [
      [summary(1, 400, 0), summary(100, 500, 10)],
      [summary(100, 400, 10), summary(1, 500, 0)],
      [summary(1, 400, 0, { failure_rate: 1 }), summary(1, 500, 0)],
    ] as const) {
      const r = detectRegression(c, b);
      expect(r.verdict).toBe('inconclusive');
      expect(r.confidence).toBe(0);
      expect(r.metrics.p_value).toBeNull();
      expect(r.metrics.welch_p_value).toBeNull();
      expect(r.failed_checks).toContain('reward_drop');
      expect(r.details).toContain('single episode');
      expectJsonSafe(r);
    }
  });

  it('baseline mean 0: the drop is measured against the baseline std, then the current scale', () => {
    const b = rec(normals(30, 100, 0, 10));
    const r = detectRegression(rec(normals(31, 100, -3, 10)), b);
    expect(r.metrics.reward_scale).toBeCloseTo(Math.sqrt((std(b.episode_returns ?? []) ** 2 * 100) / 99), 10);
    expect(r.details).toContain("relative to the baseline's std");
    const zero = detectRegression(rec(normals(32, 100, -5, 3)), constant(0));
    expect(zero.metrics.reward_scale).toBeGreaterThan(4);
    expect(zero.details).toContain('the baseline is constant at 0');
    expect(zero.verdict).toBe('regression');
    expectJsonSafe(zero);
    const configured = detectRegression(rec(normals(32, 100, -5, 3)), constant(0), { rewardScale: 100 });
    expect(configured.metrics.reward_scale).toBe(100);
    expect(configured.details).toContain('configured reward scale 100');
  });

  it('a baseline without raw arrays: Welch from the summary, no Mann-Whitney, no bootstrap', () => {
    const bRaw = normals(40, 100, 200, 30);
    const cRaw = normals(41, 100, 190, 30);
    const full = detectRegression(rec(cRaw), rec(bRaw));
    const sum = detectRegression(rec(cRaw), summary(100, mean(bRaw), std(bRaw)));
    expect(sum.metrics.welch_p_value).toBeCloseTo(full.metrics.welch_p_value ?? Number.NaN, 12);
    expect(sum.metrics.noninferiority_p_value).toBeCloseTo(
      full.metrics.noninferiority_p_value ?? Number.NaN,
      12,
    );
    expect(sum.metrics.mann_whitney_p_value).toBeNull();
    expect(sum.metrics.diff_ci).toBeNull();
    expect(sum.verdict).toBe(full.verdict);
    // An empty array is the same as no array.
    expect(
      detectRegression(rec(cRaw), { ...summary(100, mean(bRaw), std(bRaw)), episode_returns: [] }),
    ).toEqual(sum);
  });

  it('rejects records that cannot be compared', () => {
    const ok = rec([1, 2, 3]);
    expect(() => detectRegression(summary(0, 1, 0), ok)).toThrow(ValidationError);
    expect(() => detectRegression({ ...ok, num_episodes: 4 }, ok)).toThrow(
      /has 3 returns but num_episodes is 4/,
    );
    expect(() => detectRegression({ ...ok, mean_reward: 2.5 }, ok)).toThrow(/mean_reward/);
    expect(() => detectRegression({ ...ok, std_reward: 9 }, ok)).toThrow(/std_reward/);
    expect(() => detectRegression(rec([1, Number.NaN, 3]), ok)).toThrow(ValidationError);
    expect(() => detectRegression({ ...ok, episode_returns: [1, Number.POSITIVE_INFINITY, 3] }, ok)).toThrow(
      /finite/,
    );
    expect(() => detectRegression(summary(3, Number.NaN, 1), ok)).toThrow(/mean_reward/);
    expect(() => detectRegression(ok, ok, { alpha: 0.7 })).toThrow(/alpha/);
    expect(() => detectRegression(ok, ok, { rollbackSeverity: 'huge' as 'high' })).toThrow(
      /rollbackSeverity/,
    );
    expect(() => detectRegression(ok, ok, { nonsense: 1 } as never)).toThrow(/not a regression threshold/);
    expect(() => detectRegression(ok, ok, { bootstrapResamples: 1.5 })).toThrow(/bootstrapResamples/);
  });
});

describe('determinism and invariance', () => {
  const b = normals(50, 100, 300, 60);
  const c = normals(51, 100, 280, 60);

  it('the same inputs give the same report; the seed moves only the bootstrap CI', () => {
    expect(detectRegression(rec(c), rec(b))).toEqual(detectRegression(rec(c), rec(b)));
    const s1 = detectRegression(rec(c), rec(b), { seed: 1 });
    const s0 = detectRegression(rec(c), rec(b));
    expect(s1.metrics.diff_ci).not.toEqual(s0.metrics.diff_ci);
    expect({ ...s1.metrics, diff_ci: null }).toEqual({ ...s0.metrics, diff_ci: null });
    expect(s1.verdict).toBe(s0.verdict);
  });

  it('the verdict does not use the bootstrap', () => {
    const off = detectRegression(rec(c), rec(b), { bootstrapResamples: 0 });
    const on = detectRegression(rec(c), rec(b));
    expect(off.metrics.diff_ci).toBeNull();
    expect({ ...off, details: '', metrics: { ...off.metrics, diff_ci: null } }).toEqual({
      ...on,
      details: '',
      metrics: { ...on.metrics, diff_ci: null },
    });
  });

  it('is invariant to the order of episodes (up to rounding)', () => {
    const g = new Generator(52);
    const shuffled = [...c];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = g.integers(0, i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const r1 = detectRegression(rec(c), rec(b), { bootstrapResamples: 0 });
    const r2 = detectRegression(rec(shuffled), rec(b), { bootstrapResamples: 0 });
    expect(r2.verdict).toBe(r1.verdict);
    for (const k of [
      'welch_p_value',
      'mann_whitney_p_value',
      'noninferiority_p_value',
      'effect_size',
    ] as const) {
      expect(r2.metrics[k]).toBeCloseTo(r1.metrics[k] ?? Number.NaN, 12);
    }
  });
});

describe('verdict rule and severity table', () => {
  it('verdictOf: regression needs a significant drop that is relevant', () => {
    // (drop significant, gain significant, non-inferior, failed checks) → verdict
    expect(verdictOf(true, false, false, 0)).toBe('regression');
    expect(verdictOf(true, false, true, 0)).toBe('no_regression');
    expect(verdictOf(true, false, true, 1)).toBe('regression');
    expect(verdictOf(false, true, true, 0)).toBe('improvement');
    expect(verdictOf(false, true, true, 2)).toBe('improvement');
    expect(verdictOf(false, false, true, 0)).toBe('no_regression');
    expect(verdictOf(false, false, true, 1)).toBe('no_regression');
    expect(verdictOf(false, false, false, 3)).toBe('inconclusive');
  });

  it('severityOf follows the documented table', () => {
    const s = (drop: number, other = false, conf = 0.999, g: number | null = -1) =>
      severityOf('regression', drop, 10, other, conf, g);
    expect(s(5)).toBe('low');
    expect(s(10)).toBe('medium');
    expect(s(14.9)).toBe('medium');
    expect(s(15)).toBe('high');
    expect(s(29.9)).toBe('high');
    expect(s(30)).toBe('critical');
    expect(s(5, true)).toBe('medium'); // a failed policy check: at least medium
    expect(s(20, false, 0.98)).toBe('medium'); // confidence < 0.99: one down
    expect(s(20, false, 0.999, -0.1)).toBe('medium'); // |g| < 0.2: one down
    expect(s(40, false, 0.98, -0.1)).toBe('medium'); // both: two down
    expect(s(5, false, 0.96, -0.1)).toBe('low'); // never below low
    expect(s(20, false, 0.999, null)).toBe('high'); // undefined g: no step
    expect(severityOf('no_regression', 50, 10, true, 1, -3)).toBe('none');
    expect(severityOf('inconclusive', 50, 10, true, 1, -3)).toBe('none');
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_REGRESSION_THRESHOLDS).toMatchObject({
      failureRate: 0.15,
      rewardDropPct: 10,
      varianceMultiplier: 2.5,
      alpha: 0.05,
      rollbackSeverity: 'high',
    });
  });
});

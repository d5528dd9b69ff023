import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { Box, type Discrete, describeEnv } from '../../src/envs/index.js';
import { ValidationError } from '../../src/errors.js';
import {
  ACTION_ENTROPY_BINS,
  ActionCounter,
  AggregateMetrics,
  actionEntropy,
  aggregateMetrics,
  computeMetrics,
  ENV_REFERENCES,
  type EpisodeResult,
  lossSummary,
  normalizeReturn,
} from '../../src/evaluation/metrics.js';
import { MetricsResult } from '../../src/evaluation/schemas.js';
import { Generator } from '../../src/rng/index.js';
import { bootstrapCI } from '../../src/stats/index.js';

/** Episodes with the given returns; lengths are |return| rounded, flags chosen per index. */
function episodesOf(returns: readonly number[]): EpisodeResult[] {
  return returns.map((r, i) => ({
    return: r,
    length: Math.round(Math.abs(r)) + i,
    terminated: i % 3 !== 0,
    truncated: i % 3 === 0,
    success: i % 2 === 0,
  }));
}

function shuffled<T>(items: readonly T[], rng: Generator): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.integers(0, i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const FAST = { resamples: 2000 };

describe('computeMetrics', () => {
  it('descriptive statistics of a small sample (known answer)', () => {
    // Returns 1, 2, 3, 4, 10: mean 20/5 = 4; squared deviations 9, 4, 1, 0, 36 → variance
    // 50/5 = 10 (ddof 0), std √10; median 3; IQM drops ⌊5/4⌋ = 1 per side → mean(2, 3, 4) = 3.
    const m = computeMetrics(episodesOf([3, 10, 1, 4, 2]), FAST);
    expect(m.num_episodes).toBe(5);
    expect(m.mean_reward).toBe(4);
    expect(m.reward_variance).toBeCloseTo(10, 14);
    expect(m.std_reward).toBeCloseTo(Math.sqrt(10), 14);
    expect(m.median_reward).toBe(3);
    expect(m.iqm_reward).toBe(3);
    expect(m.min_reward).toBe(1);
    expect(m.max_reward).toBe(10);
    // Lengths are |r| + index: 3, 11, 3, 7, 6 → total 30, mean 6.
    expect(m.total_steps).toBe(30);
    expect(m.mean_steps).toBe(6);
    // success flags at even indices: 3 of 5.
    expect(m.success_rate).toBeCloseTo(0.6, 15);
    expect(m.failure_rate).toBeCloseTo(0.4, 15);
    expect(m.episode_returns).toEqual([3, 10, 1, 4, 2]);
    expect(m.episode_lengths).toEqual([3, 11, 3, 7, 6]);
    expect(m.mean_loss).toBeNull();
    expect(m.loss_trend).toBeNull();
    expect(m.action_entropy).toBeNull();
    expect(Value.Check(MetricsResult, m)).toBe(true);
  });

  it('intervals are the percentile bootstrap of the sorted returns, seeded', () => {
    const rng = new Generator(4);
    const returns = Array.from({ length: 60 }, () => rng.normal(100, 15));
    const m = computeMetrics(episodesOf(returns), { resamples: 3000, seed: 11, confidence: 0.9 });
    const sorted = Float64Array.from(returns).sort();
    const mean = bootstrapCI(sorted, 'mean', { resamples: 3000, seed: 11, confidence: 0.9 });
    const iqmCi = bootstrapCI(sorted, 'iqm', { resamples: 3000, seed: 11, confidence: 0.9 });
    expect(m.mean_ci).toEqual({ low: mean.low, high: mean.high, level: 0.9 });
    expect(m.iqm_ci).toEqual({ low: iqmCi.low, high: iqmCi.high, level: 0.9 });
    // A different seed draws different resamples.
    const other = computeMetrics(episodesOf(returns), { resamples: 3000, seed: 12, confidence: 0.9 });
    expect(other.mean_ci.low).not.toBe(m.mean_ci.low);
  });

  it('every summary is invariant to episode order; the raw arrays keep it', () => {
    const rng = new Generator(2024);
    for (let trial = 0; trial < 25; trial++) {
      const n = 1 + rng.integers(0, 40);
      const heavy = trial % 2 === 0;
      const returns = Array.from({ length: n }, () =>
        heavy ? rng.standardNormal() ** 3 * 50 : Math.round(rng.uniform(0, 500)),
      );
      const episodes = episodesOf(returns).map((e, i) => ({
        ...e,
        actions: { kind: 'discrete' as const, counts: [i % 3, 2, trial], dims: 1 },
      }));
      const losses = [{ timestep: 1, loss: 2 }];
      const a = computeMetrics(episodes, { ...FAST, losses, seed: trial });
      const perm = shuffled(episodes, rng);
      const b = computeMetrics(perm, { ...FAST, losses, seed: trial });
      const { episode_returns: ra, episode_lengths: la, ...restA } = a;
      const { episode_returns: rb, episode_lengths: lb, ...restB } = b;
      expect(restB).toEqual(restA);
      expect(rb).toEqual(perm.map((e) => e.return));
      expect(lb).toEqual(perm.map((e) => e.length));
      expect(ra).toEqual(returns);
      expect(la).toEqual(episodes.map((e) => e.length));
    }
  });

  it('intervals contain their estimates, are ordered and deterministic for a seed', () => {
    const rng = new Generator(99);
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + rng.integers(0, 30);
      // Skewed, bimodal and tied samples, where percentile intervals are most fragile.
      const kind = trial % 3;
      const returns = Array.from({ length: n }, () =>
        kind === 0
          ? Math.exp(3 * rng.standardNormal())
          : kind === 1
            ? rng.random() < 0.8
              ? 500
              : rng.uniform(0, 50)
            : rng.integers(0, 3),
      );
      const opts = { resamples: 500, seed: trial };
      const m = computeMetrics(episodesOf(returns), opts);
      for (const [ci, est] of [
        [m.mean_ci, m.mean_reward],
        [m.iqm_ci, m.iqm_reward],
      ] as const) {
        expect(ci.low).toBeLessThanOrEqual(est);
        expect(ci.high).toBeGreaterThanOrEqual(est);
        expect(ci.level).toBe(0.95);
      }
      expect(m.min_reward).toBeLessThanOrEqual(m.iqm_reward);
      expect(m.iqm_reward).toBeLessThanOrEqual(m.max_reward);
      expect(computeMetrics(episodesOf(returns), opts)).toEqual(m);
      expect(Value.Check(MetricsResult, m)).toBe(true);
    }
  });

  it('widens a percentile interval that misses its estimate to include it', () => {
    // A right-skewed sample (found by scanning log-normal samples): at 2% coverage the
    // percentile interval of the mean is [1.2502, 1.2616], below the sample mean 1.2826,
    // because the bootstrap distribution of a skewed mean has its median below the mean.
    const x = [
      0.09577770101997812, 0.23542616524976853, 0.41587512133081306, 0.4622836007213955, 0.6134050196707612,
      1.1265572744674481, 6.028743642703587,
    ];
    const opts = { confidence: 0.02, resamples: 2000, seed: 0 };
    const raw = bootstrapCI(Float64Array.from(x).sort(), 'mean', opts);
    const m = computeMetrics(episodesOf(x), opts);
    expect(raw.high).toBeLessThan(m.mean_reward);
    expect(m.mean_ci).toEqual({ low: raw.low, high: m.mean_reward, level: 0.02 });
  });

  it('one episode: zero spread and the degenerate interval [x, x]', () => {
    const m = computeMetrics([
      { return: 42.5, length: 17, terminated: true, truncated: false, success: true },
    ]);
    expect(m.mean_reward).toBe(42.5);
    expect(m.median_reward).toBe(42.5);
    expect(m.iqm_reward).toBe(42.5);
    expect(m.std_reward).toBe(0);
    expect(m.reward_variance).toBe(0);
    expect(m.mean_ci).toEqual({ low: 42.5, high: 42.5, level: 0.95 });
    expect(m.iqm_ci).toEqual({ low: 42.5, high: 42.5, level: 0.95 });
    expect(m.success_rate).toBe(1);
    expect(m.failure_rate).toBe(0);
    expect(Value.Check(MetricsResult, m)).toBe(true);
  });

  it('constant returns: zero spread and intervals [c, c]', () => {
    const m = computeMetrics(episodesOf(new Array(37).fill(500)), FAST);
    expect(m.std_reward).toBe(0);
    expect(m.reward_variance).toBe(0);
    expect(m.iqm_reward).toBe(500);
    expect(m.mean_ci).toEqual({ low: 500, high: 500, level: 0.95 });
    expect(m.iqm_ci).toEqual({ low: 500, high: 500, level: 0.95 });
  });

  it("uses the environment's success criterion unless the episode carries a flag", () => {
    // CartPole-v1: return ≥ 195. Acrobot-v1: terminated (reached the height).
    const cart: EpisodeResult[] = [
      { return: 500, length: 500, terminated: false, truncated: true },
      { return: 195, length: 195, terminated: true, truncated: false },
      { return: 194, length: 194, terminated: true, truncated: false },
      { return: 10, length: 10, terminated: true, truncated: false, success: true },
    ];
    expect(computeMetrics(cart, { ...FAST, envId: 'CartPole-v1' }).success_rate).toBe(0.75);
    const acro: EpisodeResult[] = [
      { return: -80, length: 81, terminated: true, truncated: false },
      { return: -500, length: 500, terminated: false, truncated: true },
    ];
    expect(computeMetrics(acro, { ...FAST, envId: 'Acrobot-v1' }).success_rate).toBe(0.5);
    expect(() => computeMetrics([{ return: 1, length: 1, terminated: true, truncated: false }])).toThrow(
      ValidationError,
    );
  });

  it('rejects empty or malformed episodes', () => {
    expect(() => computeMetrics([])).toThrow(ValidationError);
    const bad = [
      { return: Number.NaN, length: 1, terminated: true, truncated: false, success: true },
      { return: Number.POSITIVE_INFINITY, length: 1, terminated: true, truncated: false, success: true },
      { return: 1, length: -1, terminated: true, truncated: false, success: true },
      { return: 1, length: 1.5, terminated: true, truncated: false, success: true },
      { return: 1, length: 1, terminated: 'yes', truncated: false, success: true },
    ];
    for (const e of bad)
      expect(() => computeMetrics([e as unknown as EpisodeResult])).toThrow(ValidationError);
  });
});

describe('action entropy', () => {
  it('discrete: the entropy of the counts pooled over episodes (nats)', () => {
    // Pooled counts (2+2, 0+4) = (4, 4): uniform over two actions → log 2.
    const h = actionEntropy([
      { kind: 'discrete', counts: [2, 0], dims: 1 },
      { kind: 'discrete', counts: [2, 4], dims: 1 },
    ]);
    expect(h).toBeCloseTo(Math.log(2), 15);
    // One action only → 0; counts (1, 3): −(¼ log ¼ + ¾ log ¾).
    expect(actionEntropy([{ kind: 'discrete', counts: [0, 5, 0], dims: 1 }])).toBe(0);
    expect(actionEntropy([{ kind: 'discrete', counts: [1, 3], dims: 1 }])).toBeCloseTo(
      -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)),
      15,
    );
    expect(actionEntropy([])).toBeNull();
    expect(actionEntropy([{ kind: 'discrete', counts: [0, 0], dims: 1 }])).toBeNull();
    // Records must share one shape.
    expect(() =>
      actionEntropy([
        { kind: 'discrete', counts: [1, 2], dims: 1 },
        { kind: 'discrete', counts: [1, 2, 3], dims: 1 },
      ]),
    ).toThrow(ValidationError);
  });

  it('ActionCounter bins Box actions into 10 equal bins over the bounds, clipping outside values', () => {
    const space = new Box(-2, 2, [1]); // Pendulum's torque
    const tally = new ActionCounter(space);
    // Bin width 0.4: −2 → 0, −1.9 → 0, −1.5 → 1, 0 → 5 (a lower edge belongs to its bin),
    // 1.99 → 9, 2 (the upper bound) → 9, −7 (clipped to −2) → 0, 9 (clipped to 2) → 9.
    for (const a of [-2, -1.9, -1.5, 0, 1.99, 2, -7, 9]) tally.add(Float32Array.of(a));
    const s = tally.counts();
    expect(s).toEqual({ kind: 'box', counts: [3, 1, 0, 0, 0, 1, 0, 0, 0, 3], dims: 1 });
    // p = (3, 1, 1, 3)/8 → −2(⅜ log ⅜) − 2(⅛ log ⅛).
    const expected = -2 * (0.375 * Math.log(0.375)) - 2 * (0.125 * Math.log(0.125));
    expect(actionEntropy([s], space)).toBeCloseTo(expected, 14);
    tally.reset();
    expect(tally.counts()).toEqual({ kind: 'box', counts: new Array(ACTION_ENTROPY_BINS).fill(0), dims: 1 });
  });

  it('Box entropy is the mean over dimensions; uniform actions approach log 10', () => {
    const space = describeEnv('LunarLanderContinuous-v3').actionSpace;
    const tally = new ActionCounter(space);
    const rng = new Generator(8);
    // Dimension 0 always 0.05 (one bin, entropy 0); dimension 1 uniform (entropy → log 10).
    const action = new Float32Array(2);
    for (let i = 0; i < 20000; i++) {
      action[0] = 0.05;
      action[1] = rng.uniform(-1, 1);
      tally.add(action);
    }
    const h = actionEntropy([tally.counts()], space) as number;
    expect(h).toBeGreaterThan(Math.log(10) / 2 - 0.002);
    expect(h).toBeLessThanOrEqual(Math.log(10) / 2);
  });

  it('discrete counts through computeMetrics, per episode or pooled, checked against the action space', () => {
    const space = describeEnv('CartPole-v1').actionSpace as Discrete;
    const tally = new ActionCounter(space);
    const episodes: EpisodeResult[] = [];
    for (let e = 0; e < 3; e++) {
      tally.reset();
      for (let t = 0; t < 10; t++) tally.add(t < 5 + e ? 0 : 1);
      episodes.push({ return: 10, length: 10, terminated: true, truncated: false, actions: tally.counts() });
    }
    // Pooled: action 0 taken 5 + 6 + 7 = 18 times, action 1 12 times.
    const m = computeMetrics(episodes, { ...FAST, envId: 'CartPole-v1' });
    expect(m.action_entropy).toBeCloseTo(-(0.6 * Math.log(0.6) + 0.4 * Math.log(0.4)), 14);
    // The same counts summed over the run, as the episode runner keeps them.
    const bare = episodes.map(({ actions: _, ...e }) => e);
    const pooled = { kind: 'discrete' as const, counts: [18, 12], dims: 1 };
    expect(computeMetrics(bare, { ...FAST, envId: 'CartPole-v1', actions: pooled }).action_entropy).toBe(
      m.action_entropy,
    );
    expect(() => computeMetrics(episodes, { ...FAST, envId: 'CartPole-v1', actions: pooled })).toThrow(
      ValidationError,
    );
    expect(() => tally.add(2)).toThrow(ValidationError);
    // Three-action counts for a two-action space, a Box tally, and tallies on some episodes only.
    const wrong = episodes.map((e) => ({
      ...e,
      actions: { kind: 'discrete' as const, counts: [1, 2, 3], dims: 1 },
    }));
    expect(() => computeMetrics(wrong, { ...FAST, envId: 'CartPole-v1' })).toThrow(ValidationError);
    const boxy = episodes.map((e) => ({ ...e, actions: { kind: 'box' as const, counts: [1], dims: 1 } }));
    expect(() => computeMetrics(boxy, { ...FAST, envId: 'CartPole-v1' })).toThrow(ValidationError);
    const partial = [episodes[0], { ...episodes[1], actions: undefined }];
    expect(() => computeMetrics(partial, { ...FAST, envId: 'CartPole-v1' })).toThrow(ValidationError);
  });

  it('an unbounded Box cannot be binned', () => {
    expect(() => new ActionCounter(new Box(Number.NEGATIVE_INFINITY, 1, [1]))).toThrow(ValidationError);
  });
});

describe('loss summary', () => {
  it('mean over all updates; trend = window slope per update over mean |loss| (known answer)', () => {
    // Window of the last 4 of 6 updates: losses 4, 6, 5, 9 at x = 0..3: x̄ = 1.5, ȳ = 6,
    // Σ(x−x̄)(y−ȳ) = (−1.5)(−2) + (−0.5)(0) + (0.5)(−1) + (1.5)(3) = 7, Σ(x−x̄)² = 5,
    // slope 1.4, mean |y| 6 → trend 1.4/6. Mean loss over all six: (1+1+4+6+5+9)/6 = 26/6.
    const losses = [1, 1, 4, 6, 5, 9].map((loss, i) => ({ timestep: 100 * (i + 1), loss }));
    const s = lossSummary(shuffled(losses, new Generator(1)), 4);
    expect(s.mean_loss).toBeCloseTo(26 / 6, 14);
    expect(s.loss_trend).toBeCloseTo(1.4 / 6, 14);
  });

  it('is scale-free, signed, and degenerate cases are documented', () => {
    const rng = new Generator(3);
    const losses = Array.from({ length: 30 }, (_, i) => ({
      timestep: i,
      loss: 5 - 0.1 * i + rng.uniform(0, 0.05),
    }));
    const base = lossSummary(losses);
    expect(base.loss_trend as number).toBeLessThan(0);
    const scaled = lossSummary(losses.map((r) => ({ ...r, loss: 7 * r.loss })));
    expect(scaled.loss_trend as number).toBeCloseTo(base.loss_trend as number, 12);
    expect(lossSummary([{ timestep: 0, loss: 3 }])).toEqual({ mean_loss: 3, loss_trend: null });
    expect(lossSummary([])).toEqual({ mean_loss: null, loss_trend: null });
    expect(lossSummary(undefined)).toEqual({ mean_loss: null, loss_trend: null });
    expect(lossSummary([0, 0, 0].map((loss, timestep) => ({ timestep, loss })))).toEqual({
      mean_loss: 0,
      loss_trend: 0,
    });
    expect(() => lossSummary([{ timestep: 0, loss: Number.NaN }])).toThrow(ValidationError);
    expect(() => lossSummary(losses, 1)).toThrow(ValidationError);
  });

  it('flows into computeMetrics with the configured window', () => {
    const losses = [9, 1, 2, 3].map((loss, timestep) => ({ timestep, loss }));
    // Last 3: 1, 2, 3 → slope 1, mean |y| 2 → 0.5. With the default window (10) all four count.
    const m = computeMetrics(episodesOf([1, 2]), { ...FAST, losses, lossTrendWindow: 3 });
    expect(m.loss_trend).toBeCloseTo(0.5, 14);
    expect(m.mean_loss).toBeCloseTo(15 / 4, 14);
    expect(computeMetrics(episodesOf([1, 2]), { ...FAST, losses }).loss_trend).toBeLessThan(0);
  });
});

describe('aggregateMetrics', () => {
  const cartReturns = [500, 500, 475, 22.1, 248.55];
  const acroReturns = [-100, -100, -498.9, -299.45];
  const perEnv = () => ({
    'CartPole-v1': computeMetrics(
      cartReturns.map((r) => ({
        return: r,
        length: Math.round(r),
        terminated: r < 500,
        truncated: r === 500,
      })),
      { ...FAST, envId: 'CartPole-v1' },
    ),
    'Acrobot-v1': computeMetrics(
      acroReturns.map((r) => ({ return: r, length: Math.round(-r), terminated: r > -500, truncated: false })),
      { ...FAST, envId: 'Acrobot-v1' },
    ),
  });

  it('normalises by the references and aggregates as rliable (known answer)', () => {
    // CartPole (random 22.1, target 475): 500 → 477.9/452.9, 475 → 1, 22.1 → 0, 248.55 → ½.
    // Acrobot (random −498.9, target −100): −100 → 1, −498.9 → 0, −299.45 → ½.
    const c = 477.9 / 452.9;
    expect(normalizeReturn(500, ENV_REFERENCES['CartPole-v1'])).toBeCloseTo(c, 14);
    const agg = aggregateMetrics(perEnv(), FAST);
    expect(agg.num_environments).toBe(2);
    expect(agg.num_episodes).toBe(9);
    // Per-environment means: CartPole (2c + 1 + 0 + ½)/5, Acrobot (1 + 1 + 0 + ½)/4.
    const cartMean = (2 * c + 1.5) / 5;
    const acroMean = 2.5 / 4;
    expect(agg.per_environment['CartPole-v1'].normalized_mean).toBeCloseTo(cartMean, 12);
    expect(agg.per_environment['Acrobot-v1'].normalized_mean).toBeCloseTo(acroMean, 12);
    expect(agg.normalized_mean).toBeCloseTo((cartMean + acroMean) / 2, 12);
    // Pooled sorted: 0, 0, ½, ½, 1, 1, 1, c, c; IQM drops ⌊9/4⌋ = 2 per side → mean(½, ½, 1, 1, 1) = 0.8.
    expect(agg.normalized_iqm).toBeCloseTo(0.8, 12);
    // Success: CartPole 4 of 5 (return ≥ 195), Acrobot 4 of 4 (all terminated) → mean 0.9.
    expect(agg.success_rate).toBeCloseTo(0.9, 14);
    for (const [ci, est] of [
      [agg.normalized_iqm_ci, agg.normalized_iqm],
      [agg.normalized_mean_ci, agg.normalized_mean],
    ] as const) {
      expect(ci.low).toBeLessThanOrEqual(est);
      expect(ci.high).toBeGreaterThanOrEqual(est);
    }
    expect(Value.Check(AggregateMetrics, agg)).toBe(true);
  });

  it('does not depend on the order of environments or episodes, and is seeded', () => {
    const a = aggregateMetrics(perEnv(), { ...FAST, seed: 5 });
    const p = perEnv();
    const reordered = {
      'Acrobot-v1': {
        ...p['Acrobot-v1'],
        episode_returns: p['Acrobot-v1'].episode_returns.slice().reverse(),
      },
      'CartPole-v1': p['CartPole-v1'],
    };
    expect(aggregateMetrics(reordered, { ...FAST, seed: 5 })).toEqual(a);
    expect(aggregateMetrics(perEnv(), { ...FAST, seed: 6 }).normalized_mean_ci).not.toEqual(
      a.normalized_mean_ci,
    );
  });

  it('takes reference overrides and rejects environments without one', () => {
    const m = computeMetrics(episodesOf([0, 10]), FAST);
    const agg = aggregateMetrics(
      { Custom: m },
      { ...FAST, references: { Custom: { random: 0, target: 10 } } },
    );
    expect(agg.normalized_mean).toBeCloseTo(0.5, 14);
    expect(() => aggregateMetrics({ Custom: m }, FAST)).toThrow(ValidationError);
    expect(() => aggregateMetrics({}, FAST)).toThrow(ValidationError);
    expect(() =>
      aggregateMetrics({ Custom: m }, { ...FAST, references: { Custom: { random: 3, target: 3 } } }),
    ).toThrow(ValidationError);
  });
});

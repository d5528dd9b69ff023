/**
 * Regression verdicts measured on synthetic pairs (`npm run bench -- regression`).
 *
 * For each return distribution below, pairs of samples (baseline, current) are drawn with a
 * seeded Generator, the current one with a true drop of 0%, 10% or 20% of |baseline mean|,
 * and `detectRegression` judges each pair at n = 100 vs 100. Printed beside our rates:
 *   - the best possible detection rate at that n: the power of the one-sided z-test at the
 *     same alpha that knows both true variances (`zTestPower`);
 *   - the threshold-only rule of the original design on the same pairs: regression iff a
 *     policy check fails (reward drop > 10%, failure rate > 15%, variance > 2.5×), no
 *     statistics; and its reward-drop check alone.
 * Then adaptive mode: the group-sequential test of sequential.ts (O'Brien-Fleming-type
 * spending, alpha 0.05, 90% planned power at a 10% drop, batches of 25, first look at 50,
 * the baseline replayed alongside from its 100 stored episodes), with its false-regression
 * rate, detection rate of 10% drops and the episodes it used. The design is planned from
 * the true standard deviation of the baseline distribution (the boundaries, hence the error
 * rates, do not depend on it; only the cap does).
 *
 * The bootstrap CI is skipped in the rate measurements (bootstrapResamples 0): the verdict
 * does not use it, and it would dominate the run time. The cost of one call with the
 * default 2,000 resamples is printed at the end. Rates are over seeded draws, so every run
 * prints the same figures; the Monte Carlo standard error of a rate p over N pairs is
 * √(p(1 − p)/N) (≈ 0.5 points at 5% and N = 2,000).
 *
 * Distributions (success criterion in brackets, for the failure-rate check):
 *   CartPole-like    min(500, N(531, 40²)), 78% of episodes at the cap [≥ 475]; a drop
 *                    lowers the latent mean;
 *   bimodal          success N(260, 25²) w.p. 0.9, crash N(−50, 60²) otherwise
 *                    (LunarLander-like) [≥ 200]; a drop makes crashes more frequent;
 *   heavy-tailed     −160 + 30·t₃ (Student t, 3 df; Pendulum-like costs) [≥ −250]; shifted;
 *   A2C Acrobot      N(−83, 25²), the A2C Acrobot agent of the issue [≥ −100, Gymnasium's
 *                    reward threshold: 25% of this agent's episodes fail it]; shifted;
 *   LL heuristic     the empirical returns of LunarLander-v3 under the heuristic controller
 *                    (src/envs/box2d/heuristic.ts), seeds 0–299, resampled [≥ 200]; shifted.
 */
import { fileURLToPath } from 'node:url';
import { detectRegression } from '../src/evaluation/regression.js';
import type { BaselineMetrics, Verdict } from '../src/evaluation/schemas.js';
import {
  createSequentialTest,
  planSequentialDesign,
  type SequentialDesign,
} from '../src/evaluation/sequential.js';
import { Generator } from '../src/rng/index.js';
import { mean, normalCdf, normalPdf, std, zTestPower } from '../src/stats/index.js';
import { median, printTable } from './lib/index.js';
import type { BenchRunOptions } from './run.js';

/**
 * Episode returns of the LunarLander-v3 heuristic controller (discrete), seeds 0–299, rounded
 * to 0.01 (mean 244.8, std 94.6, 9.3% below 200). Regenerate with
 * `npx tsx bench/regression.ts --regenerate-lunar-lander` (about 20 s).
 */
const LUNAR_LANDER_HEURISTIC_RETURNS: readonly number[] = [
  -141.08, 251.88, 253.26, 242.81, 258.59, 284.39, 317.51, 238.51, 209.23, 297.58, 261.05, 265.37, 286.06,
  295.69, 257.04, 281.24, 210.89, 309.64, 305.11, 188.54, 266.38, 316.51, 246.79, 265.74, 316.64, -173.87,
  300.96, 303.8, 268.33, 314.1, 292.79, 250.36, 262.95, 63.99, 237.64, 286.34, 277.29, 237, 234.47, 266.17,
  283.91, 243.47, 255.17, 274.91, -136.34, 252.05, 229.3, 262.95, 240.37, 254.95, 269.1, 262.13, 295.98,
  249.08, 291.87, 302.12, 304.47, 288.37, 188.22, 292.07, 265.57, 251.46, 268.57, 268.75, 292.52, 302.39,
  252.43, 294.45, 297.18, 102.35, 299.4, 251.5, -36.8, 258.66, 265.26, 290.28, -170.83, 293.53, 269.27, 53.9,
  264.79, 280.72, 257.38, 263.01, 255.85, 310.73, 238.98, 287.56, 267.93, 270.27, 251.26, 290.24, 247.03,
  259.2, 299.53, 226.58, 289.18, 267.41, -159.2, 258.95, 254.46, 277.47, 215.69, 280.15, 222.64, 267.67,
  311.31, 316.14, 266.87, 266.51, 296.03, 295.01, 302.04, 281.9, 272.28, 276.85, 289.15, 298.14, 264.72,
  267.39, 280.02, 297.69, 250.2, -83.57, 296.46, 203.4, 193.1, 302.02, 245.96, 277.74, -143.1, 260.86, 277.65,
  266.82, 306.12, 236.69, 216.55, 277.4, 211.32, 307.61, -151.22, 299.64, 208.24, 240.22, 291.29, 224.81,
  294.71, 326.09, 270.63, -144.06, 260.76, 246.73, -6.19, 304.31, 290.7, 304.23, 238.51, 270.57, 280.11,
  286.47, 263.81, 299.61, 299.31, 258.38, 272.55, 262.31, 256.04, 276.26, 311.39, 237.58, 296.22, 258.58,
  266.94, 303.42, 298.92, 305.59, 253.3, 255.86, -157.39, 254.55, 263.2, 276.13, 268.85, 284.24, 283.76,
  303.43, 230.37, 308.1, 286, 191.19, 286.6, 282.98, 276.51, 260.17, 243.26, 263.43, 254.99, 311.71, 259.97,
  229.84, 308.71, 297.53, 253.82, -173.46, 275.38, 266.68, 306.09, 250.48, 307.93, -143.38, 292.78, 239.39,
  249.59, 164.79, 300.43, 265.3, 243.69, 276.57, 259.03, 264.95, 287.3, 170.51, 278.08, 302.25, 252.77, 238.3,
  259.53, 257.82, 284.72, 280.14, 257.8, 278.35, 262.81, -49.24, 265.39, 313.53, 276.44, 276.37, 289.5,
  277.52, 299.4, 264.4, 250.74, 37.25, 245.15, 204.22, 273.36, 262.71, 289.52, 276.32, 288.95, 290.55, 308.36,
  169.77, 280.63, 255.31, 277.76, 301.15, 48.56, 265.73, 264.9, 297.88, 245.47, 270.48, 233.05, 273.45,
  292.54, 254.06, 307.46, 292.01, 295.24, 223.55, 257.2, 267.67, 290.67, 222.1, 244.75, 232.74, 239.59,
  249.55, 272.29, 248.93, 242.63, 271.04, 306.29, 269.93, 282.5, 273.72, 245.74, 35.74, 274.53, 262.48,
  264.35, 229.92, 276.53, 279.18, 237.34, 274.21, 253.23, 248.73,
];

/** One return distribution with a known true mean and variance. */
interface Variant {
  mean: number;
  variance: number;
  /** Fills out[0..n) with draws. */
  sample(rng: Generator, out: number[], n: number): void;
}

interface Family {
  name: string;
  /** An episode succeeds when its return is at least this. */
  successAt: number;
  /** The variant whose true mean is lower by dropPct% of |baseline mean| (0: the baseline). */
  variant(dropPct: number): Variant;
}

/** Root of a continuous increasing function on [lo, hi] by bisection. */
function solveIncreasing(f: (x: number) => number, target: number, lo: number, hi: number): number {
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (f(mid) < target) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * min(cap, N(m, s²)): with b = (cap − m)/s, E = m − (m − cap)Φ(−b) − sφ(b) (from
 * E[(X − cap)⁺] = (m − cap)Φ((m − cap)/s) + sφ((m − cap)/s)) and
 * E[min(X, cap)²] = (m² + s²)Φ(b) − s(m + cap)φ(b) + cap²Φ(−b).
 */
function cappedNormal(m: number, s: number, cap: number): Variant {
  const b = (cap - m) / s;
  const meanValue = m - (m - cap) * normalCdf(-b) - s * normalPdf(b);
  const second = (m * m + s * s) * normalCdf(b) - s * (m + cap) * normalPdf(b) + cap * cap * normalCdf(-b);
  return {
    mean: meanValue,
    variance: second - meanValue * meanValue,
    sample(rng, out, n) {
      for (let i = 0; i < n; i++) out[i] = Math.min(cap, rng.normal(m, s));
    },
  };
}

function cappedFamily(): Family {
  const s = 40;
  const cap = 500;
  const base = cappedNormal(531, s, cap);
  return {
    name: 'CartPole-like (cap 500)',
    successAt: 475,
    variant(dropPct) {
      if (dropPct === 0) return base;
      const target = base.mean - (dropPct / 100) * Math.abs(base.mean);
      const m = solveIncreasing((x) => cappedNormal(x, s, cap).mean, target, 0, 531);
      return cappedNormal(m, s, cap);
    },
  };
}

/** Success N(260, 25²) with probability p, crash N(−50, 60²) otherwise. */
function bimodal(p: number): Variant {
  const [m1, s1, m0, s0] = [260, 25, -50, 60];
  const meanValue = p * m1 + (1 - p) * m0;
  const second = p * (s1 * s1 + m1 * m1) + (1 - p) * (s0 * s0 + m0 * m0);
  return {
    mean: meanValue,
    variance: second - meanValue * meanValue,
    sample(rng, out, n) {
      for (let i = 0; i < n; i++) out[i] = rng.random() < p ? rng.normal(m1, s1) : rng.normal(m0, s0);
    },
  };
}

function bimodalFamily(): Family {
  const base = bimodal(0.9);
  return {
    name: 'bimodal success/crash',
    successAt: 200,
    variant(dropPct) {
      if (dropPct === 0) return base;
      // The mean is linear in p: p = (target − m0) / (m1 − m0).
      const target = base.mean - (dropPct / 100) * Math.abs(base.mean);
      return bimodal((target + 50) / 310);
    },
  };
}

/** loc + scale·t₃, t₃ = Z / √(χ²₃/3); variance scale²·3 (ν/(ν − 2) with ν = 3). */
function studentT3(loc: number, scale: number): Variant {
  return {
    mean: loc,
    variance: 3 * scale * scale,
    sample(rng, out, n) {
      for (let i = 0; i < n; i++) {
        const a = rng.standardNormal();
        const b = rng.standardNormal();
        const c = rng.standardNormal();
        out[i] = loc + (scale * rng.standardNormal()) / Math.sqrt((a * a + b * b + c * c) / 3);
      }
    },
  };
}

function normal(m: number, s: number): Variant {
  return {
    mean: m,
    variance: s * s,
    sample(rng, out, n) {
      for (let i = 0; i < n; i++) out[i] = rng.normal(m, s);
    },
  };
}

/** Resampling (with replacement) of a fixed list, shifted by `shift`. */
function empirical(values: readonly number[], shift: number): Variant {
  const m = mean(values);
  const sd = std(values);
  return {
    mean: m + shift,
    variance: sd * sd,
    sample(rng, out, n) {
      for (let i = 0; i < n; i++) out[i] = values[rng.integers(0, values.length)] + shift;
    },
  };
}

function shiftFamily(name: string, successAt: number, make: (shift: number) => Variant): Family {
  const base = make(0);
  return {
    name,
    successAt,
    variant: (dropPct) => (dropPct === 0 ? base : make((-dropPct / 100) * Math.abs(base.mean))),
  };
}

const FAMILIES: readonly Family[] = [
  cappedFamily(),
  bimodalFamily(),
  shiftFamily('heavy-tailed t3', -250, (d) => studentT3(-160 + d, 30)),
  shiftFamily('A2C Acrobot N(-83, 25²)', -100, (d) => normal(-83 + d, 25)),
  shiftFamily('LL heuristic (empirical)', 200, (d) => empirical(LUNAR_LANDER_HEURISTIC_RETURNS, d)),
];

const ALPHA = 0.05;
const N = 100;

function record(returns: number[], successAt: number): BaselineMetrics {
  let failures = 0;
  for (const r of returns) if (r < successAt) failures++;
  return {
    num_episodes: returns.length,
    mean_reward: mean(returns),
    std_reward: std(returns),
    failure_rate: failures / returns.length,
    episode_returns: returns,
  };
}

const pctCell = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Monte Carlo standard error of a rate p over n draws, in percentage points. */
const mcError = (p: number, n: number): string => (100 * Math.sqrt((p * (1 - p)) / n)).toFixed(2);

interface FixedCell {
  counts: Record<Verdict, number>;
  thresholdOnly: number;
  dropOnly: number;
  best: number;
}

function fixedCell(family: Family, dropPct: number, pairs: number, seed: number): FixedCell {
  const base = family.variant(0);
  const cur = family.variant(dropPct);
  const rng = new Generator([seed, 1]);
  const counts: Record<Verdict, number> = {
    regression: 0,
    no_regression: 0,
    improvement: 0,
    inconclusive: 0,
  };
  let thresholdOnly = 0;
  let dropOnly = 0;
  for (let p = 0; p < pairs; p++) {
    const b: number[] = new Array(N);
    const c: number[] = new Array(N);
    base.sample(rng, b, N);
    cur.sample(rng, c, N);
    const report = detectRegression(record(c, family.successAt), record(b, family.successAt), {
      alpha: ALPHA,
      bootstrapResamples: 0,
    });
    counts[report.verdict]++;
    if (report.failed_checks.length > 0) thresholdOnly++;
    if (report.failed_checks.includes('reward_drop')) dropOnly++;
  }
  const effect = base.mean - cur.mean;
  const best =
    effect > 0 ? zTestPower(effect, Math.sqrt(base.variance + cur.variance), N, ALPHA, 'greater') : ALPHA;
  for (const k of Object.keys(counts) as Verdict[]) counts[k] /= pairs;
  return { counts, thresholdOnly: thresholdOnly / pairs, dropOnly: dropOnly / pairs, best };
}

interface AdaptiveCell {
  counts: Record<Verdict, number>;
  meanCurrent: number;
  meanBaselineExtra: number;
  medianCurrent: number;
}

function adaptiveCell(
  family: Family,
  dropPct: number,
  design: SequentialDesign,
  runs: number,
  seed: number,
): AdaptiveCell {
  const base = family.variant(0);
  const cur = family.variant(dropPct);
  const rng = new Generator([seed, 2]);
  const counts: Record<Verdict, number> = {
    regression: 0,
    no_regression: 0,
    improvement: 0,
    inconclusive: 0,
  };
  const used: number[] = [];
  let extra = 0;
  const buf: number[] = [];
  for (let r = 0; r < runs; r++) {
    const b: number[] = new Array(N);
    base.sample(rng, b, N);
    const test = createSequentialTest({
      baseline: record(b, family.successAt),
      design,
      thresholds: { alpha: ALPHA },
    });
    let next = test.firstBatch();
    for (;;) {
      buf.length = next.current;
      cur.sample(rng, buf, next.current);
      const c = buf.slice();
      buf.length = next.baseline;
      base.sample(rng, buf, next.baseline);
      const step = test.update({ current: c, baseline: buf.slice() });
      if (step.decision !== 'continue') {
        counts[step.decision]++;
        used.push(step.episodes.current);
        extra += step.episodes.baseline - N;
        break;
      }
      next = step.next ?? { current: 0, baseline: 0 };
    }
  }
  for (const k of Object.keys(counts) as Verdict[]) counts[k] /= runs;
  return {
    counts,
    meanCurrent: used.reduce((a, x) => a + x, 0) / runs,
    meanBaselineExtra: extra / runs,
    medianCurrent: median(used),
  };
}

export async function run(_options: BenchRunOptions = {}): Promise<void> {
  // Pairs per row; rows without a true drop get 5× as many, since their rate (the
  // false-regression rate) is compared with a bound. REGRESSION_BENCH_PAIRS scales both.
  const pairs = Number(process.env.REGRESSION_BENCH_PAIRS ?? 2000);
  const nullPairs = 5 * pairs;
  const started = performance.now();
  process.stdout.write(
    `\nFixed n = ${N} vs ${N}, alpha ${ALPHA}, ${nullPairs} seeded pairs per row without a drop (Monte Carlo ` +
      `standard error ±${mcError(0.05, nullPairs)} points at 5%), ${pairs} with one. "best" = power of the one-sided z-test ` +
      'with known variances; "threshold" = regression iff any policy check fails; "drop>10%" = the reward-drop check alone.\n\n',
  );
  const rows: (string | number)[][] = [];
  FAMILIES.forEach((family, fi) => {
    for (const [di, drop] of [0, 10, 20].entries()) {
      const cell = fixedCell(family, drop, drop === 0 ? nullPairs : pairs, 1000 + 10 * fi + di);
      rows.push([
        di === 0 ? family.name : '',
        `${drop}%`,
        pctCell(cell.counts.regression),
        drop === 0 ? '—' : pctCell(cell.best),
        pctCell(cell.counts.no_regression),
        pctCell(cell.counts.inconclusive),
        pctCell(cell.counts.improvement),
        pctCell(cell.thresholdOnly),
        pctCell(cell.dropOnly),
      ]);
    }
  });
  printTable(
    [
      'distribution',
      'true drop',
      'regression',
      'best',
      'no_regr.',
      'inconcl.',
      'improv.',
      'threshold',
      'drop>10%',
    ],
    rows,
  );

  const runs = pairs;
  const nullRuns = 2 * pairs;
  process.stdout.write(
    `\nAdaptive: group-sequential, O'Brien-Fleming-type spending, alpha ${ALPHA}, planned power 0.9 at a 10% drop, ` +
      `batches of 25 from 50, equal numbers compared at each look (the first n of the ${N} stored baseline episodes, replays beyond them); ` +
      `${nullRuns} seeded runs per row without a drop (±${mcError(0.05, nullRuns)} points at 5%), ${runs} with one. ` +
      '"episodes" = current episodes used (mean / median); "+baseline" = mean baseline replays.\n\n',
  );
  const arows: (string | number)[][] = [];
  FAMILIES.forEach((family, fi) => {
    const base = family.variant(0);
    const threshold = 0.1 * Math.max(Math.abs(base.mean), Math.sqrt(base.variance));
    const design = planSequentialDesign({
      alpha: ALPHA,
      power: 0.9,
      baselineEpisodes: N,
      extendBaseline: true,
      balanced: true,
      maxEpisodes: 2000,
      effectSize: threshold / Math.sqrt(base.variance),
    });
    for (const [di, drop] of [0, 10, 20].entries()) {
      const cell = adaptiveCell(family, drop, design, drop === 0 ? nullRuns : runs, 2000 + 10 * fi + di);
      arows.push([
        di === 0 ? family.name : '',
        di === 0 ? `${design.maxEpisodes} (${pctCell(design.plannedPower ?? 0)})` : '',
        `${drop}%`,
        pctCell(cell.counts.regression),
        pctCell(cell.counts.no_regression),
        pctCell(cell.counts.inconclusive),
        pctCell(cell.counts.improvement),
        `${cell.meanCurrent.toFixed(0)} / ${cell.medianCurrent.toFixed(0)}`,
        cell.meanBaselineExtra.toFixed(0),
      ]);
    }
  });
  printTable(
    [
      'distribution',
      'cap (power)',
      'true drop',
      'regression',
      'no_regr.',
      'inconcl.',
      'improv.',
      'episodes',
      '+baseline',
    ],
    arows,
  );

  // Cost of one call with the defaults (2,000 bootstrap resamples), median of 15.
  const fam = FAMILIES[3];
  const rng = new Generator(7);
  const b: number[] = new Array(N);
  const c: number[] = new Array(N);
  fam.variant(0).sample(rng, b, N);
  fam.variant(10).sample(rng, c, N);
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    detectRegression(record(c, fam.successAt), record(b, fam.successAt));
    times.push(performance.now() - t0);
  }
  process.stdout.write(
    `\nOne detectRegression call with the defaults (2,000 bootstrap resamples), n = ${N} vs ${N}: ` +
      `${median(times).toFixed(1)} ms (median of 15). Whole benchmark: ${((performance.now() - started) / 1000).toFixed(1)} s.\n`,
  );
}

/** Recomputes LUNAR_LANDER_HEURISTIC_RETURNS (prints the array). */
async function regenerateLunarLander(): Promise<void> {
  const { make } = await import('../src/envs/index.js');
  const { lunarLanderHeuristicDiscrete } = await import('../src/envs/box2d/heuristic.js');
  const env = make('LunarLander-v3');
  const out: number[] = [];
  for (let seed = 0; seed < 300; seed++) {
    let { obs } = env.reset({ seed });
    let total = 0;
    for (;;) {
      const step = env.step(lunarLanderHeuristicDiscrete(obs));
      total += step.reward;
      obs = step.obs;
      if (step.terminated || step.truncated) break;
    }
    out.push(Math.round(total * 100) / 100);
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--regenerate-lunar-lander')) await regenerateLunarLander();
  else await run();
}

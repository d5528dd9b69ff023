/**
 * Percentile bootstrap confidence intervals (Efron & Tibshirani 1993, ch. 13), plain and
 * stratified as rliable's `StratifiedBootstrap` (Agarwal et al. 2021): runs are resampled
 * with replacement within each stratum (task / environment) independently, and the
 * aggregate statistic is applied to the resampled whole. The interval is the
 * (1−c)/2 and (1+c)/2 quantiles (numpy 'linear') of the bootstrap estimates; the point
 * estimate is the statistic of the original data.
 *
 * Seeded and reproducible: the resampling indices come from `Generator.integers(0, n)`
 * (numpy's Generator(PCG64(SeedSequence(seed)))), drawn resample by resample, stratum by
 * stratum, observation by observation, so a numpy loop drawing in that order reproduces
 * them exactly. Nothing is allocated per resample: one scratch buffer is refilled, and the
 * built-in statistics work on it in place ('iqm' and 'median' by selection, not sorting).
 */
import { ValidationError } from '../errors.js';
import { Generator, type SeedEntropy } from '../rng/index.js';
import { medianInPlace, quantileSorted } from './descriptive.js';
import { checkNonEmpty, neumaierSum, type Sample, trimmedMeanInPlace } from './internal.js';

/** Statistics the bootstrap computes without a callback: on the pooled values. */
export type BuiltinStatistic = 'mean' | 'median' | 'iqm';

/**
 * A statistic of a (re)sample. `values` is the concatenation of the strata in their input
 * order and stratum j occupies values[offsets[j] … offsets[j+1]); a single sample is one
 * stratum. `values` is a scratch buffer that the function may reorder; it is overwritten
 * after the call, so do not keep it.
 */
export type SampleStatistic = (values: Float64Array, offsets: Int32Array) => number;

/** Options of the bootstrap functions. */
export interface BootstrapOptions {
  /** Coverage of the interval, in (0, 1). Default 0.95. */
  confidence?: number;
  /** Number of bootstrap resamples. Default 10,000 (rliable uses 50,000). */
  resamples?: number;
  /** Seed of the Generator (numpy-compatible). Default 0, so results are reproducible by default. */
  seed?: SeedEntropy;
  /** Draw from this Generator instead of seeding a new one (it is advanced). */
  rng?: Generator;
  /**
   * With strata: resample within each stratum (true, rliable's stratified bootstrap, the
   * default) or pool all values and resample the pool (false; a statistic function then
   * sees one stratum, offsets [0, total]).
   */
  stratified?: boolean;
}

/** A bootstrap confidence interval. */
export interface BootstrapInterval {
  /** The (1 − confidence)/2 quantile of the bootstrap estimates. */
  low: number;
  /** The (1 + confidence)/2 quantile of the bootstrap estimates. */
  high: number;
  /** The statistic of the original data. */
  estimate: number;
  /** Number of resamples drawn. */
  resamples: number;
  confidence: number;
}

interface ResolvedOptions {
  confidence: number;
  resamples: number;
  rng: Generator;
}

/** Largest range for which u32 · n stays below 2^53, so the fast path below is exact. */
const FAST_RANGE_MAX = 2 ** 21;
const TWO_POW_32 = 4294967296;

/**
 * Draws uniform indices in [0, n) exactly as `Generator.integers(0, n)` does (numpy's
 * buffered_bounded_lemire_uint32: m = u32 · n, reject while m mod 2^32 < (2^32 − n) mod n,
 * return ⌊m / 2^32⌋), with the rejection threshold computed once per range and the product
 * formed in one float64 multiplication (exact for n ≤ 2^21). This is the inner loop of
 * every bootstrap, where the general method's argument checks would dominate.
 */
class IndexDrawer {
  private readonly bits: Generator['bitGenerator'];
  private readonly rng: Generator;

  constructor(rng: Generator) {
    this.rng = rng;
    this.bits = rng.bitGenerator;
  }

  /** (2^32 − n) mod n, the rejection threshold of Lemire's method for range n. */
  static threshold(n: number): number {
    return (TWO_POW_32 - n) % n;
  }

  draw(n: number, threshold: number): number {
    if (n === 1) return 0; // numpy draws nothing for a one-value range
    if (n > FAST_RANGE_MAX) return this.rng.integers(0, n);
    let m = this.bits.nextUint32() * n;
    let low = m % TWO_POW_32;
    if (low < n) {
      while (low < threshold) {
        m = this.bits.nextUint32() * n;
        low = m % TWO_POW_32;
      }
    }
    return (m - low) / TWO_POW_32;
  }
}

function resolveOptions(options: BootstrapOptions): ResolvedOptions {
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) {
    throw new ValidationError(`confidence must be in (0, 1), got ${confidence}`, { field: 'confidence' });
  }
  const resamples = options.resamples ?? 10_000;
  if (!Number.isSafeInteger(resamples) || resamples < 1) {
    throw new ValidationError(`resamples must be a positive integer, got ${resamples}`, {
      field: 'resamples',
    });
  }
  const rng = options.rng ?? new Generator(options.seed ?? 0);
  return { confidence, resamples, rng };
}

function isStrata(data: Sample | readonly Sample[]): data is readonly Sample[] {
  return data.length > 0 && typeof data[0] === 'object' && data[0] !== null;
}

function checkStatistic(statistic: BuiltinStatistic | SampleStatistic): void {
  if (typeof statistic === 'function') return;
  if (statistic !== 'mean' && statistic !== 'median' && statistic !== 'iqm') {
    throw new ValidationError(
      `statistic must be 'mean', 'median', 'iqm' or a function, got '${String(statistic)}'`,
      {
        field: 'statistic',
      },
    );
  }
}

/** Applies a built-in or custom statistic to buf[0..n) (which it may reorder). */
function applyStatistic(
  statistic: BuiltinStatistic | SampleStatistic,
  buf: Float64Array,
  offsets: Int32Array,
): number {
  const n = buf.length;
  switch (statistic) {
    case 'mean':
      return neumaierSum(buf) / n;
    case 'median':
      return medianInPlace(buf, n);
    case 'iqm':
      return trimmedMeanInPlace(buf, n, Math.trunc(0.25 * n));
    default:
      return statistic(buf, offsets);
  }
}

/** The percentile interval from the estimates (sorted in place). */
function percentileInterval(
  estimates: Float64Array,
  estimate: number,
  confidence: number,
  resamples: number,
): BootstrapInterval {
  // A statistic that returned NaN on some resample leaves no meaningful percentile.
  for (let i = 0; i < estimates.length; i++) {
    if (Number.isNaN(estimates[i])) {
      return { low: Number.NaN, high: Number.NaN, estimate, resamples, confidence };
    }
  }
  estimates.sort();
  const tail = (1 - confidence) / 2;
  return {
    low: quantileSorted(estimates, tail),
    high: quantileSorted(estimates, 1 - tail),
    estimate,
    resamples,
    confidence,
  };
}

/**
 * Draws resamples of a fixed set of strata and evaluates a statistic on each, without
 * allocating. For 'mean' the drawn values are summed directly (Neumaier, in draw order).
 * For 'median' and 'iqm' nothing is sorted or selected: the pooled values are sorted once,
 * a resample is recorded as how many copies of each sorted position it drew, and the
 * order statistics are read off those counts in one pass (a counting sort, since every
 * resampled value is one of the originals). Custom statistics get the refilled buffer.
 */
class Resampler {
  private readonly total: number;
  private readonly nStrata: number;
  private readonly thresholds: Float64Array;
  private readonly buf: Float64Array;
  private readonly sorted: Float64Array;
  private readonly rankOf: Int32Array;
  private readonly counts: Int32Array;

  constructor(
    private readonly pooled: Float64Array,
    private readonly drawOffsets: Int32Array,
    private readonly statOffsets: Int32Array,
    private readonly statistic: BuiltinStatistic | SampleStatistic,
    private readonly drawer: IndexDrawer,
  ) {
    this.total = pooled.length;
    this.nStrata = drawOffsets.length - 1;
    this.thresholds = new Float64Array(this.nStrata);
    for (let j = 0; j < this.nStrata; j++) {
      this.thresholds[j] = IndexDrawer.threshold(drawOffsets[j + 1] - drawOffsets[j]);
    }
    const byRank = statistic === 'median' || statistic === 'iqm';
    this.buf = new Float64Array(typeof statistic === 'function' ? this.total : 0);
    this.sorted = new Float64Array(byRank ? this.total : 0);
    this.rankOf = new Int32Array(byRank ? this.total : 0);
    this.counts = new Int32Array(byRank ? this.total : 0);
    if (byRank) {
      const order = new Uint32Array(this.total);
      for (let i = 0; i < this.total; i++) order[i] = i;
      order.sort((a, b) => (pooled[a] < pooled[b] ? -1 : pooled[a] > pooled[b] ? 1 : 0));
      for (let r = 0; r < this.total; r++) {
        this.sorted[r] = pooled[order[r]];
        this.rankOf[order[r]] = r;
      }
    }
  }

  /** Draws one resample and returns its statistic. */
  next(): number {
    switch (this.statistic) {
      case 'mean':
        return this.nextMean();
      case 'median':
      case 'iqm':
        this.drawCounts();
        return this.statistic === 'iqm' ? this.trimmedMeanFromCounts() : this.medianFromCounts();
      default: {
        const { pooled, drawOffsets, buf, drawer, thresholds } = this;
        for (let j = 0; j < this.nStrata; j++) {
          const start = drawOffsets[j];
          const size = drawOffsets[j + 1] - start;
          const threshold = thresholds[j];
          for (let i = 0; i < size; i++) buf[start + i] = pooled[start + drawer.draw(size, threshold)];
        }
        return this.statistic(buf, this.statOffsets);
      }
    }
  }

  private nextMean(): number {
    const { pooled, drawOffsets, drawer, thresholds } = this;
    let s = 0;
    let c = 0;
    for (let j = 0; j < this.nStrata; j++) {
      const start = drawOffsets[j];
      const size = drawOffsets[j + 1] - start;
      const threshold = thresholds[j];
      for (let i = 0; i < size; i++) {
        const v = pooled[start + drawer.draw(size, threshold)];
        const t = s + v;
        c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
        s = t;
      }
    }
    const sum = s + c;
    return (Number.isNaN(sum) ? s : sum) / this.total;
  }

  private drawCounts(): void {
    const { drawOffsets, drawer, thresholds, counts, rankOf } = this;
    counts.fill(0);
    for (let j = 0; j < this.nStrata; j++) {
      const start = drawOffsets[j];
      const size = drawOffsets[j + 1] - start;
      const threshold = thresholds[j];
      for (let i = 0; i < size; i++) counts[rankOf[start + drawer.draw(size, threshold)]]++;
    }
  }

  /** trim_mean(resample, 0.25): the values at sorted positions [g, n − g), g = ⌊n/4⌋. */
  private trimmedMeanFromCounts(): number {
    const { counts, sorted, total } = this;
    const g = Math.trunc(0.25 * total);
    const lo = g;
    const hi = total - g;
    let position = 0;
    let s = 0;
    let c = 0;
    for (let r = 0; r < total && position < hi; r++) {
      const k = counts[r];
      if (k === 0) continue;
      const from = Math.max(position, lo);
      const to = Math.min(position + k, hi);
      position += k;
      if (to <= from) continue;
      const v = (to - from) * sorted[r];
      const t = s + v;
      c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
      s = t;
    }
    const sum = s + c;
    return (Number.isNaN(sum) ? s : sum) / (hi - lo);
  }

  /** numpy.median of the resample from the counts: position ⌊n/2⌋ (and the one before for even n). */
  private medianFromCounts(): number {
    const { counts, sorted, total } = this;
    const h = total >>> 1;
    let position = 0;
    let below = Number.NaN; // value at position h − 1
    for (let r = 0; r < total; r++) {
      const k = counts[r];
      if (k === 0) continue;
      if (position <= h - 1 && h - 1 < position + k) below = sorted[r];
      if (position <= h && h < position + k) {
        if (total % 2 === 1) return sorted[r];
        const a = below;
        const b = sorted[r];
        const mid = a + b;
        return Number.isFinite(mid) || !Number.isFinite(a) || !Number.isFinite(b) ? mid / 2 : a / 2 + b / 2;
      }
      position += k;
    }
    return Number.NaN; // not reached: the counts add up to total
  }
}

/**
 * Percentile bootstrap confidence interval of `statistic` over `data`.
 *
 * `data` is one sample, or an array of strata (e.g. the runs of each environment). With
 * strata and `stratified` (the default), every resample draws n_j values with replacement
 * from stratum j, for each j in turn, and the statistic sees the concatenation with the
 * stratum offsets (rliable's StratifiedBootstrap + aggregate function). The built-in
 * statistics ('mean', 'median', 'iqm' = scipy.stats.trim_mean(·, 0.25)) apply to all
 * pooled values, as rliable's aggregate IQM does; for a mean of per-task means pass a
 * function using the offsets.
 *
 * Degenerate inputs: an empty sample or stratum, or NaN in the data → ValidationError.
 * A single value gives the degenerate interval [x, x]. A statistic returning NaN on any
 * resample gives low = high = NaN.
 */
export function bootstrapCI(
  data: Sample | readonly Sample[],
  statistic: BuiltinStatistic | SampleStatistic = 'mean',
  options: BootstrapOptions = {},
): BootstrapInterval {
  checkStatistic(statistic);
  const { confidence, resamples, rng } = resolveOptions(options);
  let strata: readonly Sample[];
  if (isStrata(data)) {
    data.forEach((s, j) => {
      checkNonEmpty(s, `data[${j}]`);
    });
    strata = data;
  } else {
    checkNonEmpty(data, 'data');
    strata = [data];
  }
  const k = strata.length;
  const offsets = new Int32Array(k + 1);
  for (let j = 0; j < k; j++) offsets[j + 1] = offsets[j] + strata[j].length;
  const total = offsets[k];
  const pooled = new Float64Array(total);
  for (let j = 0; j < k; j++)
    for (let i = 0; i < strata[j].length; i++) pooled[offsets[j] + i] = strata[j][i];

  const estimate = applyStatistic(statistic, Float64Array.from(pooled), offsets);

  // Pooled resampling treats the data as one stratum.
  const stratified = options.stratified ?? true;
  const drawOffsets = stratified ? offsets : Int32Array.of(0, total);
  const resampler = new Resampler(pooled, drawOffsets, drawOffsets, statistic, new IndexDrawer(rng));
  const estimates = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) estimates[r] = resampler.next();
  return percentileInterval(estimates, estimate, confidence, resamples);
}

/** A statistic of one sample for `bootstrapDifferenceCI` (may reorder its scratch argument). */
export type OneSampleStatistic = (values: Float64Array) => number;

/** Options of `bootstrapDifferenceCI`. */
export interface BootstrapDifferenceOptions extends Omit<BootstrapOptions, 'stratified'> {
  /** The statistic whose difference is estimated; default 'mean'. */
  statistic?: BuiltinStatistic | OneSampleStatistic;
}

/**
 * Percentile bootstrap confidence interval of statistic(a) − statistic(b) for two
 * independent samples (default: the difference of means). Each resample draws |a| values
 * from a, then |b| values from b, with replacement (rliable's
 * StratifiedIndependentBootstrap for two arrays).
 *
 * Degenerate inputs: an empty sample or NaN → ValidationError; one value per sample gives
 * the interval [a0 − b0, a0 − b0].
 */
export function bootstrapDifferenceCI(
  a: Sample,
  b: Sample,
  options: BootstrapDifferenceOptions = {},
): BootstrapInterval {
  checkNonEmpty(a, 'a');
  checkNonEmpty(b, 'b');
  const statistic = options.statistic ?? 'mean';
  checkStatistic(statistic);
  const { confidence, resamples, rng } = resolveOptions(options);
  const sampleA = Float64Array.from(a);
  const sampleB = Float64Array.from(b);
  const offsetsA = Int32Array.of(0, sampleA.length);
  const offsetsB = Int32Array.of(0, sampleB.length);
  const stat: BuiltinStatistic | SampleStatistic =
    typeof statistic === 'function' ? (values: Float64Array) => statistic(values) : statistic;
  const estimate =
    applyStatistic(stat, Float64Array.from(sampleA), offsetsA) -
    applyStatistic(stat, Float64Array.from(sampleB), offsetsB);
  const drawer = new IndexDrawer(rng);
  const resamplerA = new Resampler(sampleA, offsetsA, offsetsA, stat, drawer);
  const resamplerB = new Resampler(sampleB, offsetsB, offsetsB, stat, drawer);
  const estimates = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    const statA = resamplerA.next(); // all of a's draws, then all of b's
    estimates[r] = statA - resamplerB.next();
  }
  return percentileInterval(estimates, estimate, confidence, resamples);
}

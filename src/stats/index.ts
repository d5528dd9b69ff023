/**
 * tars-eval statistics: small, pure, seeded functions with the names of the papers and
 * libraries they reproduce (NumPy, SciPy, rliable, statsmodels). See each module for its
 * definitions and degenerate-input behaviour.
 */
export {
  type BootstrapDifferenceOptions,
  type BootstrapInterval,
  type BootstrapOptions,
  type BuiltinStatistic,
  bootstrapCI,
  bootstrapDifferenceCI,
  type OneSampleStatistic,
  type SampleStatistic,
} from './bootstrap.js';
export {
  iqm,
  kurtosis,
  type MomentOptions,
  max,
  mean,
  median,
  min,
  quantile,
  quantileSorted,
  skewness,
  standardError,
  std,
  sum,
  trimmedMean,
  variance,
} from './descriptive.js';
export {
  type Alternative,
  type MannWhitneyMethod,
  type MannWhitneyOptions,
  type MannWhitneyResult,
  mannWhitneyExactCdf,
  mannWhitneyU,
  type TTestOptions,
  type TTestResult,
  welchTTest,
  welchTTestFromStats,
} from './hypothesis-tests.js';
export type { Sample } from './internal.js';
export { type HolmResult, holmBonferroni } from './multiple-testing.js';
export { zTestPower, zTestSampleSize } from './power.js';
export { probabilityOfImprovement } from './probability-of-improvement.js';
export {
  type BetaPair,
  erf,
  erfc,
  incompleteBeta,
  logBeta,
  logGamma,
  normalCdf,
  normalIsf,
  normalPdf,
  normalQuantile,
  normalSf,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTSf,
} from './special.js';

/**
 * Game-theory solvers for evaluating populations of agents: a dense LP solver, zero-sum
 * games (minimax and maximum-entropy Nash, Nash averaging), bimatrix games (Lemke–Howson,
 * support enumeration), evolutionary dynamics (replicator dynamics, α-Rank).
 *
 * Convention everywhere: matrices are `number[][]` with A[i][j] the row player's payoff
 * when the row player plays i and the column player plays j.
 */
export {
  type AlphaRankEntry,
  type AlphaRankOptions,
  type AlphaRankResult,
  alphaRank,
  logFermiFixation,
  type PayoffTable,
  type PayoffTensor,
} from './alpha-rank.js';
export { type BimatrixEquilibrium, type LemkeHowsonOptions, lemkeHowson } from './lemke-howson.js';
export type { Matrix } from './linear-algebra.js';
export {
  type Bound,
  type LinearProgram,
  type LinprogOptions,
  type LinprogResult,
  type LinprogStatus,
  linprog,
} from './linprog.js';
export {
  type MaxEntropyNashOptions,
  maxEntropyNash,
  type NashAveragingOptions,
  type NashAveragingResult,
  nashAveraging,
  nashAveragingAvA,
} from './max-entropy-nash.js';
export { type Regrets, regrets, zeroSumGuarantees } from './regret.js';
export {
  type ReplicatorOptions,
  type ReplicatorResult,
  replicatorDynamics,
  type TwoPopulationReplicatorOptions,
  type TwoPopulationReplicatorResult,
  twoPopulationReplicatorDynamics,
} from './replicator.js';
export { type SupportEnumerationOptions, supportEnumeration } from './support-enumeration.js';
export { solveZeroSum, type ZeroSumSolution } from './zero-sum.js';

/**
 * Nash scoring of an evaluated population (DESIGN section 5): the candidate, stored
 * baselines and any other agents, scored on the same environments. Definitions, with their
 * reasons, are in docs/evaluation/nash.md; in short:
 *
 * 1. Scores. Each environment's mean returns are normalised to a relative score
 *      S[a][e] = 1 − (best_e − x[a][e]) / D_e,   D_e = max(best_e − worst_e, δ · |target_e − random_e|),
 *    i.e. min-max over the population as Nash averaging does (Balduzzi et al. 2018; OpenSpiel's
 *    nash_averaging normalises each task to [0, 1]), with the best agent at 1, but with the
 *    range floored at a practically significant difference: δ (default 0.1) of the gap between
 *    the random policy and the solved threshold (ENV_REFERENCES). Without the floor, a
 *    population of two would turn any difference, however small, into 0 versus 1. An
 *    environment on which every agent ties gives everyone 1 (no ranking information) and is
 *    left out of the game, as nashAveraging's tie rule intends. R = 1 − S is the relative regret.
 * 2. Equilibrium. The agents-vs-environments zero-sum game on S (agents maximise, the
 *    environment player minimises — it looks for the environments the population finds
 *    hardest) is solved for its maximum-entropy Nash equilibrium (p*, q*) (`maxEntropyNash`).
 *    The Nash-averaged skill of agent a is (S q*)_a; its maximum is the game's value.
 * 3. deviation_from_equilibrium = max_a (S q*)_a − (S q*)_c: the candidate's regret against
 *    the equilibrium environment mixture. Because q* is the entropy maximiser (a relative-
 *    interior point of the optimal set), it is 0 exactly when the candidate is in the support
 *    of some equilibrium (Goldman–Tucker strict complementarity), and it is unchanged by
 *    duplicated agents (their rows add no new constraint on q*).
 * 4. conflict_score = w / w₀, where w = min_p max_e (pᵀR)_e is the relative regret that the
 *    best agent mixture must accept on its worst environment (0 when one agent is best
 *    everywhere) and w₀ is the same game on the winner-takes-all regrets [a is not best on e]
 *    (R ≤ that matrix, so w ≤ w₀): 1 when the environments disagree about the winner as much
 *    as their winners allow. Per environment e: the relative regret on e of the agents that
 *    the other environments pick (the maxent equilibrium of the game without e).
 * 5. stability_score: the fraction of perturbed score matrices — each agent's per-environment
 *    mean replaced by the mean of a bootstrap resample of its raw returns (or a normal draw
 *    with its standard error) — on which the candidate falls in the same decision band
 *    (accept / review / reject, below) as on the observed scores. Seeded.
 * 6. recommendation: reject when the candidate's deviation exceeds `rejectDeviation`; accept
 *    when its deviation is at most `acceptDeviation` and it is not strictly dominated (another
 *    agent better on every environment that separates the agents); review otherwise. An accept or reject that
 *    holds in fewer than `minStability` of the perturbations becomes review, and so does an
 *    accept when the environments conflict above `maxConflict`.
 * 7. Per environment, the same scores are those of the one-environment game (its maxent
 *    equilibrium is uniform over the agents with the best mean, the deviation is 1 − S[c][e],
 *    and "dominated" means some agent has a higher mean there), except the conflict, which
 *    compares the environment with the others. With one environment, overall = per environment.
 *
 * Head-to-head (DESIGN: "for head-to-head payoffs, as a general-sum bimatrix game"): when raw
 * returns are given, agents also meet pairwise, episode against episode on the same
 * environment; the payoff of a against b is the probability that a's return is strictly
 * higher (ties count for neither, so the game is general-sum). Its equilibria (Lemke–Howson
 * from every starting label) and α-Rank are reported as diagnostics and in the details
 * sentence, not in the recommendation: they see the distribution of returns, not only the
 * means, but general-sum equilibria are not unique and α-Rank depends on its α and m, so
 * neither is a stable basis for a gate.
 */
import { ValidationError } from '../errors.js';
import { alphaRank, lemkeHowson, maxEntropyNash, solveZeroSum } from '../games/index.js';
import { Generator, type SeedEntropy } from '../rng/index.js';
import { ENV_REFERENCES, type EnvReference } from './metrics.js';
import type { NashScores, Recommendation } from './schemas.js';

export type AgentKind = 'candidate' | 'baseline' | 'other';

/** One member of the evaluated population. */
export interface PopulationAgent {
  id: string;
  kind: AgentKind;
  agent_type: string;
  /** Mean episode return per environment id. */
  perEnvMeanReturn: Readonly<Record<string, number>>;
  /** Raw episode returns per environment (for perturbations and head-to-head). */
  perEnvReturns?: Readonly<Record<string, readonly number[]>>;
  /** Standard error of the mean return per environment, used where raw returns are absent. */
  perEnvStdError?: Readonly<Record<string, number>>;
}

export interface NashThresholds {
  /** Deviation at or below which the candidate counts as in equilibrium. Default 0.1. */
  acceptDeviation: number;
  /** Deviation above which the candidate is rejected. Default 0.5. */
  rejectDeviation: number;
  /** Conflict above which an accept becomes review. Default 0.5. */
  maxConflict: number;
  /** Stability below which an accept or reject becomes review. Default 0.8. */
  minStability: number;
}

export const DEFAULT_NASH_THRESHOLDS: Readonly<NashThresholds> = Object.freeze({
  acceptDeviation: 0.1,
  rejectDeviation: 0.5,
  maxConflict: 0.5,
  minStability: 0.8,
});

/** Default practical-significance floor δ, as a fraction of the random → target gap. */
export const DEFAULT_SIGNIFICANCE = 0.1;

/** Default number of perturbed score matrices for the stability score. */
export const DEFAULT_PERTURBATIONS = 200;

export interface NashScoringOptions {
  /** Environments to score (default: the candidate's, in its key order). */
  environments?: readonly string[];
  /** Reference returns per environment (default ENV_REFERENCES); environments without one get no floor. */
  references?: Readonly<Record<string, EnvReference>>;
  /** δ: the score range's floor as a fraction of |target − random|. Default 0.1; 0 gives plain min-max. */
  significance?: number;
  /** Perturbed score matrices for stability. Default 200; 0 skips (stability 1). */
  perturbations?: number;
  /** Seed of the perturbations. Default 0. */
  seed?: SeedEntropy;
  thresholds?: Partial<NashThresholds>;
  /** Compute the head-to-head game when raw returns allow. Default true. */
  headToHead?: boolean;
}

/** The head-to-head game's diagnostics (see the module comment). */
export interface HeadToHead {
  /** win[a][b]: probability that a's return beats b's on an episode pair of the same environment, averaged over environments. */
  win: number[][];
  /** Distinct equilibria of the bimatrix game (win, winᵀ) found by Lemke–Howson from every label. */
  equilibria: Array<{ row: number[]; col: number[] }>;
  /** Whether the candidate is played in some equilibrium found. */
  candidateInSupport: boolean;
  /** α-Rank stationary mass of each agent (single population, payoff win). */
  alphaRank: number[];
  /** The candidate's position in the α-Rank order (1 = most mass). */
  candidateAlphaRank: number;
  /** The agent with the largest net head-to-head margin over the candidate, if it has a positive one. */
  strongestRival: { agent: string; winsAgainstCandidate: number; lossesAgainstCandidate: number } | null;
}

/** The game behind the scores, for reports and debugging. */
export interface NashGame {
  /** Agents in the game (population order; the candidate included). */
  agents: string[];
  /** Agents left out because they lack a score on some environment. */
  excludedAgents: string[];
  environments: string[];
  /** Environments on which not every agent ties (the ones in the game). */
  informativeEnvironments: string[];
  /** Relative scores S[agent][environment] (1 = best on that environment). */
  scores: number[][];
  /** D_e, the range each environment's scores were divided by (0 when all tie). */
  scale: number[];
  /** p*: equilibrium weight of each agent. */
  agentWeights: number[];
  /** q*: equilibrium weight of each environment (0 for uninformative ones). */
  environmentWeights: number[];
  /** Nash-averaged skill (S q*)_a of each agent. */
  skills: number[];
  /** Agents that strictly dominate the candidate. */
  dominatedBy: string[];
  /** Perturbations drawn for the stability score (0 when no agent has noise information). */
  perturbations: number;
  headToHead: HeadToHead | null;
}

export interface NashScoring {
  overall: NashScores;
  perEnvironment: Record<string, NashScores>;
  game: NashGame;
}

type Band = 'accept' | 'review' | 'reject';

const KINDS: readonly AgentKind[] = ['candidate', 'baseline', 'other'];

/** Weights below this are reported as 0 (solver round-off). */
const WEIGHT_EPS = 1e-10;

/**
 * Scores are clamped to [0, 1] and round-off below 1e-9 (the solvers' accuracy, in relative
 * score units) is reported as exactly 0, so that "in equilibrium" reads as 0.
 */
function snap(x: number): number {
  return x < 1e-9 ? 0 : Math.min(1, x);
}

function fmt(x: number, digits = 2): string {
  return x.toFixed(digits);
}

function pct(x: number): string {
  return `${Math.round(100 * x)}%`;
}

function resolveThresholds(partial: Partial<NashThresholds> | undefined): NashThresholds {
  const t = { ...DEFAULT_NASH_THRESHOLDS, ...partial };
  for (const [k, v] of Object.entries(t)) {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new ValidationError(`thresholds.${k} must be in [0, 1], got ${String(v)}`, {
        field: `thresholds.${k}`,
      });
    }
  }
  if (t.acceptDeviation > t.rejectDeviation) {
    throw new ValidationError('thresholds.acceptDeviation must not exceed thresholds.rejectDeviation', {
      field: 'thresholds',
    });
  }
  return t;
}

function validateAgent(agent: PopulationAgent, index: number): void {
  const where = `population[${index}]`;
  if (agent === null || typeof agent !== 'object')
    throw new ValidationError(`${where} must be an object`, { field: where });
  if (typeof agent.id !== 'string' || agent.id.length === 0) {
    throw new ValidationError(`${where}.id must be a non-empty string`, { field: where });
  }
  if (!KINDS.includes(agent.kind)) {
    throw new ValidationError(`${where}.kind must be one of ${KINDS.join(', ')}`, { field: where });
  }
  if (agent.perEnvMeanReturn === null || typeof agent.perEnvMeanReturn !== 'object') {
    throw new ValidationError(`${where}.perEnvMeanReturn must be an object`, { field: where });
  }
}

/** Whether the agent has a finite mean on every environment (and valid noise fields there). */
function hasAllScores(agent: PopulationAgent, envs: readonly string[]): boolean {
  for (const e of envs) {
    const m = agent.perEnvMeanReturn[e];
    if (m === undefined) return false;
    if (typeof m !== 'number' || !Number.isFinite(m)) {
      throw new ValidationError(`agent '${agent.id}' has a non-finite mean return on ${e}`, {
        field: 'population',
      });
    }
    const raw = agent.perEnvReturns?.[e];
    if (raw !== undefined) {
      if (
        !Array.isArray(raw) ||
        raw.length === 0 ||
        raw.some((r) => typeof r !== 'number' || !Number.isFinite(r))
      ) {
        throw new ValidationError(`agent '${agent.id}' has invalid raw returns on ${e}`, {
          field: 'population',
        });
      }
    }
    const se = agent.perEnvStdError?.[e];
    if (se !== undefined && !(typeof se === 'number' && Number.isFinite(se) && se >= 0)) {
      throw new ValidationError(`agent '${agent.id}' has an invalid standard error on ${e}`, {
        field: 'population',
      });
    }
  }
  return true;
}

/** Relative scores of a means matrix x[a][e] (see the module comment, step 1). */
interface Scored {
  s: number[][];
  scale: number[];
  informative: boolean[];
}

function relativeScores(x: readonly (readonly number[])[], floors: readonly number[]): Scored {
  const n = x.length;
  const k = floors.length;
  const s = Array.from({ length: n }, () => new Array<number>(k));
  const scale = new Array<number>(k);
  const informative = new Array<boolean>(k);
  for (let e = 0; e < k; e++) {
    let hi = Number.NEGATIVE_INFINITY;
    let lo = Number.POSITIVE_INFINITY;
    for (let a = 0; a < n; a++) {
      hi = Math.max(hi, x[a][e]);
      lo = Math.min(lo, x[a][e]);
    }
    informative[e] = hi > lo;
    const d = informative[e] ? Math.max(hi - lo, floors[e]) : 0;
    scale[e] = d;
    for (let a = 0; a < n; a++) s[a][e] = d > 0 ? 1 - (hi - x[a][e]) / d : 1;
  }
  return { s, scale, informative };
}

/** Columns `cols` of m. */
function columns(m: readonly (readonly number[])[], cols: readonly number[]): number[][] {
  return m.map((row) => cols.map((j) => row[j]));
}

interface OverallGame {
  agentWeights: number[];
  environmentWeights: number[];
  skills: number[];
  deviation: number;
}

/** Maxent equilibrium of the game on the informative environments, and the candidate's deviation. */
function solveOverall(scored: Scored, c: number): OverallGame {
  const n = scored.s.length;
  const k = scored.informative.length;
  const cols: number[] = [];
  for (let e = 0; e < k; e++) if (scored.informative[e]) cols.push(e);
  const environmentWeights = new Array<number>(k).fill(0);
  if (cols.length === 0) {
    // Every agent ties everywhere: every mixture is an equilibrium; the maxent one is uniform.
    return {
      agentWeights: new Array(n).fill(1 / n),
      environmentWeights,
      skills: new Array(n).fill(1),
      deviation: 0,
    };
  }
  const sub = columns(scored.s, cols);
  const eq = maxEntropyNash(sub);
  cols.forEach((e, j) => {
    environmentWeights[e] = eq.colStrategy[j];
  });
  const skills = sub.map((row) => row.reduce((acc, v, j) => acc + v * eq.colStrategy[j], 0));
  const best = Math.max(...skills);
  return { agentWeights: eq.rowStrategy, environmentWeights, skills, deviation: snap(best - skills[c]) };
}

/** Agents strictly better than the candidate on every informative environment. */
function dominators(x: readonly (readonly number[])[], informative: readonly boolean[], c: number): number[] {
  if (!informative.some(Boolean)) return [];
  const out: number[] = [];
  for (let a = 0; a < x.length; a++) {
    if (a === c) continue;
    let all = true;
    for (let e = 0; e < informative.length && all; e++)
      if (informative[e] && !(x[a][e] > x[c][e])) all = false;
    if (all) out.push(a);
  }
  return out;
}

/** Whether some agent has a strictly higher mean than the candidate on environment e. */
function beatenOn(x: readonly (readonly number[])[], e: number, c: number): boolean {
  for (let a = 0; a < x.length; a++) if (x[a][e] > x[c][e]) return true;
  return false;
}

function band(deviation: number, dominated: boolean, t: NashThresholds): Band {
  // Dominance alone does not reject: a candidate slightly below the best agent on every
  // environment is for a person to review; only a deviation beyond rejectDeviation rejects.
  if (deviation > t.rejectDeviation) return 'reject';
  if (deviation <= t.acceptDeviation && !dominated) return 'accept';
  return 'review';
}

function decide(b: Band, conflict: number, stability: number, t: NashThresholds): Recommendation {
  if (b === 'review' || stability < t.minStability) return 'review';
  if (b === 'accept' && conflict > t.maxConflict) return 'review';
  return b;
}

/** Value of the zero-sum game "agents minimise the max over columns of pᵀM" (M ≥ 0). */
function minimaxRegret(m: number[][]): number {
  return -solveZeroSum(m.map((row) => row.map((v) => -v))).value;
}

/** Overall conflict (module comment, step 4) on the informative environments. */
function overallConflict(scored: Scored): number {
  const cols: number[] = [];
  scored.informative.forEach((inf, e) => {
    if (inf) cols.push(e);
  });
  if (cols.length < 2 || scored.s.length < 2) return 0;
  const regret = scored.s.map((row) => cols.map((e) => 1 - row[e]));
  const winnerTakesAll = scored.s.map((row) => cols.map((e) => (row[e] < 1 ? 1 : 0)));
  const w0 = minimaxRegret(winnerTakesAll);
  if (w0 <= 1e-12) return 0;
  return snap(minimaxRegret(regret) / w0);
}

/** Per-environment conflict: the regret on e of the other environments' equilibrium agents. */
function environmentConflict(scored: Scored, e: number): number {
  if (!scored.informative[e] || scored.s.length < 2) return 0;
  const others: number[] = [];
  scored.informative.forEach((inf, j) => {
    if (inf && j !== e) others.push(j);
  });
  if (others.length === 0) return 0;
  const p = maxEntropyNash(columns(scored.s, others)).rowStrategy;
  let r = 0;
  for (let a = 0; a < p.length; a++) r += p[a] * (1 - scored.s[a][e]);
  return snap(r);
}

/** Noise model of one (agent, environment) cell. */
type Noise =
  | { kind: 'bootstrap'; raw: Float64Array; rawMean: number }
  | { kind: 'normal'; se: number }
  | null;

function noiseOf(agent: PopulationAgent, env: string): Noise {
  const raw = agent.perEnvReturns?.[env];
  if (raw !== undefined && raw.length >= 2) {
    let s = 0;
    for (const r of raw) s += r;
    return { kind: 'bootstrap', raw: Float64Array.from(raw), rawMean: s / raw.length };
  }
  const se = agent.perEnvStdError?.[env];
  if (se !== undefined && se > 0) return { kind: 'normal', se };
  return null;
}

/** Probability that a draw from `a` is strictly greater than a draw from `b` (both sorted ascending). */
function strictWinProbability(a: Float64Array, b: Float64Array): number {
  let wins = 0;
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    while (j < b.length && b[j] < a[i]) j++;
    wins += j;
  }
  return wins / (a.length * b.length);
}

function headToHead(
  agents: readonly PopulationAgent[],
  envs: readonly string[],
  c: number,
): HeadToHead | null {
  const n = agents.length;
  if (n < 2) return null;
  const sorted: Float64Array[][] = [];
  for (const agent of agents) {
    const row: Float64Array[] = [];
    for (const e of envs) {
      const raw = agent.perEnvReturns?.[e];
      if (raw === undefined || raw.length === 0) return null;
      row.push(Float64Array.from(raw).sort());
    }
    sorted.push(row);
  }
  const win = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  // The diagonal is an agent against an independent episode of itself: ½ less half the ties.
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let e = 0; e < envs.length; e++) s += strictWinProbability(sorted[a][e], sorted[b][e]);
      win[a][b] = s / envs.length;
    }
  }
  const winT = win.map((_, i) => win.map((row) => row[i]));
  const equilibria: Array<{ row: number[]; col: number[] }> = [];
  for (let label = 0; label < 2 * n; label++) {
    const eq = lemkeHowson(win, winT, { initialLabel: label });
    const seen = equilibria.some(
      (q) =>
        q.row.every((v, i) => Math.abs(v - eq.row[i]) < 1e-9) &&
        q.col.every((v, i) => Math.abs(v - eq.col[i]) < 1e-9),
    );
    if (!seen) equilibria.push({ row: eq.row, col: eq.col });
  }
  const candidateInSupport = equilibria.some((q) => q.row[c] > WEIGHT_EPS || q.col[c] > WEIGHT_EPS);
  const pi = alphaRank([win]).pi;
  const candidateAlphaRank = 1 + pi.filter((m, a) => a !== c && m > pi[c] + 1e-12).length;
  let rival: HeadToHead['strongestRival'] = null;
  let bestMargin = 0;
  for (let a = 0; a < n; a++) {
    if (a === c) continue;
    const margin = win[a][c] - win[c][a];
    if (margin > bestMargin + 1e-12) {
      bestMargin = margin;
      rival = { agent: agents[a].id, winsAgainstCandidate: win[a][c], lossesAgainstCandidate: win[c][a] };
    }
  }
  return { win, equilibria, candidateInSupport, alphaRank: pi, candidateAlphaRank, strongestRival: rival };
}

function cleanWeights(
  ids: readonly string[],
  w: readonly number[],
): Array<{ agent: string; weight: number }> {
  let total = 0;
  const clipped = w.map((v) => (v > WEIGHT_EPS ? v : 0));
  for (const v of clipped) total += v;
  return ids.map((agent, i) => ({ agent, weight: total > 0 ? Math.min(1, clipped[i] / total) : 0 }));
}

function neutralScores(candidate: string, reason: string): NashScores {
  return {
    conflict_score: 0,
    deviation_from_equilibrium: 0,
    stability_score: 1,
    recommendation: 'accept',
    details: `accept: ${reason}; the candidate '${candidate}' is trivially the equilibrium (neutral scores).`,
    equilibrium: [{ agent: candidate, weight: 1 }],
  };
}

/**
 * Nash scores of `candidate` (an agent id of `population`) overall and per environment.
 * See the module comment and docs/evaluation/nash.md for every definition.
 *
 * Agents without a mean return on some environment are left out (listed in
 * game.excludedAgents). With no other agent left the scores are neutral: conflict 0,
 * deviation 0, stability 1, accept. With one environment, the overall scores are that
 * environment's.
 */
export function scoreNash(
  population: readonly PopulationAgent[],
  candidate: string,
  options: NashScoringOptions = {},
): NashScoring {
  if (!Array.isArray(population) || population.length === 0) {
    throw new ValidationError('population must hold at least the candidate', { field: 'population' });
  }
  population.forEach(validateAgent);
  const ids = new Set<string>();
  for (const a of population) {
    if (ids.has(a.id)) throw new ValidationError(`duplicate agent id '${a.id}'`, { field: 'population' });
    ids.add(a.id);
  }
  const cand = population.find((a) => a.id === candidate);
  if (cand === undefined) {
    throw new ValidationError(`candidate '${candidate}' is not in the population`, { field: 'candidate' });
  }
  const envs = [...(options.environments ?? Object.keys(cand.perEnvMeanReturn))];
  if (envs.length === 0) throw new ValidationError('no environments to score', { field: 'environments' });
  if (new Set(envs).size !== envs.length) {
    throw new ValidationError('environments must be distinct', { field: 'environments' });
  }
  if (!hasAllScores(cand, envs)) {
    const missing = envs.filter((e) => cand.perEnvMeanReturn[e] === undefined);
    throw new ValidationError(`candidate '${candidate}' has no mean return on ${missing.join(', ')}`, {
      field: 'candidate',
    });
  }
  const t = resolveThresholds(options.thresholds);
  const significance = options.significance ?? DEFAULT_SIGNIFICANCE;
  if (!(significance >= 0 && Number.isFinite(significance))) {
    throw new ValidationError(`significance must be a non-negative number, got ${significance}`, {
      field: 'significance',
    });
  }
  const perturbations = options.perturbations ?? DEFAULT_PERTURBATIONS;
  if (!Number.isSafeInteger(perturbations) || perturbations < 0) {
    throw new ValidationError(`perturbations must be a non-negative integer, got ${perturbations}`, {
      field: 'perturbations',
    });
  }

  const agents = population.filter((a) => hasAllScores(a, envs));
  const excludedAgents = population.filter((a) => !agents.includes(a)).map((a) => a.id);
  const agentIds = agents.map((a) => a.id);
  const c = agents.indexOf(cand);
  const n = agents.length;
  const k = envs.length;
  const floors = envs.map((e) => {
    const ref = options.references?.[e] ?? ENV_REFERENCES[e];
    return ref === undefined ? 0 : significance * Math.abs(ref.target - ref.random);
  });
  const x = agents.map((a) => envs.map((e) => a.perEnvMeanReturn[e]));
  const scored = relativeScores(x, floors);

  if (n === 1) {
    const reason =
      excludedAgents.length === 0
        ? 'no other agent was evaluated on these environments'
        : `no other agent was evaluated on all these environments (not scored: ${excludedAgents.join(', ')})`;
    const perEnvironment: Record<string, NashScores> = {};
    for (const e of envs) perEnvironment[e] = neutralScores(candidate, reason);
    return {
      overall: neutralScores(candidate, reason),
      perEnvironment,
      game: {
        agents: agentIds,
        excludedAgents,
        environments: envs,
        informativeEnvironments: [],
        scores: scored.s,
        scale: scored.scale,
        agentWeights: [1],
        environmentWeights: new Array(k).fill(1 / k),
        skills: [1],
        dominatedBy: [],
        perturbations: 0,
        headToHead: null,
      },
    };
  }

  // Observed game.
  const game = solveOverall(scored, c);
  const dominatedBy = dominators(x, scored.informative, c);
  const overallBand = band(game.deviation, dominatedBy.length > 0, t);
  const envDeviation = envs.map((_, e) => 1 - scored.s[c][e]);
  const envBand = envDeviation.map((d, e) => band(d, beatenOn(x, e, c), t));
  const conflict = overallConflict(scored);
  const envConflict = envs.map((_, e) => environmentConflict(scored, e));

  // Stability: perturbed score matrices (module comment, step 5).
  const noise = agents.map((a) => envs.map((e) => noiseOf(a, e)));
  const noisy = noise.some((row) => row.some((cell) => cell !== null));
  const draws = noisy ? perturbations : 0;
  let sameOverall = 0;
  const sameEnv = new Array<number>(k).fill(0);
  if (draws > 0) {
    const rng = new Generator(options.seed ?? 0);
    const xp = x.map((row) => row.slice());
    for (let r = 0; r < draws; r++) {
      for (let a = 0; a < n; a++) {
        for (let e = 0; e < k; e++) {
          const cell = noise[a][e];
          if (cell === null) continue;
          if (cell.kind === 'normal') {
            xp[a][e] = x[a][e] + cell.se * rng.standardNormal();
          } else {
            const m = cell.raw.length;
            let s = 0;
            for (let i = 0; i < m; i++) s += cell.raw[rng.integers(0, m)];
            // Centred on the given mean, in case it differs from the raw returns' mean.
            xp[a][e] = x[a][e] + (s / m - cell.rawMean);
          }
        }
      }
      const sp = relativeScores(xp, floors);
      const gp = solveOverall(sp, c);
      const bp = band(gp.deviation, dominators(xp, sp.informative, c).length > 0, t);
      if (bp === overallBand) sameOverall++;
      for (let e = 0; e < k; e++)
        if (band(1 - sp.s[c][e], beatenOn(xp, e, c), t) === envBand[e]) sameEnv[e]++;
    }
  }
  const stability = draws > 0 ? sameOverall / draws : 1;
  const envStability = sameEnv.map((s) => (draws > 0 ? s / draws : 1));

  const h2h = options.headToHead === false ? null : headToHead(agents, envs, c);

  // Overall scores.
  const equilibrium = cleanWeights(agentIds, game.agentWeights);
  const bestSkill = Math.max(...game.skills);
  const bestAgents = agentIds.filter((_, a) => game.skills[a] >= bestSkill - 1e-9);
  const recommendation = decide(overallBand, conflict, stability, t);
  const overall: NashScores = {
    conflict_score: conflict,
    deviation_from_equilibrium: game.deviation,
    stability_score: stability,
    recommendation,
    details: overallDetails({
      recommendation,
      candidate,
      weight: equilibrium[c].weight,
      deviation: game.deviation,
      bestAgents,
      dominatedBy: dominatedBy.map((a) => agentIds[a]),
      conflict,
      stability,
      draws,
      excludedAgents,
      h2h,
      t,
    }),
    equilibrium,
  };

  // Per-environment scores: the one-environment game, whose maxent equilibrium is uniform
  // over the agents with the best mean.
  const perEnvironment: Record<string, NashScores> = {};
  envs.forEach((env, e) => {
    const best = agentIds.filter((_, a) => scored.s[a][e] >= 1);
    const rec = decide(envBand[e], envConflict[e], envStability[e], t);
    perEnvironment[env] = {
      conflict_score: envConflict[e],
      deviation_from_equilibrium: envDeviation[e],
      stability_score: envStability[e],
      recommendation: rec,
      details: envDetails(
        rec,
        env,
        candidate,
        envDeviation[e],
        best,
        envConflict[e],
        envStability[e],
        draws,
        t,
      ),
      equilibrium: agentIds.map((agent) => ({ agent, weight: best.includes(agent) ? 1 / best.length : 0 })),
    };
  });

  return {
    overall,
    perEnvironment,
    game: {
      agents: agentIds,
      excludedAgents,
      environments: envs,
      informativeEnvironments: envs.filter((_, e) => scored.informative[e]),
      scores: scored.s,
      scale: scored.scale,
      agentWeights: equilibrium.map((q) => q.weight),
      environmentWeights: game.environmentWeights,
      skills: game.skills,
      dominatedBy: dominatedBy.map((a) => agentIds[a]),
      perturbations: draws,
      headToHead: h2h,
    },
  };
}

function stabilityPhrase(stability: number, draws: number): string {
  return draws > 0
    ? `the verdict holds in ${pct(stability)} of ${draws} perturbations of the scores`
    : 'no per-environment uncertainty was given, so the scores are taken as exact';
}

function overallDetails(d: {
  recommendation: Recommendation;
  candidate: string;
  weight: number;
  deviation: number;
  bestAgents: string[];
  dominatedBy: string[];
  conflict: number;
  stability: number;
  draws: number;
  excludedAgents: string[];
  h2h: HeadToHead | null;
  t: NashThresholds;
}): string {
  const parts: string[] = [];
  const standing =
    d.weight > 0
      ? `is in the equilibrium support (weight ${fmt(d.weight)})`
      : `is outside the equilibrium support, ${fmt(d.deviation, 3)} below the best Nash-averaged skill (${d.bestAgents.join(', ')})`;
  parts.push(`${d.recommendation}: candidate '${d.candidate}' ${standing}`);
  if (d.dominatedBy.length > 0)
    parts.push(`it is dominated by ${d.dominatedBy.join(', ')} (better on every environment)`);
  parts.push(`environment conflict ${fmt(d.conflict)}${d.conflict > d.t.maxConflict ? ' (high)' : ''}`);
  parts.push(stabilityPhrase(d.stability, d.draws));
  if (d.h2h?.strongestRival != null) {
    const r = d.h2h.strongestRival;
    parts.push(
      `head to head, ${r.agent} beats it in ${pct(r.winsAgainstCandidate)} of episode pairs and loses ${pct(r.lossesAgainstCandidate)}`,
    );
  }
  if (d.excludedAgents.length > 0)
    parts.push(`not scored (missing environments): ${d.excludedAgents.join(', ')}`);
  return `${parts.join('; ')}.`;
}

function envDetails(
  rec: Recommendation,
  env: string,
  candidate: string,
  deviation: number,
  best: string[],
  conflict: number,
  stability: number,
  draws: number,
  t: NashThresholds,
): string {
  const standing =
    deviation === 0
      ? `'${candidate}' is among the best (${best.join(', ')})`
      : `'${candidate}' is ${fmt(deviation, 3)} below the best (${best.join(', ')}) in relative score`;
  const conflictPart = `this environment's ranking conflicts with the others' at ${fmt(conflict)}${
    conflict > t.maxConflict ? ' (high)' : ''
  }`;
  return `${rec}: on ${env} ${standing}; ${conflictPart}; ${stabilityPhrase(stability, draws)}.`;
}

/**
 * `evaluate(request)`: the engine's pipeline. For each requested environment:
 *
 *   load the agent (agent_state) and/or train it (training) → play the seeded episodes
 *   (runner.ts; on worker threads when large; adaptively when asked) → metrics → compare
 *   with the baseline (regression.ts, Holm across environments) → Nash scoring over the
 *   population (nash-scoring.ts)
 *
 * and an overall verdict. It knows nothing about HTTP or SQL: baselines and the population
 * come from the caller (`options.baselineFor`, `options.populationFor`), progress goes to
 * `options.onProgress`.
 */

import type { Span } from '@opentelemetry/api';
import {
  type AgentType,
  createAgent,
  parseAgentType,
  resolveHyperparameters,
  trainAgent,
} from '../agents/index.js';
import type { Agent, LossRecord, TrainResult } from '../agents/types.js';
import { describeEnv } from '../envs/registry.js';
import { CancelledError, ValidationError } from '../errors.js';
import { readSafetensors } from '../nn/safetensors.js';
import { parseStateDictJson, type StateDict } from '../nn/state-dict.js';
import type { EnvCache } from './env-cache.js';
import { computeMetrics } from './metrics.js';
import { type PopulationAgent, scoreNash } from './nash-scoring.js';
import type { EpisodePool } from './parallel.js';
import { detectRegression, detectRegressions, type RegressionThresholds } from './regression.js';
import { mergeActionCounts, type RunEpisodesOptions, runEpisodes } from './runner.js';
import {
  type BaselineMetrics,
  type EnvironmentResult,
  EvaluationRequest,
  type EvaluationResult,
  type MetricsResult,
  type NashScores,
  type RegressionReport,
  SEVERITIES,
  type Severity,
  type TrainingSummary,
} from './schemas.js';
import { createSequentialTest, type SequentialStep } from './sequential.js';
import { hyperparameterSummary, inSpan } from './spans.js';
import { assertValid } from './validate.js';

/** A baseline to compare with, and where it came from (for the report). */
export interface BaselineRecord {
  metrics: BaselineMetrics;
  source: string;
}

export interface EvaluateOptions {
  /** The rank-1 baseline of (agent_type, environment), or null when there is none. */
  baselineFor?: (agentType: string, envId: string) => Promise<BaselineRecord | null> | BaselineRecord | null;
  /** Other agents for Nash scoring (e.g. the rank-1 baselines of every agent type), per environment. */
  populationFor?: (envId: string) => Promise<PopulationAgent[]> | PopulationAgent[];
  /** Progress in [0, 1] with a short phrase. */
  onProgress?: (fraction: number, message: string) => void;
  /** Worker-thread pool for large evaluations (default: everything on the calling thread). */
  pool?: EpisodePool;
  /** Environment instances reused across evaluations on the calling thread (EVAL_ENV_CACHE_SIZE). */
  envCache?: EnvCache;
  /** Regression thresholds (EVAL_FAILURE_RATE etc.). */
  thresholds?: Partial<RegressionThresholds>;
  /** Episodes when the request names none (EVAL_DEFAULT_EPISODES, 100). */
  defaultEpisodes?: number;
  /** Episodes in quick mode (EVAL_QUICK_MODE_EPISODES, 50). */
  quickModeEpisodes?: number;
  /** Training-loss window of the loss-trend metric (EVAL_LOSS_TREND_WINDOW, 10). */
  lossTrendWindow?: number;
  /** Bootstrap resamples of the metric CIs (default 10,000; quick mode 2,000). */
  resamples?: number;
  /** Checked between environments and training updates; true stops with a CancelledError. */
  shouldStop?: () => boolean;
}

/** Parses `agent_state` (JSON tensors or base64 safetensors) into a state dict. */
export function parseAgentState(state: unknown): StateDict {
  if (
    state !== null &&
    typeof state === 'object' &&
    (state as { format?: unknown }).format === 'safetensors'
  ) {
    const b64 = (state as { data_base64?: unknown }).data_base64;
    if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
      throw new ValidationError('agent_state.data_base64 must be base64 text', {
        field: 'agent_state.data_base64',
      });
    }
    try {
      return readSafetensors(Buffer.from(b64, 'base64'));
    } catch (err) {
      if (err instanceof ValidationError) {
        throw new ValidationError(
          `agent_state: ${err.message}`,
          { ...err.details, field: 'agent_state' },
          { cause: err },
        );
      }
      throw err;
    }
  }
  try {
    return parseStateDictJson(state);
  } catch (err) {
    if (err instanceof ValidationError) {
      throw new ValidationError(
        `agent_state: ${err.message}`,
        { ...err.details, field: 'agent_state' },
        { cause: err },
      );
    }
    throw err;
  }
}

const MAX_CURVE_POINTS = 1000;

function summariseTraining(run: TrainResult, seed: number): TrainingSummary {
  const curve = run.learningCurve;
  const step = Math.max(1, Math.ceil(curve.length / MAX_CURVE_POINTS));
  const last = curve.slice(-100);
  return {
    total_timesteps: run.timesteps,
    seed,
    episodes: run.episodes,
    seconds: run.seconds,
    final_mean_return:
      last.length === 0 ? null : last.reduce((a, p) => a + p.episode_return, 0) / last.length,
    learning_curve: curve.filter((_, i) => i % step === 0 || i === curve.length - 1),
  };
}

function maxSeverity(reports: readonly (RegressionReport | null)[]): Severity {
  let k = 0;
  for (const r of reports) if (r !== null) k = Math.max(k, SEVERITIES.indexOf(r.severity));
  return SEVERITIES[k];
}

/** A request that passed every check `evaluate` makes before starting work. */
export interface ValidatedRequest {
  req: EvaluationRequest;
  agentType: AgentType;
  hyperparameters: Record<string, unknown>;
  stateDict: StateDict | undefined;
  numEpisodes: number;
}

/**
 * The checks an evaluation request passes before any work starts (and, in the service,
 * before it becomes a job): the schema, the agent type, the hyperparameters against the
 * agent type's schema, every environment id, agent_state (it must parse and fit each
 * environment's spaces; without it the agent type must fit them — DDPG needs a Box action
 * space, DQN a Discrete one), and seeds against num_episodes. Throws ValidationError naming
 * the field.
 */
export function validateEvaluationRequest(
  request: unknown,
  options: Pick<EvaluateOptions, 'defaultEpisodes' | 'quickModeEpisodes'> = {},
): ValidatedRequest {
  assertValid<EvaluationRequest>(EvaluationRequest, request, 'evaluation request');
  const req = request as EvaluationRequest;
  const agentType = parseAgentType(req.agent_type);
  const hyperparameters = req.hyperparameters ?? {};
  resolveHyperparameters(agentType, hyperparameters);
  for (const [i, env] of req.environments.entries()) {
    try {
      describeEnv(env);
    } catch (err) {
      if (err instanceof Error) {
        throw new ValidationError(`environments[${i}]: ${err.message}`, { field: `environments[${i}]` });
      }
      throw err;
    }
  }
  if (req.agent_state === undefined && req.training === undefined) {
    throw new ValidationError(
      'give agent_state (trained weights), training (a budget to train one), or both',
      {
        field: 'agent_state',
      },
    );
  }
  const stateDict = req.agent_state === undefined ? undefined : parseAgentState(req.agent_state);
  for (const [i, envId] of req.environments.entries()) {
    try {
      createAgent(agentType, hyperparameters, stateDict, { envId });
    } catch (err) {
      if (err instanceof ValidationError) {
        const what = stateDict === undefined ? agentType : 'agent_state';
        throw new ValidationError(`${what} does not fit ${envId}: ${err.message}`, {
          ...err.details,
          field: stateDict === undefined ? `environments[${i}]` : 'agent_state',
          environment: `environments[${i}]`,
        });
      }
      throw err;
    }
  }
  const numEpisodes =
    req.num_episodes ??
    (req.quick_mode ? (options.quickModeEpisodes ?? 50) : (options.defaultEpisodes ?? 100));
  if (req.seeds !== undefined && req.seeds.length !== numEpisodes) {
    throw new ValidationError(`seeds has ${req.seeds.length} entries; num_episodes is ${numEpisodes}`, {
      field: 'seeds',
    });
  }
  return { req, agentType, hyperparameters, stateDict, numEpisodes };
}

/** The `ml.*` attributes of a metrics record (on compute_metrics, and on the root for one environment). */
function metricAttributes(span: Span, m: MetricsResult): void {
  span.setAttributes({
    'ml.mean_reward': m.mean_reward,
    'ml.std_reward': m.std_reward,
    'ml.iqm_reward': m.iqm_reward,
    'ml.success_rate': m.success_rate,
    'ml.mean_steps': m.mean_steps,
    'ml.episodes': m.num_episodes,
  });
}

/** The `ml.regression.*` attributes of a set of verdicts: any regression, the worst severity, the highest confidence. */
function regressionAttributes(span: Span, reports: readonly (RegressionReport | null)[]): void {
  const compared = reports.filter((r): r is RegressionReport => r !== null);
  span.setAttributes({
    'ml.regression.compared': compared.length,
    'ml.regression.detected': compared.some((r) => r.is_regression),
    'ml.regression.severity': maxSeverity(compared),
    'ml.regression.should_rollback': compared.some((r) => r.should_rollback),
  });
  if (compared.length > 0) {
    span.setAttribute('ml.regression.confidence', Math.max(...compared.map((r) => r.confidence)));
  }
}

function nashAttributes(span: Span, n: NashScores): void {
  span.setAttributes({
    'ml.nash.conflict_score': n.conflict_score,
    'ml.nash.stability_score': n.stability_score,
    'ml.nash.deviation_from_equilibrium': n.deviation_from_equilibrium,
    'ml.nash.recommendation': n.recommendation,
  });
}

/**
 * Evaluates the request. Throws ValidationError (naming the field) for bad input before any
 * work starts; environments are validated against the agent's spaces as they are reached.
 * Traced as `evaluate_agent_in_env` (spans.ts) under the caller's active span.
 */
export async function evaluate(request: unknown, options: EvaluateOptions = {}): Promise<EvaluationResult> {
  return inSpan('evaluate_agent_in_env', {}, (span) => runEvaluation(request, options, span));
}

async function runEvaluation(
  request: unknown,
  options: EvaluateOptions,
  root: Span,
): Promise<EvaluationResult> {
  const t0 = process.hrtime.bigint();
  const { req, agentType, hyperparameters, stateDict, numEpisodes } = validateEvaluationRequest(
    request,
    options,
  );
  if (root.isRecording()) {
    root.setAttributes({
      'ml.agent_type': agentType,
      'ml.environment': req.environments.join(','),
      'ml.environments': [...req.environments],
      'ml.episodes': numEpisodes,
      'ml.hyperparameters': hyperparameterSummary(hyperparameters),
      'ml.agent_state': req.agent_state !== undefined,
      'ml.quick_mode': req.quick_mode ?? false,
      ...(req.training !== undefined ? { 'ml.training.total_timesteps': req.training.total_timesteps } : {}),
    });
  }
  const deterministic = req.deterministic ?? true;
  const compare = req.compare_to_baseline ?? true;
  const detect = req.detect_regressions ?? true;
  const resamples = options.resamples ?? (req.quick_mode ? 2000 : 10_000);
  const progress = options.onProgress ?? (() => {});
  const envs = req.environments;
  // Each environment reports its own fraction; the job's progress is their mean (the
  // environments run concurrently: training on this thread, episodes on the pool).
  const envProgress = new Float64Array(envs.length);
  const report = (k: number, fraction: number, message: string): void => {
    envProgress[k] = Math.max(envProgress[k], Math.min(1, fraction));
    let sum = 0;
    for (const f of envProgress) sum += f;
    progress((0.99 * sum) / envs.length, message);
  };

  let trainingSeconds = 0;
  let evaluationSeconds = 0;
  const perEnv: Record<string, EnvironmentResult> = {};
  const baselines: Record<string, BaselineRecord | null> = {};
  const losses: Record<string, LossRecord[] | undefined> = {};

  const evaluateEnvironment = async (envId: string, k: number): Promise<void> => {
    if (options.shouldStop?.()) throw new CancelledError('evaluation cancelled before it finished');
    const te = process.hrtime.bigint();
    // 1. The agent: loaded, trained, or trained from the loaded weights.
    let agent: Agent;
    let training: TrainingSummary | null = null;
    if (req.training !== undefined) {
      const seed = req.training.seed ?? 0;
      const budget = req.training.total_timesteps;
      report(k, 0, `training ${agentType} on ${envId}`);
      const run = inSpan(
        'train_agent',
        {
          'ml.environment': envId,
          'ml.agent_type': agentType,
          'ml.training.total_timesteps': budget,
          'ml.training.seed': seed,
          'ml.agent_state': stateDict !== undefined,
        },
        (span) => {
          const r = trainAgent(
            agentType,
            hyperparameters,
            {
              envId,
              totalTimesteps: budget,
              seed,
              onProgress: (p) => report(k, 0.7 * (p.timesteps / budget), `training ${agentType} on ${envId}`),
              shouldStop: options.shouldStop,
            },
            stateDict,
          );
          span.setAttributes({ 'ml.training.timesteps': r.timesteps, 'ml.training.episodes': r.episodes });
          return r;
        },
      );
      // Training returns early when asked to stop; a partly trained agent is not evaluated.
      if (options.shouldStop?.()) throw new CancelledError('evaluation cancelled during training');
      agent = run.agent;
      losses[envId] = run.losses;
      training = summariseTraining(run, seed);
      trainingSeconds += run.seconds;
    } else {
      agent = inSpan('load_agent', { 'ml.environment': envId, 'ml.agent_type': agentType }, () =>
        createAgent(agentType, hyperparameters, stateDict, { envId }),
      );
    }
    const evalShare = req.training !== undefined ? 0.3 : 1;
    const evalBase = 1 - evalShare;

    // 2. The baseline (needed before playing for adaptive mode).
    const baseline = compare ? ((await options.baselineFor?.(agentType, envId)) ?? null) : null;
    baselines[envId] = baseline;

    // 3. Episodes: a fixed number, or batches until the sequential test decides.
    const runOptions: RunEpisodesOptions = {
      envId,
      episodes: numEpisodes,
      seeds: req.seeds,
      baseSeed: req.seed ?? 0,
      deterministic,
      observationNoise: req.observation_noise,
      rewardDelay: req.reward_delay,
      envCache: options.envCache,
    };
    const tr = process.hrtime.bigint();
    let metrics: MetricsResult;
    let adaptive: EnvironmentResult['adaptive'] = null;
    let adaptiveReport: RegressionReport | null = null;
    const spec = describeEnv(envId);
    if (req.adaptive !== undefined && baseline !== null && detect && req.seeds === undefined) {
      const test = createSequentialTest({
        baseline: baseline.metrics,
        thresholds: options.thresholds,
        maxEpisodes: req.adaptive.max_episodes,
        minEpisodes: Math.min(50, req.adaptive.max_episodes),
      });
      let next = test.firstBatch().current;
      let played = 0;
      let step: SequentialStep | null = null;
      const episodes: ReturnType<typeof runEpisodes>['episodes'] = [];
      let actions: ReturnType<typeof runEpisodes>['actions'] | null = null;
      await inSpan(
        'run_episodes',
        {
          'ml.environment': envId,
          'ml.adaptive': true,
          'ml.adaptive.max_episodes': req.adaptive.max_episodes,
        },
        async (span) => {
          while (next > 0) {
            const chunk = Array.from({ length: next }, (_, i) => played + i);
            const r = await (options.pool?.run(
              agent,
              { ...runOptions, episodes: chunk },
              next * spec.maxEpisodeSteps,
            ) ?? runEpisodes(agent, { ...runOptions, episodes: chunk }));
            episodes.push(...r.episodes);
            actions = actions === null ? r.actions : mergeActionCounts(actions, r.actions);
            played += next;
            step = test.update({ current: r.episodes.map((e) => e.return) });
            report(k, evalBase + evalShare * Math.min(1, played / step.cap), `evaluating ${envId}`);
            next = step.next?.current ?? 0;
          }
          span.setAttribute('ml.episodes', played);
        },
      );
      metrics = inSpan('compute_metrics', { 'ml.environment': envId }, (span) => {
        const m = computeMetrics(episodes, {
          envId,
          actions: actions ?? undefined,
          resamples,
          losses: losses[envId],
          lossTrendWindow: options.lossTrendWindow,
        });
        if (span.isRecording()) metricAttributes(span, m);
        return m;
      });
      // (assigned inside the span's callback, which TypeScript's narrowing does not follow)
      step = step as SequentialStep | null;
      if (step !== null) {
        adaptive = {
          episodes_used: played,
          looks: step.look,
          cap: step.cap,
          decision: step.decision === 'continue' ? 'inconclusive' : step.decision,
        };
        const evidence = step.evidence;
        if (evidence !== null) {
          const current = metrics;
          adaptiveReport = inSpan(
            'detect_regression',
            { 'ml.environment': envId, 'ml.adaptive': true },
            (span) => {
              const r = detectRegression(current, baseline.metrics, options.thresholds, { evidence });
              if (span.isRecording()) regressionAttributes(span, [r]);
              return r;
            },
          );
        }
      }
    } else {
      const r = await inSpan(
        'run_episodes',
        { 'ml.environment': envId, 'ml.episodes': numEpisodes, 'ml.deterministic': deterministic },
        () =>
          options.pool?.run(
            agent,
            {
              ...runOptions,
              onEpisode: (done, total) =>
                report(k, evalBase + evalShare * (done / total), `evaluating ${envId}`),
            },
            numEpisodes * spec.maxEpisodeSteps,
          ) ??
          Promise.resolve(
            runEpisodes(agent, {
              ...runOptions,
              onEpisode: (done, total) => {
                if (done % 10 === 0 || done === total)
                  report(k, evalBase + evalShare * (done / total), `evaluating ${envId}`);
              },
            }),
          ),
      );
      metrics = inSpan('compute_metrics', { 'ml.environment': envId }, (span) => {
        const m = computeMetrics(r.episodes, {
          envId,
          actions: r.actions,
          resamples,
          losses: losses[envId],
          lossTrendWindow: options.lossTrendWindow,
        });
        if (span.isRecording()) metricAttributes(span, m);
        return m;
      });
    }
    evaluationSeconds += Number(process.hrtime.bigint() - tr) / 1e9;
    perEnv[envId] = {
      metrics,
      regression: adaptiveReport,
      nash_scores: null,
      baseline:
        baseline === null
          ? null
          : {
              source: baseline.source,
              mean_reward: baseline.metrics.mean_reward,
              num_episodes: baseline.metrics.num_episodes,
            },
      adaptive,
      training,
      seconds: Number(process.hrtime.bigint() - te) / 1e9,
    };
  };
  await Promise.all(envs.map((envId, k) => evaluateEnvironment(envId, k)));

  // 4. Regression verdicts, Holm-corrected across the environments compared at fixed n.
  if (detect) {
    const pairs: Record<string, { current: MetricsResult; baseline: BaselineMetrics }> = {};
    for (const envId of envs) {
      const b = baselines[envId];
      if (b !== null && perEnv[envId].regression === null)
        pairs[envId] = { current: perEnv[envId].metrics, baseline: b.metrics };
    }
    if (Object.keys(pairs).length > 0) {
      inSpan('detect_regression', { 'ml.environment': Object.keys(pairs).join(',') }, (span) => {
        const reports = detectRegressions(pairs, options.thresholds);
        for (const [envId, report] of Object.entries(reports)) perEnv[envId].regression = report;
        if (span.isRecording()) regressionAttributes(span, Object.values(reports));
      });
    }
  }

  // 5. Nash scoring over the population: the candidate, the caller's population and the request's.
  progress(0.99, 'Nash scoring');
  const candidate: PopulationAgent = {
    id: 'candidate',
    kind: 'candidate',
    agent_type: agentType,
    perEnvMeanReturn: Object.fromEntries(envs.map((e) => [e, perEnv[e].metrics.mean_reward])),
    perEnvReturns: Object.fromEntries(envs.map((e) => [e, perEnv[e].metrics.episode_returns])),
  };
  const others = new Map<string, PopulationAgent>();
  for (const envId of envs) {
    for (const a of (await options.populationFor?.(envId)) ?? []) {
      const prev = others.get(a.id);
      others.set(
        a.id,
        prev === undefined
          ? { ...a }
          : {
              ...prev,
              perEnvMeanReturn: { ...prev.perEnvMeanReturn, ...a.perEnvMeanReturn },
              perEnvReturns: { ...(prev.perEnvReturns ?? {}), ...(a.perEnvReturns ?? {}) },
            },
      );
    }
  }
  // The baselines compared against are members of the population too.
  for (const envId of envs) {
    const b = baselines[envId];
    if (b === null) continue;
    const id = `baseline:${agentType}`;
    const prev = others.get(id);
    const returns = b.metrics.episode_returns;
    others.set(id, {
      id,
      kind: 'baseline',
      agent_type: agentType,
      perEnvMeanReturn: { ...(prev?.perEnvMeanReturn ?? {}), [envId]: b.metrics.mean_reward },
      perEnvReturns: {
        ...(prev?.perEnvReturns ?? {}),
        ...(Array.isArray(returns) && returns.length > 1 ? { [envId]: returns } : {}),
      },
      perEnvStdError: {
        ...(prev?.perEnvStdError ?? {}),
        [envId]: b.metrics.std_reward / Math.sqrt(Math.max(1, b.metrics.num_episodes)),
      },
    });
  }
  for (const p of req.population ?? []) {
    others.set(p.id, {
      id: p.id,
      kind: 'other',
      agent_type: p.agent_type.toLowerCase(),
      perEnvMeanReturn: Object.fromEntries(Object.entries(p.results).map(([e, m]) => [e, m.mean_reward])),
      perEnvReturns: Object.fromEntries(
        Object.entries(p.results)
          .filter(([, m]) => Array.isArray(m.episode_returns) && m.episode_returns.length > 1)
          .map(([e, m]) => [e, m.episode_returns as number[]]),
      ),
    });
  }
  others.delete('candidate');
  const nash = inSpan(
    'nash_scoring',
    { 'ml.nash.population_size': others.size + 1, 'ml.environment': envs.join(',') },
    (span) => {
      const n = scoreNash([candidate, ...others.values()], 'candidate', { environments: envs });
      if (span.isRecording()) nashAttributes(span, n.overall);
      return n;
    },
  );
  for (const envId of envs) perEnv[envId].nash_scores = nash.perEnvironment[envId] ?? null;
  const overallNash: NashScores = nash.overall;

  const reports = envs.map((e) => perEnv[e].regression);
  const regressed = envs.filter((e) => perEnv[e].regression?.is_regression);
  const rollback = reports.some((r) => r?.should_rollback === true);
  const severity = maxSeverity(reports);
  const verdictText =
    regressed.length > 0
      ? `Regression in ${regressed.join(', ')} (severity ${severity})${rollback ? '; rollback recommended' : ''}. `
      : reports.some((r) => r !== null)
        ? 'No regression detected against the baselines. '
        : 'No baseline compared. ';
  const summary = `${verdictText}Nash: ${overallNash.recommendation} — ${overallNash.details}`;
  if (root.isRecording()) {
    if (envs.length === 1) metricAttributes(root, perEnv[envs[0]].metrics);
    regressionAttributes(root, reports);
    nashAttributes(root, overallNash);
  }
  progress(1, 'done');
  return {
    agent_type: agentType,
    environments: [...envs],
    num_episodes: numEpisodes,
    deterministic,
    results: perEnv,
    overall: {
      nash_scores: overallNash,
      regression_detected: regressed.length > 0,
      should_rollback: rollback,
      max_severity: severity,
      summary,
    },
    timings: {
      total_seconds: Number(process.hrtime.bigint() - t0) / 1e9,
      training_seconds: trainingSeconds,
      evaluation_seconds: evaluationSeconds,
    },
  };
}

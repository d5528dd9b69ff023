/**
 * The records that cross the wire and the database: evaluation requests and results,
 * per-environment metrics, regression reports and Nash scores. Defined once, as TypeBox
 * schemas (JSON Schema) with snake_case field names; code uses their `Static<>` types, the
 * API validates and documents with the schemas themselves (OpenAPI is generated from them).
 */
import Type, { type Static } from 'typebox';

const Probability = (description: string) => Type.Number({ minimum: 0, maximum: 1, description });

export const ConfidenceInterval = Type.Object(
  {
    low: Type.Number({ description: 'lower bound' }),
    high: Type.Number({ description: 'upper bound' }),
    level: Probability('coverage, e.g. 0.95'),
  },
  { $id: 'ConfidenceInterval', description: 'Percentile bootstrap confidence interval' },
);
export type ConfidenceInterval = Static<typeof ConfidenceInterval>;

export const MetricsResult = Type.Object(
  {
    num_episodes: Type.Integer({ minimum: 0, description: 'episodes evaluated' }),
    mean_reward: Type.Number({ description: 'mean episode return' }),
    std_reward: Type.Number({
      minimum: 0,
      description: 'standard deviation of episode returns (ddof 0, as numpy)',
    }),
    min_reward: Type.Number(),
    max_reward: Type.Number(),
    median_reward: Type.Number(),
    iqm_reward: Type.Number({
      description: 'interquartile mean: 25% trimmed mean of episode returns (rliable)',
    }),
    reward_variance: Type.Number({ minimum: 0, description: 'variance of episode returns (ddof 0)' }),
    mean_ci: ConfidenceInterval,
    iqm_ci: ConfidenceInterval,
    success_rate: Probability("fraction of episodes meeting the environment's success criterion"),
    failure_rate: Probability('1 − success_rate'),
    mean_steps: Type.Number({ minimum: 0, description: 'mean episode length in steps' }),
    total_steps: Type.Integer({ minimum: 0 }),
    action_entropy: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
      description:
        'Shannon entropy (nats) of the empirical distribution of actions taken; Box actions are binned ' +
        '(10 equal bins per dimension over the bounds) and the per-dimension entropies averaged',
    }),
    mean_loss: Type.Union([Type.Number(), Type.Null()], {
      description: 'mean training loss (null without training)',
    }),
    loss_trend: Type.Union([Type.Number(), Type.Null()], {
      description:
        'least-squares slope of the training loss over the last updates, per update, relative to the mean ' +
        '|loss| of that window (> 0: increasing); null without training',
    }),
    episode_returns: Type.Array(Type.Number(), { description: 'raw per-episode returns, in episode order' }),
    episode_lengths: Type.Array(Type.Integer({ minimum: 0 }), { description: 'raw per-episode lengths' }),
  },
  { $id: 'MetricsResult' },
);
export type MetricsResult = Static<typeof MetricsResult>;

/**
 * What a stored baseline must carry for a comparison: the summary fields; the raw arrays
 * are optional (a baseline stored with summaries only falls back to Welch from summaries).
 */
export const BaselineMetrics = Type.Object(
  {
    num_episodes: Type.Integer({ minimum: 1 }),
    mean_reward: Type.Number(),
    std_reward: Type.Number({ minimum: 0 }),
    success_rate: Type.Optional(Probability('fraction of successful episodes')),
    failure_rate: Type.Optional(Probability('1 − success_rate')),
    reward_variance: Type.Optional(Type.Number({ minimum: 0 })),
    mean_loss: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    loss_trend: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    episode_returns: Type.Optional(Type.Array(Type.Number())),
    episode_lengths: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }))),
  },
  { $id: 'BaselineMetrics', additionalProperties: true },
);
export type BaselineMetrics = Static<typeof BaselineMetrics>;

export const Verdict = Type.Union(
  [
    Type.Literal('regression'),
    Type.Literal('no_regression'),
    Type.Literal('improvement'),
    Type.Literal('inconclusive'),
  ],
  { description: 'regression / no_regression / improvement / inconclusive' },
);
export type Verdict = Static<typeof Verdict>;

export const Severity = Type.Union(
  [
    Type.Literal('none'),
    Type.Literal('low'),
    Type.Literal('medium'),
    Type.Literal('high'),
    Type.Literal('critical'),
  ],
  { description: 'none < low < medium < high < critical' },
);
export type Severity = Static<typeof Severity>;
export const SEVERITIES = [
  'none',
  'low',
  'medium',
  'high',
  'critical',
] as const satisfies readonly Severity[];

export const RegressionFigures = Type.Object(
  {
    current_mean: Type.Number(),
    baseline_mean: Type.Number(),
    reward_drop_pct: Type.Number({
      description:
        '(baseline − current) / reward_scale × 100, i.e. relative to |baseline mean| unless that is ' +
        'closer to 0 than one baseline standard deviation; negative is a gain',
    }),
    reward_scale: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description:
          'the denominator of reward_drop_pct: max(|baseline mean|, baseline std) unless configured',
      }),
    ),
    drop_upper_bound_pct: Type.Optional(
      Type.Union([Type.Number(), Type.Null()], {
        description: 'one-sided (1 − alpha) Welch upper confidence bound of the drop, in % of reward_scale',
      }),
    ),
    failure_rate: Type.Union([Type.Number(), Type.Null()]),
    baseline_failure_rate: Type.Union([Type.Number(), Type.Null()]),
    variance_ratio: Type.Union([Type.Number(), Type.Null()], {
      description:
        "current / baseline variance of returns (ddof 1); the baseline's is floored at (1% of reward_scale)²",
    }),
    loss_trend: Type.Union([Type.Number(), Type.Null()]),
    effect_size: Type.Union([Type.Number(), Type.Null()], {
      description: "Hedges' g of current − baseline (negative: worse)",
    }),
    welch_p_value: Type.Union([Type.Number(), Type.Null()], {
      description: 'one-sided Welch t-test, current < baseline',
    }),
    mann_whitney_p_value: Type.Union([Type.Number(), Type.Null()], {
      description: 'one-sided Mann-Whitney U, current < baseline (null without raw baseline returns)',
    }),
    improvement_p_value: Type.Optional(
      Type.Union([Type.Number(), Type.Null()], {
        description: 'one-sided Welch t-test, current > baseline, Holm-adjusted across environments',
      }),
    ),
    noninferiority_p_value: Type.Optional(
      Type.Union([Type.Number(), Type.Null()], {
        description: 'one-sided Welch t-test of "the drop is at least the reward-drop threshold"',
      }),
    ),
    p_value: Type.Union([Type.Number(), Type.Null()], {
      description:
        'the p-value of the test behind the verdict: the drop or improvement test (Holm-adjusted across ' +
        'environments), or the non-inferiority test for no_regression',
    }),
    diff_ci: Type.Union([ConfidenceInterval, Type.Null()], {
      description: 'bootstrap CI of mean(current) − mean(baseline)',
    }),
    n_current: Type.Integer({ minimum: 0 }),
    n_baseline: Type.Integer({ minimum: 0 }),
  },
  { $id: 'RegressionFigures', additionalProperties: true },
);
export type RegressionFigures = Static<typeof RegressionFigures>;

export const RegressionReport = Type.Object(
  {
    verdict: Verdict,
    is_regression: Type.Boolean(),
    confidence: Probability('how sure the verdict is (0–1)'),
    severity: Severity,
    should_rollback: Type.Boolean(),
    failed_checks: Type.Array(Type.String(), { description: 'policy checks that failed, by name' }),
    details: Type.String({ description: 'what failed and by how much, in words' }),
    metrics: RegressionFigures,
  },
  { $id: 'RegressionReport' },
);
export type RegressionReport = Static<typeof RegressionReport>;

export const Recommendation = Type.Union([
  Type.Literal('accept'),
  Type.Literal('review'),
  Type.Literal('reject'),
]);
export type Recommendation = Static<typeof Recommendation>;

export const NashScores = Type.Object(
  {
    conflict_score: Probability('how far the environments disagree about which agent is best'),
    deviation_from_equilibrium: Type.Number({
      minimum: 0,
      description: "the candidate's regret against the equilibrium mixture",
    }),
    stability_score: Probability('robustness of the equilibrium to perturbation of the scores'),
    recommendation: Recommendation,
    details: Type.String(),
    equilibrium: Type.Optional(
      Type.Array(Type.Object({ agent: Type.String(), weight: Type.Number({ minimum: 0, maximum: 1 }) }), {
        description: 'the maximum-entropy Nash mixture over the population',
      }),
    ),
  },
  { $id: 'NashScores' },
);
export type NashScores = Static<typeof NashScores>;

/**
 * A trained agent's weights: PyTorch-style named tensors as JSON (`{ name: { shape, data } }`,
 * data nested arrays or `data_base64` little-endian float32), or a safetensors file as base64.
 */
export const AgentState = Type.Union(
  [
    Type.Object(
      {
        format: Type.Literal('safetensors'),
        data_base64: Type.String({ description: 'the .safetensors file, base64-encoded' }),
      },
      { additionalProperties: false },
    ),
    Type.Record(Type.String(), Type.Unknown(), {
      description: 'JSON tensors: { name: { shape, data } | { shape, dtype, data_base64 } }',
    }),
  ],
  { $id: 'AgentState', description: 'state dict in the Stable-Baselines3 MlpPolicy layout' },
);
export type AgentState = Static<typeof AgentState>;

export const TrainingSpec = Type.Object(
  {
    total_timesteps: Type.Integer({
      minimum: 1,
      maximum: 10_000_000,
      description: 'training budget in environment steps',
    }),
    seed: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1, description: 'training seed (default 0)' }),
    ),
  },
  { $id: 'TrainingSpec', additionalProperties: false },
);
export type TrainingSpec = Static<typeof TrainingSpec>;

/** Another agent of the population for Nash scoring, given by its results per environment. */
export const PopulationEntry = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 200 }),
    agent_type: Type.String({ minLength: 1, maxLength: 20 }),
    results: Type.Record(Type.String(), BaselineMetrics, { description: 'metrics per environment id' }),
  },
  { $id: 'PopulationEntry', additionalProperties: false },
);
export type PopulationEntry = Static<typeof PopulationEntry>;

export const EvaluationRequest = Type.Object(
  {
    agent_type: Type.String({
      description: 'dqn, a2c, ppo or ddpg (either case)',
      minLength: 1,
      maxLength: 20,
    }),
    hyperparameters: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'SB3-named hyperparameters; unknown names rejected',
      }),
    ),
    agent_state: Type.Optional(AgentState),
    training: Type.Optional(TrainingSpec),
    environments: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
      minItems: 1,
      maxItems: 16,
      uniqueItems: true,
      description: 'environment ids (see GET /v1/environments or `tars-eval envs`)',
    }),
    num_episodes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000,
        description: 'episodes per environment (default 100; 50 in quick mode)',
      }),
    ),
    seed: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 2 ** 32 - 1,
        description: 'episode i resets with seed + i (default 0)',
      }),
    ),
    seeds: Type.Optional(
      Type.Array(Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1 }), {
        minItems: 1,
        maxItems: 10_000,
        description: 'explicit per-episode seeds (overrides seed; length = num_episodes)',
      }),
    ),
    deterministic: Type.Optional(Type.Boolean({ description: 'greedy/mean actions (default true)' })),
    quick_mode: Type.Optional(
      Type.Boolean({ description: 'fewer episodes (EVAL_QUICK_MODE_EPISODES) and resamples' }),
    ),
    compare_to_baseline: Type.Optional(
      Type.Boolean({ description: 'compare with the rank-1 baseline (default true)' }),
    ),
    detect_regressions: Type.Optional(
      Type.Boolean({ description: 'run the regression detector (default true)' }),
    ),
    adaptive: Type.Optional(
      Type.Object(
        {
          max_episodes: Type.Integer({
            minimum: 10,
            maximum: 10_000,
            description: 'cap on episodes per environment',
          }),
        },
        {
          additionalProperties: false,
          description: 'play episodes in batches until the verdict is conclusive',
        },
      ),
    ),
    observation_noise: Type.Optional(
      Type.Number({ minimum: 0, maximum: 10, description: 'Gaussian observation noise sigma (0: none)' }),
    ),
    reward_delay: Type.Optional(
      Type.Boolean({ description: 'delay rewards by 1–3 steps (flushed at episode end)' }),
    ),
    population: Type.Optional(
      Type.Array(PopulationEntry, { maxItems: 64, description: 'other agents for Nash scoring' }),
    ),
    trial_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'the AutoML trial this evaluation belongs to; stored and returned with the job',
      }),
    ),
    callback_url: Type.Optional(
      Type.String({
        maxLength: 2048,
        pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+[^\\s]*$',
        description:
          'http(s) URL that receives the job outcome (HMAC-signed: X-Tars-Timestamp, X-Tars-Signature sha256 over "<timestamp>.<body>") when the job ends; ' +
          'when AUTOML_CALLBACK_ALLOWED_HOSTS is set, its host must be one the list allows',
      }),
    ),
  },
  { $id: 'EvaluationRequest', additionalProperties: false },
);
export type EvaluationRequest = Static<typeof EvaluationRequest>;

export const TrainingSummary = Type.Object(
  {
    total_timesteps: Type.Integer(),
    seed: Type.Integer(),
    episodes: Type.Integer(),
    seconds: Type.Number(),
    final_mean_return: Type.Union([Type.Number(), Type.Null()], {
      description: 'mean return of the last 100 training episodes',
    }),
    learning_curve: Type.Array(
      Type.Object({
        timestep: Type.Integer(),
        episode_return: Type.Number(),
        episode_length: Type.Integer(),
      }),
      { description: 'finished training episodes (at most 1000, evenly thinned)' },
    ),
  },
  { $id: 'TrainingSummary' },
);
export type TrainingSummary = Static<typeof TrainingSummary>;

export const EnvironmentResult = Type.Object(
  {
    metrics: MetricsResult,
    regression: Type.Union([RegressionReport, Type.Null()], {
      description: 'null when no baseline was compared or detection was off',
    }),
    nash_scores: Type.Union([NashScores, Type.Null()]),
    baseline: Type.Union(
      [
        Type.Object({
          source: Type.String({ description: 'where the baseline came from (e.g. "store v3", "file")' }),
          mean_reward: Type.Number(),
          num_episodes: Type.Integer(),
        }),
        Type.Null(),
      ],
      { description: 'the baseline compared against' },
    ),
    adaptive: Type.Union(
      [
        Type.Object({
          episodes_used: Type.Integer(),
          looks: Type.Integer(),
          cap: Type.Integer(),
          decision: Verdict,
        }),
        Type.Null(),
      ],
      { description: 'the sequential test, when adaptive evaluation ran' },
    ),
    training: Type.Union([TrainingSummary, Type.Null()], {
      description: 'the training run on this environment, when the request asked for one',
    }),
    seconds: Type.Number({ minimum: 0, description: 'wall time of this environment' }),
  },
  { $id: 'EnvironmentResult' },
);
export type EnvironmentResult = Static<typeof EnvironmentResult>;

export const EvaluationResult = Type.Object(
  {
    agent_type: Type.String(),
    environments: Type.Array(Type.String()),
    num_episodes: Type.Integer(),
    deterministic: Type.Boolean(),
    results: Type.Record(Type.String(), EnvironmentResult, { description: 'keyed by environment id' }),
    overall: Type.Object({
      nash_scores: Type.Union([NashScores, Type.Null()]),
      regression_detected: Type.Boolean(),
      should_rollback: Type.Boolean(),
      max_severity: Severity,
      summary: Type.String({ description: 'one paragraph for a reviewer' }),
    }),
    timings: Type.Object({
      total_seconds: Type.Number(),
      training_seconds: Type.Number(),
      evaluation_seconds: Type.Number(),
    }),
  },
  { $id: 'EvaluationResult' },
);
export type EvaluationResult = Static<typeof EvaluationResult>;

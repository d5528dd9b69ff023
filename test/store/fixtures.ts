/** Small, schema-shaped records for the store tests. */
import type { EvaluationRequest, EvaluationResult, MetricsResult } from '../../src/evaluation/schemas.js';

export function request(seed = 1): EvaluationRequest {
  return {
    agent_type: 'dqn',
    environments: ['CartPole-v1'],
    num_episodes: 10,
    seed,
  } as unknown as EvaluationRequest;
}

/** Metrics whose summary fields are computed from `returns` (mean, ddof-0 std) by hand below. */
export function metrics(returns: number[], ci?: { low: number; high: number }): MetricsResult {
  const n = returns.length;
  const mean = returns.reduce((a, b) => a + b, 0) / n;
  const variance = returns.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  const sorted = [...returns].sort((a, b) => a - b);
  return {
    num_episodes: n,
    mean_reward: mean,
    std_reward: Math.sqrt(variance),
    min_reward: sorted[0],
    max_reward: sorted[n - 1],
    median_reward: sorted[Math.floor(n / 2)],
    iqm_reward: mean,
    reward_variance: variance,
    mean_ci: { low: ci?.low ?? mean, high: ci?.high ?? mean, level: 0.95 },
    iqm_ci: { low: mean, high: mean, level: 0.95 },
    success_rate: 0.5,
    failure_rate: 0.5,
    mean_steps: 10,
    total_steps: 10 * n,
    action_entropy: null,
    mean_loss: null,
    loss_trend: null,
    episode_returns: returns,
    episode_lengths: returns.map(() => 10),
  };
}

export function result(envs: Record<string, number[]>): EvaluationResult {
  const results: EvaluationResult['results'] = {};
  for (const [env, returns] of Object.entries(envs)) {
    results[env] = {
      metrics: metrics(returns),
      regression: null,
      nash_scores: null,
      baseline: null,
      adaptive: null,
      training: null,
      seconds: 0.1,
    };
  }
  return {
    agent_type: 'dqn',
    environments: Object.keys(envs),
    num_episodes: 3,
    deterministic: true,
    results,
    overall: {
      nash_scores: null,
      regression_detected: false,
      should_rollback: false,
      max_severity: 'none',
      summary: 'ok',
    },
    timings: { total_seconds: 0.1, training_seconds: 0, evaluation_seconds: 0.1 },
  } as EvaluationResult;
}

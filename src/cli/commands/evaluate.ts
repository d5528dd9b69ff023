import { readFileSync, writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { AGENT_TYPES } from '../../agents/index.js';
import { loadConfig, regressionThresholds } from '../../config.js';
import { ValidationError } from '../../errors.js';
import { type BaselineRecord, evaluate } from '../../evaluation/evaluate.js';
import { EpisodePool } from '../../evaluation/parallel.js';
import { BaselineMetrics, type EvaluationRequest, type EvaluationResult } from '../../evaluation/schemas.js';
import { assertValid } from '../../evaluation/validate.js';
import { formatNumber, formatTable } from '../format.js';
import { nonNegativeInt, parseJsonOption } from './train.js';

interface EvaluateCliOptions {
  agent: string;
  state?: string;
  env: string[];
  episodes?: number;
  seed: number;
  stochastic?: boolean;
  quick?: boolean;
  hyperparameters: string;
  train?: number;
  trainSeed: number;
  baseline?: string;
  adaptive?: number;
  json?: string | boolean;
  progress: boolean;
  threads?: number;
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ValidationError(`${what}: cannot read ${path}: ${(err as Error).message}`, { field: what });
  }
}

/**
 * Baselines from a file: `{ "<env id>": BaselineMetrics }`, or a previous `--json` result
 * (its `results.<env>.metrics` become the baselines).
 */
export function loadBaselines(path: string): Record<string, BaselineMetrics> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFile(path, '--baseline').toString('utf8'));
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new ValidationError(`--baseline: ${path} is not JSON: ${(err as Error).message}`, {
      field: '--baseline',
    });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ValidationError('--baseline must hold an object keyed by environment id', {
      field: '--baseline',
    });
  }
  const results = (doc as { results?: Record<string, { metrics?: unknown }> }).results;
  const entries: Record<string, unknown> =
    results !== undefined && typeof results === 'object'
      ? Object.fromEntries(Object.entries(results).map(([env, r]) => [env, r?.metrics]))
      : (doc as Record<string, unknown>);
  for (const [env, m] of Object.entries(entries)) assertValid(BaselineMetrics, m, `--baseline ${env}`);
  return entries as Record<string, BaselineMetrics>;
}

function ci(c: { low: number; high: number }): string {
  return `[${formatNumber(c.low)}, ${formatNumber(c.high)}]`;
}

export function formatEvaluation(result: EvaluationResult): string {
  const rows = result.environments.map((env) => {
    const r = result.results[env];
    const m = r.metrics;
    return [
      env,
      String(m.num_episodes),
      `${formatNumber(m.mean_reward)} ${ci(m.mean_ci)}`,
      `${formatNumber(m.iqm_reward)} ${ci(m.iqm_ci)}`,
      formatNumber(m.std_reward),
      `${formatNumber(100 * m.success_rate, 0)}%`,
      formatNumber(m.mean_steps, 1),
      r.regression === null ? '-' : `${r.regression.verdict} (${r.regression.severity})`,
      r.nash_scores === null ? '-' : r.nash_scores.recommendation,
    ];
  });
  const table = formatTable(
    [
      'environment',
      'episodes',
      'mean [95% CI]',
      'IQM [95% CI]',
      'std',
      'success',
      'steps',
      'verdict',
      'nash',
    ],
    rows,
  );
  const details = result.environments
    .map((env) => result.results[env].regression)
    .filter((r) => r !== null)
    .map((r) => `  - ${r.details}`);
  const n = result.overall.nash_scores;
  const nash =
    n === null
      ? ''
      : `Nash: conflict ${formatNumber(n.conflict_score)}, deviation ${formatNumber(n.deviation_from_equilibrium, 3)}, stability ${formatNumber(n.stability_score)} → ${n.recommendation}`;
  return [
    table,
    '',
    ...(details.length > 0 ? ['Regression:', ...details, ''] : []),
    nash,
    result.overall.summary,
    `(${formatNumber(result.timings.total_seconds, 2)} s: training ${formatNumber(result.timings.training_seconds, 2)} s, episodes ${formatNumber(result.timings.evaluation_seconds, 2)} s)`,
  ].join('\n');
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description(
      'evaluate an agent (trained weights and/or a training budget) in one or more environments; exits 3 when a regression calls for rollback',
    )
    .requiredOption('--agent <type>', `agent type (${AGENT_TYPES.join(', ')})`)
    .option('--state <file>', 'trained weights: .safetensors, or JSON tensors (SB3 MlpPolicy names)')
    .requiredOption('--env <id...>', 'environment id(s); repeat or list')
    .option(
      '--episodes <n>',
      'episodes per environment (default 100; 50 with --quick)',
      nonNegativeInt('--episodes'),
    )
    .option('--seed <n>', 'episode i resets with seed + i', nonNegativeInt('--seed'), 0)
    .option('--stochastic', 'sample actions instead of greedy/mean ones')
    .option('--quick', 'quick mode: fewer episodes and bootstrap resamples')
    .option('--hyperparameters <json>', 'hyperparameters as JSON (SB3 names)', '{}')
    .option(
      '--train <timesteps>',
      'train for this many steps first (from --state when given)',
      nonNegativeInt('--train'),
    )
    .option('--train-seed <n>', 'training seed', nonNegativeInt('--train-seed'), 0)
    .option('--baseline <file>', 'baselines: { env: metrics } or a previous --json result')
    .option(
      '--adaptive <max>',
      'play episodes in batches until the verdict is conclusive, up to max',
      nonNegativeInt('--adaptive'),
    )
    .option('--json [file]', 'write the JSON result to a file (or stdout without a file)')
    .option(
      '--threads <n>',
      'worker threads for large evaluations (default: all cores)',
      nonNegativeInt('--threads'),
    )
    .option('--no-progress', 'no progress bar')
    .action(async (opts: EvaluateCliOptions) => {
      const request: EvaluationRequest = {
        agent_type: opts.agent,
        hyperparameters: parseJsonOption('--hyperparameters', opts.hyperparameters) as Record<
          string,
          unknown
        >,
        environments: opts.env,
        seed: opts.seed,
        deterministic: !opts.stochastic,
        quick_mode: opts.quick ?? false,
      };
      if (opts.episodes !== undefined) request.num_episodes = opts.episodes;
      if (opts.state !== undefined) {
        const bytes = readFile(opts.state, '--state');
        request.agent_state =
          bytes[0] === 0x7b // '{': JSON tensors
            ? (JSON.parse(bytes.toString('utf8')) as Record<string, unknown>)
            : { format: 'safetensors', data_base64: bytes.toString('base64') };
      }
      if (opts.train !== undefined) request.training = { total_timesteps: opts.train, seed: opts.trainSeed };
      if (opts.adaptive !== undefined) request.adaptive = { max_episodes: opts.adaptive };
      const baselines = opts.baseline === undefined ? null : loadBaselines(opts.baseline);
      const bar =
        opts.progress && process.stderr.isTTY
          ? new SingleBar({ format: 'evaluate |{bar}| {percentage}% | {phase}', hideCursor: true })
          : null;
      bar?.start(100, 0, { phase: 'starting' });
      const config = loadConfig();
      const pool = new EpisodePool({
        threads: opts.threads ?? config.evaluation.threads,
        envCacheSize: config.evaluation.envCacheSize,
      });
      let result: EvaluationResult;
      try {
        result = await evaluate(request, {
          pool,
          thresholds: regressionThresholds(config),
          defaultEpisodes: config.evaluation.defaultEpisodes,
          quickModeEpisodes: config.evaluation.quickModeEpisodes,
          lossTrendWindow: config.evaluation.lossTrendWindow,
          onProgress: (f, phase) => bar?.update(Math.round(100 * f), { phase }),
          baselineFor: (_type, env): BaselineRecord | null =>
            baselines?.[env] === undefined
              ? null
              : { metrics: baselines[env], source: `file ${opts.baseline}` },
        });
      } finally {
        bar?.stop();
        await pool.close();
      }
      const json = `${JSON.stringify(result, null, 2)}\n`;
      if (opts.json === true) process.stdout.write(json);
      else {
        if (typeof opts.json === 'string') writeFileSync(opts.json, json);
        process.stdout.write(`${formatEvaluation(result)}\n`);
      }
      // A CI gate: non-zero when a confirmed regression calls for rollback.
      if (result.overall.should_rollback) process.exitCode = 3;
    });
}

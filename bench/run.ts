/**
 * `npm run bench [-- NAME ... | all] [--runs=N] [--seconds=S] [--seeds=N] [--sb3-seconds=S]`:
 * runs the named benchmarks (the quick ones when none is named; every one with `all`). Each benchmark
 * prints medians of several runs and ratios to its reference figures; none fails on a number (the exit code is non-zero only for a usage error
 * or a crash). New benchmarks register themselves in BENCHES below.
 */
import { describeMachine } from './lib/machine.js';

export interface BenchRunOptions {
  /** Timed runs per figure (medians are reported). */
  runs?: number;
  /** Target CPU seconds per run. */
  seconds?: number;
  /** Seeds per learning benchmark (default 5). */
  seeds?: number;
  /**
   * Stable-Baselines3's median seconds for the one named learning benchmark, measured on this
   * machine (bench/sb3_learning.py); its ratio is printed beside the reference one.
   */
  sb3Seconds?: number;
}

interface BenchEntry {
  description: string;
  run: (options: BenchRunOptions) => Promise<void>;
}

const BENCHES: Readonly<Record<string, BenchEntry>> = {
  envs: {
    description: 'environment steps/s (bare, make(), vector of 8) and heap bytes per step vs Gymnasium',
    run: async (o) => (await import('./envs.js')).run(o),
  },
  regression: {
    description: 'regression verdicts: false-regression rate and power vs the best test, fixed and adaptive',
    run: async (o) => (await import('./regression.js')).run(o),
  },
  evaluate: {
    description:
      '100-episode deterministic CartPole-v1 evaluation of a trained PPO policy vs SB3 evaluate_policy',
    run: async (o) => (await import('./evaluate.js')).run(o),
  },
  'learn-ppo': {
    description: 'PPO CartPole-v1 100k steps, RL Zoo hyperparameters: scores per seed, seconds, ratio to SB3',
    run: async (o) => (await import('./learning.js')).runLearning('ppo', o),
  },
  'learn-a2c': {
    description: 'A2C CartPole-v1 500k steps (n_envs 8): scores per seed, seconds',
    run: async (o) => (await import('./learning.js')).runLearning('a2c', o),
  },
  'learn-dqn': {
    description: 'DQN CartPole-v1 50k steps, RL Zoo hyperparameters: scores per seed, seconds, ratio to SB3',
    run: async (o) => (await import('./learning.js')).runLearning('dqn', o),
  },
  'learn-ddpg': {
    description: 'DDPG Pendulum-v1 20k steps, RL Zoo hyperparameters: scores per seed, seconds, ratio to SB3',
    run: async (o) => (await import('./learning.js')).runLearning('ddpg', o),
  },
  api: {
    description:
      'HTTP API req/s and p50/p99 latency (autocannon): /health, GET /v1/jobs/{id}, GET /v1/baselines/{type}; PGlite and PostgreSQL',
    run: async (o) => (await import('./api.js')).run(o),
  },
  nn: {
    description: 'dense-network kernels GMAC/s (wasm SIMD vs TS reference), network step/predict/Adam µs',
    run: async (o) => (await import('./nn.js')).run(o),
  },
};

function usage(): string {
  const lines = Object.entries(BENCHES).map(([name, b]) => `  ${name.padEnd(10)} ${b.description}`);
  return `usage: npm run bench [-- NAME ...] [--runs=N] [--seconds=S] [--seeds=N] [--sb3-seconds=S]\n\nbenchmarks:\n${lines.join('\n')}\n\n--sb3-seconds: SB3's median seconds for the one learn-* benchmark named, measured on this\nmachine with bench/sb3_learning.py; printed as a second ratio.\n`;
}

function parseArgs(argv: readonly string[]): { names: string[]; options: BenchRunOptions } {
  const names: string[] = [];
  const options: BenchRunOptions = {};
  for (const arg of argv) {
    const m = /^--(runs|seconds|seeds|sb3-seconds)=(.+)$/.exec(arg);
    if (m !== null) {
      const v = Number(m[2]);
      if (!Number.isFinite(v) || v <= 0)
        throw new Error(`--${m[1]} must be a positive number, got '${m[2]}'`);
      if (m[1] === 'sb3-seconds') options.sb3Seconds = v;
      else options[m[1] as 'runs' | 'seconds' | 'seeds'] = v;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(usage());
      process.exit(0);
    } else if (arg === 'all') {
      names.push(...Object.keys(BENCHES));
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown flag '${arg}'`);
    } else if (!(arg in BENCHES)) {
      throw new Error(`unknown benchmark '${arg}'`);
    } else {
      names.push(arg);
    }
  }
  // Without names: the quick benchmarks. The learning runs take minutes each (DDPG about
  // twenty), so they run when named, or all of them with `all`.
  const quick = Object.keys(BENCHES).filter((n) => !n.startsWith('learn-'));
  if (options.sb3Seconds !== undefined && names.filter((n) => n.startsWith('learn-')).length !== 1) {
    throw new Error(
      '--sb3-seconds needs exactly one learn-* benchmark named (the seconds belong to one run)',
    );
  }
  return { names: names.length > 0 ? names : quick, options };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage()}`);
    process.exit(2);
  }
  process.stdout.write(`machine: ${describeMachine()}\n`);
  for (const name of parsed.names) {
    process.stdout.write(`\n=== ${name}: ${BENCHES[name].description}\n`);
    await BENCHES[name].run(parsed.options);
  }
}

await main();

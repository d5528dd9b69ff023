/**
 * Environment throughput: single-thread steps per CPU second for each environment, measured
 *   - on the bare environment class (`new CartPoleEnv()` … `step`),
 *   - through `make()` (TimeLimit, the wrappers an agent normally sees),
 *   - through a SyncVectorEnv of 8 copies made by `make()` (steps of all copies counted),
 * beside Gymnasium's figure for the same thing (REFERENCE.md: CPU time through
 * `gymnasium.make`, and a SyncVectorEnv of 8 CartPoles) and the ratio; the target is ≥ 50×
 * Gymnasium through `make()`. Each figure is the median of several runs. Actions are random,
 * drawn from a seeded generator before timing; an episode that ends is reset inside the loop
 * (the cost of resets is part of the figure, as it is in a training loop).
 *
 * Each environment runs in a child process of its own so that V8's type feedback for the
 * shared loops and wrappers stays monomorphic (as in a process that trains on one
 * environment) and so that the heap is clean for the allocation figures: heap bytes per step,
 * from a GC-free run (bench/lib/alloc.ts).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  AcrobotEnv,
  type Action,
  CartPoleEnv,
  ContinuousMountainCarEnv,
  Discrete,
  type Env,
  LunarLanderEnv,
  MountainCarEnv,
  make,
  makeVec,
  PendulumEnv,
  type SyncVectorEnv,
} from '../src/envs/index.js';
import { npRandom } from '../src/rng/index.js';
import {
  type AllocationMeasurement,
  calibrateCount,
  formatNumber,
  measureAllocation,
  measureCpu,
  median,
  printTable,
} from './lib/index.js';

/** Gymnasium 1.x steps per CPU second through `gymnasium.make` on this machine class (REFERENCE.md). */
const GYMNASIUM_MAKE: Readonly<Record<string, number>> = {
  'CartPole-v1': 187_000,
  'Acrobot-v1': 38_000,
  'MountainCar-v0': 133_000,
  'MountainCarContinuous-v0': 554_000,
  'Pendulum-v1': 120_000,
};
/** Gymnasium's SyncVectorEnv of 8 CartPole-v1 copies, env steps per CPU second (REFERENCE.md). */
const GYMNASIUM_VEC8: Readonly<Record<string, number>> = { 'CartPole-v1': 156_000 };
/** The throughput target through `make()`, as a multiple of Gymnasium's. */
const TARGET_RATIO = 50;
const NUM_VEC = 8;

const BARE: Readonly<Record<string, () => Env>> = {
  'CartPole-v1': () => new CartPoleEnv(),
  'Acrobot-v1': () => new AcrobotEnv(),
  'MountainCar-v0': () => new MountainCarEnv(),
  'MountainCarContinuous-v0': () => new ContinuousMountainCarEnv(),
  'Pendulum-v1': () => new PendulumEnv(),
  'LunarLander-v3': () => new LunarLanderEnv(),
};

export const ENV_BENCH_IDS = Object.keys(BARE);

export interface EnvBenchOptions {
  /** Timed runs per figure (the median is reported); at least 5. */
  runs: number;
  /** Target CPU seconds of one run. */
  seconds: number;
  /** Environment ids to measure (default all). */
  ids?: readonly string[];
}

interface Throughput {
  /** Median steps per CPU second. */
  median: number;
  samples: number[];
}

interface EnvBenchResult {
  id: string;
  bare: Throughput;
  make: Throughput;
  vec: Throughput;
  allocBare: AllocationMeasurement;
  allocMake: AllocationMeasurement;
  allocVec: AllocationMeasurement;
}

/** 4096 random actions (a power of two, so the loop indexes them with a mask). */
const ACTION_POOL = 4096;

function randomActions(env: Env, count: number, seed: number): Action[] {
  const rng = npRandom(seed).rng;
  const out: Action[] = [];
  for (let i = 0; i < count; i++) out.push(env.actionSpace.sample(rng));
  return out;
}

/** Pre-made batches of random actions for a vector env, one view per step. */
function randomBatches(vec: SyncVectorEnv, count: number, seed: number): Array<Int32Array | Float32Array> {
  const rng = npRandom(seed).rng;
  const per = vec.numEnvs * vec.actDim;
  const discrete = vec.singleActionSpace instanceof Discrete;
  const flat = discrete ? new Int32Array(count * per) : new Float32Array(count * per);
  for (let k = 0; k < count * vec.numEnvs; k++) {
    const a = vec.singleActionSpace.sample(rng);
    if (typeof a === 'number') flat[k] = a;
    else flat.set(a, k * vec.actDim);
  }
  const out: Array<Int32Array | Float32Array> = [];
  for (let k = 0; k < count; k++) out.push(flat.subarray(k * per, (k + 1) * per));
  return out;
}

function envLoop(env: Env, actions: readonly Action[]): (count: number) => void {
  const mask = actions.length - 1;
  return (count) => {
    for (let k = 0; k < count; k++) {
      const r = env.step(actions[k & mask]);
      if (r.terminated || r.truncated) env.reset();
    }
  };
}

function vecLoop(
  vec: SyncVectorEnv,
  batches: ReadonlyArray<Int32Array | Float32Array>,
): (count: number) => void {
  const mask = batches.length - 1;
  return (count) => {
    for (let k = 0; k < count; k++) vec.step(batches[k & mask]);
  };
}

/** Median steps per CPU second of `loop` over `runs` runs; `stepsPerCall` env steps per loop iteration. */
function throughput(loop: (count: number) => void, opts: EnvBenchOptions, stepsPerCall = 1): Throughput {
  const count = calibrateCount(loop, opts.seconds);
  loop(count); // warm-up at the measured size, untimed
  const samples: number[] = [];
  for (let r = 0; r < opts.runs; r++) {
    const { cpuSeconds } = measureCpu(() => loop(count));
    samples.push((count * stepsPerCall) / Math.max(cpuSeconds, 1e-9));
  }
  return { median: median(samples), samples };
}

interface Loops {
  bare: (count: number) => void;
  make: (count: number) => void;
  vec: (count: number) => void;
}

/** The three timed loops of one environment, each on a freshly seeded environment. */
function buildLoops(id: string): Loops {
  const bare = BARE[id]();
  bare.reset({ seed: 0 });
  const made = make(id);
  made.reset({ seed: 0 });
  const vec = makeVec(id, NUM_VEC);
  vec.reset({ seed: 0 });
  return {
    bare: envLoop(bare, randomActions(bare, ACTION_POOL, 1)),
    make: envLoop(made, randomActions(made, ACTION_POOL, 1)),
    vec: vecLoop(vec, randomBatches(vec, ACTION_POOL / NUM_VEC, 1)),
  };
}

interface ThroughputResult {
  bare: Throughput;
  make: Throughput;
  vec: Throughput;
}

interface AllocationResult {
  bare: AllocationMeasurement;
  make: AllocationMeasurement;
  vec: AllocationMeasurement;
}

function measureThroughput(id: string, opts: EnvBenchOptions): ThroughputResult {
  const loops = buildLoops(id);
  return {
    bare: throughput(loops.bare, opts),
    make: throughput(loops.make, opts),
    vec: throughput(loops.vec, opts, NUM_VEC),
  };
}

/** Heap bytes per environment step over about `ops` steps (fewer if a GC interrupts). */
async function measureAlloc(id: string, ops: number): Promise<AllocationResult> {
  const loops = buildLoops(id);
  const vec = await measureAllocation(loops.vec, Math.max(10, Math.round(ops / NUM_VEC)));
  return {
    bare: await measureAllocation(loops.bare, ops),
    make: await measureAllocation(loops.make, ops),
    // The vector figure is per vector step; report it per environment step.
    vec: { ...vec, bytesPerOp: vec.bytesPerOp / NUM_VEC },
  };
}

type ChildTask =
  | { kind: 'throughput'; id: string; opts: EnvBenchOptions }
  | { kind: 'alloc'; id: string; ops: number };

/**
 * Runs a measurement in a fresh child process. Allocation runs get `--expose-gc` and a 64 MB
 * young generation, so that runs long enough to average over episode resets fit between two
 * scavenges; throughput runs keep V8's default heap settings.
 */
function inChild<T>(task: ChildTask): Promise<T> {
  const flags =
    task.kind === 'alloc' ? ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64'] : [];
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [], {
      execArgv: [...process.execArgv, ...flags],
      env: { ...process.env, TARS_BENCH_ENV_CHILD: JSON.stringify(task) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: { value: T } | null = null;
    child.on('message', (m) => {
      result = { value: m as T };
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result !== null) resolve(result.value);
      else
        reject(new Error(`${task.kind} benchmark of ${task.id} exited with code ${code} without a result`));
    });
  });
}

async function measureEnv(id: string, opts: EnvBenchOptions): Promise<EnvBenchResult> {
  const t = await inChild<ThroughputResult>({ kind: 'throughput', id, opts });
  // About 0.1 s of stepping: many episodes for the fast environments, a dozen for LunarLander.
  const ops = Math.min(200_000, Math.max(1000, Math.round(t.make.median * 0.1)));
  const a = await inChild<AllocationResult>({ kind: 'alloc', id, ops });
  return {
    id,
    bare: t.bare,
    make: t.make,
    vec: t.vec,
    allocBare: a.bare,
    allocMake: a.make,
    allocVec: a.vec,
  };
}

function ratioCell(ours: number, reference: number | undefined): string {
  return reference === undefined ? '—' : `${(ours / reference).toFixed(1)}×`;
}

function allocCell(a: AllocationMeasurement): string {
  return `${a.bytesPerOp.toFixed(1)}${a.exact ? '' : '?'}`;
}

/** The `envs` benchmark: prints the throughput and allocation tables. */
export async function run(options: Partial<EnvBenchOptions> = {}): Promise<void> {
  const opts: EnvBenchOptions = {
    runs: Math.max(5, options.runs ?? 5),
    seconds: options.seconds ?? 0.25,
    ids: options.ids ?? ENV_BENCH_IDS,
  };
  const results: EnvBenchResult[] = [];
  for (const id of opts.ids ?? ENV_BENCH_IDS) {
    if (!(id in BARE))
      throw new Error(`no environment benchmark for '${id}'; known: ${ENV_BENCH_IDS.join(', ')}`);
    process.stdout.write(`  measuring ${id}…\n`);
    results.push(await measureEnv(id, opts));
  }

  process.stdout.write(
    `\nEnvironment steps per CPU second, single thread (median of ${opts.runs} runs of ~${opts.seconds}s; Node ${process.version})\n\n`,
  );
  printTable(
    [
      'env',
      'bare class',
      'make()',
      'Gymnasium make',
      'ratio',
      `target ≥${TARGET_RATIO}×`,
      `vector ×${NUM_VEC}`,
      `Gymnasium vec ×${NUM_VEC}`,
      'ratio',
    ],
    results.map((r) => {
      const gym = GYMNASIUM_MAKE[r.id];
      const target = gym === undefined ? '—' : r.make.median >= TARGET_RATIO * gym ? 'met' : 'not met';
      return [
        r.id,
        formatNumber(r.bare.median),
        formatNumber(r.make.median),
        gym === undefined ? '—' : formatNumber(gym),
        ratioCell(r.make.median, gym),
        target,
        formatNumber(r.vec.median),
        GYMNASIUM_VEC8[r.id] === undefined ? '—' : formatNumber(GYMNASIUM_VEC8[r.id]),
        ratioCell(r.vec.median, GYMNASIUM_VEC8[r.id]),
      ];
    }),
  );
  process.stdout.write(
    '\nHeap bytes allocated per environment step (GC-free run; "?" = a GC interfered)\n\n',
  );
  printTable(
    ['env', 'bare class', 'make()', `vector ×${NUM_VEC}`],
    results.map((r) => [r.id, allocCell(r.allocBare), allocCell(r.allocMake), allocCell(r.allocVec)]),
  );
  process.stdout.write('\n');
}

// Child-process entry: run one measurement and send the result to the parent.
const childTask = process.env.TARS_BENCH_ENV_CHILD;
if (childTask !== undefined && process.send !== undefined) {
  const task = JSON.parse(childTask) as ChildTask;
  const work: Promise<unknown> =
    task.kind === 'throughput'
      ? Promise.resolve(measureThroughput(task.id, task.opts))
      : measureAlloc(task.id, task.ops);
  work.then(
    (result) => process.send?.(result, () => process.exit(0)),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

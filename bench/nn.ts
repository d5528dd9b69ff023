/**
 * Dense-network kernel throughput: GMAC/s (10⁹ multiply-accumulates per CPU second, single
 * thread) of the three products of a Linear layer — forward y = x·Wᵀ + b (alone and with its
 * activation fused), dX = dY·W and dW += dYᵀ·X (with db += Σ dY) — for the layer shapes the
 * agents train and act with, on the WebAssembly SIMD kernels and on the plain-TypeScript
 * reference, with the ratio. Then whole-network figures: a training step (forward + backward),
 * a one-observation predict, and an Adam step, in µs.
 *
 * Target: ≥ 8 GMAC/s for the 256×64→64 forward product (PPO/A2C's hidden layer).
 * Each figure is the median of several runs timed in CPU seconds (bench/lib/timing.ts).
 * Run with `npm run bench nn` or directly `npx tsx bench/nn.ts [--runs=N] [--seconds=S]`.
 */
import { fileURLToPath } from 'node:url';
import type { Activation } from '../src/nn/kernels.js';
import { Mlp } from '../src/nn/mlp.js';
import { Adam } from '../src/nn/optim.js';
import { Arena, type Backend } from '../src/nn/tensor.js';
import { Generator } from '../src/rng/index.js';
import { calibrateCount, measureCpu, median, printTable } from './lib/index.js';

export interface NnBenchOptions {
  /** Timed runs per figure (the median is reported). */
  runs?: number;
  /** Target CPU seconds of one run. */
  seconds?: number;
}

const TARGET_GMACS = 8;

interface LayerShape {
  /** Which network and layer this is. */
  label: string;
  batch: number;
  inDim: number;
  outDim: number;
  activation: Activation;
  /**
   * Share of exact zeros in x and dY, as behind a ReLU layer (about half of a trained ReLU
   * network's activations are 0): the products then take their sparse-A path. GMAC/s still
   * counts the full batch·in·out product, so the figure is the effective rate.
   */
  zeros?: number;
}

/** Layers of the default SB3/RL Zoo networks (REFERENCE.md), at training and acting batch sizes. */
const SHAPES: LayerShape[] = [
  { label: 'PPO/A2C train 4→64', batch: 256, inDim: 4, outDim: 64, activation: 'tanh' },
  { label: 'PPO/A2C train 64→64', batch: 256, inDim: 64, outDim: 64, activation: 'tanh' },
  { label: 'PPO/A2C train 64→2', batch: 256, inDim: 64, outDim: 2, activation: 'identity' },
  { label: 'DQN train 4→256', batch: 64, inDim: 4, outDim: 256, activation: 'relu' },
  { label: 'DQN train 256→256', batch: 64, inDim: 256, outDim: 256, activation: 'relu' },
  { label: 'DQN train 256→2', batch: 64, inDim: 256, outDim: 2, activation: 'identity' },
  { label: 'DDPG critic 4→400', batch: 256, inDim: 4, outDim: 400, activation: 'relu' },
  { label: 'DDPG critic 400→300', batch: 256, inDim: 400, outDim: 300, activation: 'relu' },
  { label: 'DDPG critic 300→1', batch: 256, inDim: 300, outDim: 1, activation: 'identity' },
  { label: 'DQN train 256→256, ½ zeros', batch: 64, inDim: 256, outDim: 256, activation: 'relu', zeros: 0.5 },
  {
    label: 'DDPG critic 400→300, ½ zeros',
    batch: 256,
    inDim: 400,
    outDim: 300,
    activation: 'relu',
    zeros: 0.5,
  },
  { label: 'act ×8 envs 64→64', batch: 8, inDim: 64, outDim: 64, activation: 'tanh' },
  { label: 'act 64→64', batch: 1, inDim: 64, outDim: 64, activation: 'tanh' },
  { label: 'act 256→256', batch: 1, inDim: 256, outDim: 256, activation: 'relu' },
  { label: 'act 400→300', batch: 1, inDim: 400, outDim: 300, activation: 'relu' },
];

type KernelName = 'forward' | 'forward+act' | 'dX' | 'dW+db';
const KERNELS: KernelName[] = ['forward', 'forward+act', 'dX', 'dW+db'];

function fill(data: Float32Array, rng: Generator, scale: number): void {
  for (let i = 0; i < data.length; i++) data[i] = (rng.random() * 2 - 1) * scale;
}

/** Median rate (work units per CPU second) of `op`, which performs `work` units per call. */
function rate(op: () => void, work: number, runs: number, seconds: number): number {
  const loop = (count: number) => {
    for (let i = 0; i < count; i++) op();
  };
  const count = calibrateCount(loop, seconds, 4);
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const { cpuSeconds } = measureCpu(() => loop(count));
    samples.push((count * work) / Math.max(cpuSeconds, 1e-9));
  }
  return median(samples);
}

/** Median GMAC/s of one kernel on one backend for one shape. */
function kernelGmacs(
  backend: Backend,
  s: LayerShape,
  kernel: KernelName,
  runs: number,
  seconds: number,
): number {
  const arena = new Arena({ backend });
  const rng = new Generator(1);
  const x = arena.alloc([s.batch, s.inDim]);
  const w = arena.alloc([s.outDim, s.inDim]);
  const b = arena.alloc([s.outDim]);
  const y = arena.alloc([s.batch, s.outDim]);
  const dy = arena.alloc([s.batch, s.outDim]);
  const dx = arena.alloc([s.batch, s.inDim]);
  const dw = arena.alloc([s.outDim, s.inDim]);
  const db = arena.alloc([s.outDim]);
  fill(x.data, rng, 1);
  fill(w.data, rng, 1 / Math.sqrt(s.inDim));
  fill(b.data, rng, 0.1);
  fill(dy.data, rng, 1e-3);
  const zeros = s.zeros ?? 0;
  for (const t of zeros > 0 ? [x, dy] : []) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) if (rng.random() < zeros) d[i] = 0;
  }
  arena.kernels.reserve(s.batch, s.inDim, s.outDim);
  const k = arena.kernels;
  const [xd, wd, bd, yd, dyd, dxd, dwd, dbd] = [x, w, b, y, dy, dx, dw, db].map((t) => t.data);
  const ops: Record<KernelName, () => void> = {
    forward: () => k.linearForward(xd, wd, bd, yd, s.batch, s.inDim, s.outDim, 'identity'),
    'forward+act': () => k.linearForward(xd, wd, bd, yd, s.batch, s.inDim, s.outDim, s.activation),
    dX: () => k.linearBackwardInput(dyd, wd, dxd, s.batch, s.inDim, s.outDim),
    'dW+db': () => k.linearBackwardParams(dyd, xd, dwd, dbd, s.batch, s.inDim, s.outDim),
  };
  return rate(ops[kernel], s.batch * s.inDim * s.outDim, runs, seconds) / 1e9;
}

interface NetworkCase {
  label: string;
  sizes: number[];
  activation: 'tanh' | 'relu';
  outputActivation: 'identity' | 'tanh';
  batch: number;
}

const NETWORKS: NetworkCase[] = [
  {
    label: 'PPO/A2C policy [4,64,64,2]',
    sizes: [4, 64, 64, 2],
    activation: 'tanh',
    outputActivation: 'identity',
    batch: 256,
  },
  {
    label: 'DQN q_net [4,256,256,2]',
    sizes: [4, 256, 256, 2],
    activation: 'relu',
    outputActivation: 'identity',
    batch: 64,
  },
  {
    label: 'DDPG critic [4,400,300,1]',
    sizes: [4, 400, 300, 1],
    activation: 'relu',
    outputActivation: 'identity',
    batch: 256,
  },
  {
    label: 'DDPG actor [3,400,300,1]',
    sizes: [3, 400, 300, 1],
    activation: 'relu',
    outputActivation: 'tanh',
    batch: 256,
  },
];

/** Median µs per call of a training step, a one-observation predict and an Adam step. */
function networkMicros(
  backend: Backend,
  c: NetworkCase,
  runs: number,
  seconds: number,
): { train: number; predict: number; adam: number } {
  const rng = new Generator(2);
  const net = new Mlp({
    sizes: c.sizes,
    activation: c.activation,
    outputActivation: c.outputActivation,
    arena: new Arena({ backend }),
    batchCapacity: c.batch,
    rng,
  });
  const opt = new Adam(net.params(), { lr: 1e-4 });
  const x = new Float32Array(c.batch * net.inFeatures);
  fill(x, rng, 1);
  const g = new Float32Array(c.batch * net.outFeatures);
  fill(g, rng, 1e-3);
  const obs = x.subarray(0, net.inFeatures);
  const train = () => {
    net.forward(x, c.batch);
    net.backward(g, c.batch);
  };
  const us = (op: () => void) => 1e6 / rate(op, 1, runs, seconds);
  return { train: us(train), predict: us(() => net.predict(obs, 1)), adam: us(() => opt.step()) };
}

export async function run(options: NnBenchOptions = {}): Promise<void> {
  const runs = Math.max(3, options.runs ?? 5);
  const seconds = options.seconds ?? 0.05;

  const rows: (string | number)[][] = [];
  let headline = Number.NaN;
  for (const s of SHAPES) {
    for (const kernel of KERNELS) {
      const wasm = kernelGmacs('wasm', s, kernel, runs, seconds);
      const ref = kernelGmacs('ref', s, kernel, runs, seconds);
      const shape = `${s.batch}×${s.inDim}→${s.outDim}`;
      rows.push([
        s.label,
        shape,
        kernel === 'forward+act' ? `forward+${s.activation}` : kernel,
        wasm.toFixed(2),
        ref.toFixed(2),
        `${(wasm / ref).toFixed(1)}×`,
      ]);
      if (s.batch === 256 && s.inDim === 64 && s.outDim === 64 && kernel === 'forward') headline = wasm;
    }
  }
  process.stdout.write(
    `\nDense kernels, GMAC per CPU second, single thread (median of ${runs} runs of ~${seconds}s; Node ${process.version})\n\n`,
  );
  printTable(['layer', 'batch×in→out', 'kernel', 'wasm SIMD', 'TS reference', 'ratio'], rows);
  process.stdout.write(
    `\n256×64→64 forward product: ${headline.toFixed(2)} GMAC/s (target ≥ ${TARGET_GMACS}: ${headline >= TARGET_GMACS ? 'met' : 'NOT met'})\n`,
  );

  const netRows: (string | number)[][] = [];
  for (const c of NETWORKS) {
    const w = networkMicros('wasm', c, runs, seconds);
    const r = networkMicros('ref', c, runs, seconds);
    netRows.push([
      c.label,
      String(c.batch),
      w.train.toFixed(1),
      r.train.toFixed(1),
      `${(r.train / w.train).toFixed(1)}×`,
      w.predict.toFixed(2),
      r.predict.toFixed(2),
      w.adam.toFixed(1),
      r.adam.toFixed(1),
    ]);
  }
  process.stdout.write('\nWhole networks, µs per call (CPU time, median)\n\n');
  printTable(
    [
      'network',
      'batch',
      'fwd+bwd wasm',
      'fwd+bwd ref',
      'ratio',
      'predict(1) wasm',
      'predict(1) ref',
      'Adam wasm',
      'Adam ref',
    ],
    netRows,
  );
  process.stdout.write('\n');
}

// Direct run: `npx tsx bench/nn.ts [--runs=N] [--seconds=S]`.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const options: NnBenchOptions = {};
  for (const arg of process.argv.slice(2)) {
    const m = /^--(runs|seconds)=(\d+(?:\.\d+)?)$/.exec(arg);
    if (m === null) throw new Error(`usage: npx tsx bench/nn.ts [--runs=N] [--seconds=S]; got '${arg}'`);
    options[m[1] as 'runs' | 'seconds'] = Number(m[2]);
  }
  await run(options);
}

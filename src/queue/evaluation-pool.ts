/**
 * The worker threads that run evaluations for the queue: a Piscina pool of
 * `evaluation-worker` threads, one evaluation per thread at a time. `run` hands a task over
 * with a MessagePort for progress and a shared stop cell; aborting its signal asks the
 * evaluation to stop cooperatively and, if it has not after `abortGraceMs`, ends the thread
 * (Piscina's abort terminates the worker) so a stuck evaluation never holds a slot.
 */
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { UnavailableError } from '../errors.js';
import type { BaselineRecord } from '../evaluation/evaluate.js';
import type { PopulationAgent } from '../evaluation/nash-scoring.js';
import type { RegressionThresholds } from '../evaluation/regression.js';
import type { EvaluationRequest } from '../evaluation/schemas.js';
import type { EvaluationOutcome, EvaluationTask, ProgressMessage } from './evaluation-worker.js';
import { forgetEnvCache, recordEnvCache } from './job-metrics.js';

export interface EvaluationPoolOptions {
  /** Evaluations at once (EVAL_MAX_CONCURRENT). */
  threads: number;
  /** Episode threads inside each evaluation thread for large evaluations (default 0). */
  episodeThreads?: number;
  envCacheSize?: number;
  thresholds?: Partial<RegressionThresholds>;
  defaultEpisodes?: number;
  quickModeEpisodes?: number;
  lossTrendWindow?: number;
  /** After an abort, how long the evaluation may take to stop on its own (default 2 s). */
  abortGraceMs?: number;
}

export interface EvaluationInput {
  request: EvaluationRequest;
  baselines: Record<string, BaselineRecord | null>;
  population: Record<string, PopulationAgent[]>;
}

/** The worker module beside this one: compiled JavaScript in dist/, TypeScript under tsx/vitest. */
function workerFile(): { filename: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return { filename: new URL('./evaluation-worker.ts', here).href, execArgv: ['--import', 'tsx'] };
  }
  return { filename: new URL('./evaluation-worker.js', here).href, execArgv: [] };
}

export class EvaluationPool {
  readonly threads: number;
  readonly #options: EvaluationPoolOptions;
  readonly #piscina: Piscina;
  #closed = false;

  constructor(options: EvaluationPoolOptions) {
    this.threads = Math.max(1, options.threads);
    this.#options = options;
    const { filename, execArgv } = workerFile();
    this.#piscina = new Piscina({
      filename,
      execArgv,
      minThreads: 0,
      maxThreads: this.threads,
      // One evaluation per thread: a second would only wait behind the first's training.
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
    });
    // A thread's environment cache ends with the thread.
    this.#piscina.on('workerDestroy', (worker: { id: number }) => forgetEnvCache(worker.id));
  }

  /** Runs one evaluation on a worker thread; `onProgress` gets every progress record. */
  async run(
    input: EvaluationInput,
    onProgress: (p: ProgressMessage) => void,
    signal?: AbortSignal,
  ): Promise<EvaluationOutcome> {
    // (Piscina would quietly start new threads after destroy(); a closed pool is a fault.)
    if (this.#closed) throw new UnavailableError('the evaluation pool is closed');
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (m: ProgressMessage) => onProgress(m));
    const stop = new SharedArrayBuffer(4);
    const task: EvaluationTask = {
      ...input,
      thresholds: this.#options.thresholds,
      defaultEpisodes: this.#options.defaultEpisodes,
      quickModeEpisodes: this.#options.quickModeEpisodes,
      lossTrendWindow: this.#options.lossTrendWindow,
      episodeThreads: this.#options.episodeThreads ?? 0,
      envCacheSize: this.#options.envCacheSize ?? 50,
      port: port2,
      stop,
    };
    const hard = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      Atomics.store(new Int32Array(stop), 0, 1);
      timer = setTimeout(() => hard.abort(signal?.reason), this.#options.abortGraceMs ?? 2000);
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const outcome = (await this.#piscina.run(task, {
        transferList: [port2],
        signal: hard.signal,
      })) as EvaluationOutcome;
      if (outcome.envCache !== undefined) recordEnvCache(outcome.envCache);
      return outcome;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (timer !== undefined) clearTimeout(timer);
      // Progress posted just before the task ended may still be queued on the port.
      await new Promise((r) => setImmediate(r));
      port1.close();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#piscina.destroy();
  }
}

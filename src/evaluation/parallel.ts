/**
 * Episodes on worker threads: a Piscina pool plays chunks of an evaluation's episodes in
 * parallel, across environments and episode chunks. Because every episode's outcome
 * depends only on its seed (see runner.ts), splitting changes the wall time, never the
 * returns; chunks are merged back in episode order.
 *
 * Small jobs stay on the calling thread: starting a worker (loading the modules and the
 * WebAssembly kernels) costs tens of milliseconds, more than a short evaluation.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { Agent } from '../agents/types.js';
import { writeSafetensors } from '../nn/safetensors.js';
import type { EpisodeTask } from './episode-worker.js';
import { mergeActionCounts, type RunEpisodesOptions, type RunEpisodesResult, runEpisodes } from './runner.js';

export interface EpisodePoolOptions {
  /** Worker threads (default: available parallelism). 0 runs everything on the calling thread. */
  threads?: number;
  /** Environment cache capacity per worker (EVAL_ENV_CACHE_SIZE). */
  envCacheSize?: number;
  /** Episodes per task (default 25). */
  chunkSize?: number;
  /** Below this many expected environment steps a job runs on the calling thread (default 200,000). */
  minStepsForThreads?: number;
}

/** The worker module beside this one: compiled JavaScript in dist/, TypeScript under tsx/vitest. */
function workerFile(): { filename: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return { filename: new URL('./episode-worker.ts', here).href, execArgv: ['--import', 'tsx'] };
  }
  return { filename: new URL('./episode-worker.js', here).href, execArgv: [] };
}

export class EpisodePool {
  readonly threads: number;
  readonly envCacheSize: number;
  readonly chunkSize: number;
  readonly minStepsForThreads: number;
  #pool: Piscina | null = null;
  #cacheHits = 0;
  #cacheMisses = 0;

  constructor(options: EpisodePoolOptions = {}) {
    this.threads = options.threads ?? availableParallelism();
    this.envCacheSize = options.envCacheSize ?? 50;
    this.chunkSize = options.chunkSize ?? 25;
    this.minStepsForThreads = options.minStepsForThreads ?? 200_000;
  }

  #piscina(): Piscina {
    if (this.#pool === null) {
      const { filename, execArgv } = workerFile();
      this.#pool = new Piscina({
        filename,
        execArgv,
        minThreads: 0,
        maxThreads: this.threads,
        idleTimeout: 30_000,
      });
    }
    return this.#pool;
  }

  /**
   * Plays `options.episodes` for `agent`, in parallel when the job is large enough.
   * `expectedSteps` (e.g. episodes × max episode steps) decides; `onEpisode` reports progress
   * (per finished chunk when threaded).
   */
  async run(agent: Agent, options: RunEpisodesOptions, expectedSteps: number): Promise<RunEpisodesResult> {
    const indices =
      typeof options.episodes === 'number'
        ? Array.from({ length: options.episodes }, (_, i) => i)
        : [...options.episodes];
    if (this.threads < 1 || expectedSteps < this.minStepsForThreads || indices.length <= this.chunkSize) {
      return runEpisodes(agent, options);
    }
    const t0 = process.hrtime.bigint();
    const weights = writeSafetensors(agent.stateDict());
    const agentKey = createHash('sha256').update(weights).digest('hex');
    const { envCache: _cache, onEpisode, ...run } = options;
    const chunks: number[][] = [];
    for (let i = 0; i < indices.length; i += this.chunkSize)
      chunks.push(indices.slice(i, i + this.chunkSize));
    let finished = 0;
    const results = await Promise.all(
      chunks.map(async (chunk) => {
        const task: EpisodeTask = {
          agentKey,
          agentType: agent.agentType,
          hyperparameters: serialisableHyperparameters(agent),
          weights,
          run: { ...run, episodes: chunk },
          envCacheSize: this.envCacheSize,
        };
        const r = (await this.#piscina().run(task)) as RunEpisodesResult;
        this.#cacheHits += r.envCacheDelta?.hits ?? 0;
        this.#cacheMisses += r.envCacheDelta?.misses ?? 0;
        finished += r.episodes.length;
        onEpisode?.(finished, indices.length);
        return r;
      }),
    );
    return {
      envId: options.envId,
      episodes: results.flatMap((r) => r.episodes),
      actions: results.map((r) => r.actions).reduce(mergeActionCounts),
      steps: results.reduce((a, r) => a + r.steps, 0),
      seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    };
  }

  /** Environment-cache hits and misses of this pool's worker threads so far. */
  envCacheCounts(): { hits: number; misses: number } {
    return { hits: this.#cacheHits, misses: this.#cacheMisses };
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    if (pool !== null) await pool.destroy();
  }
}

/**
 * Hyperparameters in the input form `resolveHyperparameters` accepts (schedules back to
 * numbers or "lin_<v>"), so the worker rebuilds the same agent.
 */
function serialisableHyperparameters(agent: Agent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(agent.hyperparameters as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object' && 'kind' in v) {
      const s = v as { kind: string; value?: number; initial?: number };
      out[k] = s.kind === 'constant' ? s.value : `lin_${s.initial}`;
    } else {
      out[k] = v;
    }
  }
  if (agent.agentType === 'dqn' && out.epsilon === null) delete out.epsilon;
  return out;
}

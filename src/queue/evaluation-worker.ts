/**
 * Worker-thread entry point of the job queue (loaded by Piscina). Training is CPU-bound and
 * synchronous, so an evaluation run on the main thread would stall the HTTP event loop, the
 * lease heartbeats and BullMQ's lock renewal (a BullMQ job whose lock lapses is delivered
 * again). Here it runs on its own thread; the main thread keeps heartbeating and records
 * progress sent back over a MessagePort.
 *
 * Everything `evaluate()` asks its callers for (baselines, the Nash population) is fetched
 * by the main thread beforehand and passed in the task, so the worker needs no database.
 * Errors come back as plain records (kind, message, details): class identity does not
 * survive the thread boundary, and the processor decides retry or not from the kind.
 *
 * Each thread keeps one environment cache (EVAL_ENV_CACHE_SIZE) for the episodes it plays
 * itself, across the evaluations it runs. Its hit, miss and size figures travel back with
 * every outcome (`envCache`, beside the result rather than inside the wire record), and the
 * main thread adds them to the `tars_eval_env_cache_*` metrics.
 */
import { type MessagePort, threadId } from 'node:worker_threads';
import { CancelledError, TarsError } from '../errors.js';
import { EnvCache } from '../evaluation/env-cache.js';
import type { BaselineRecord } from '../evaluation/evaluate.js';
import { evaluate } from '../evaluation/evaluate.js';
import type { PopulationAgent } from '../evaluation/nash-scoring.js';
import { EpisodePool } from '../evaluation/parallel.js';
import type { RegressionThresholds } from '../evaluation/regression.js';
import type { EvaluationRequest, EvaluationResult } from '../evaluation/schemas.js';
import type { EnvCacheReport } from './job-metrics.js';

export interface EvaluationTask {
  request: EvaluationRequest;
  /** The rank-1 baseline per environment (null when none). */
  baselines: Record<string, BaselineRecord | null>;
  /** The other agents for Nash scoring, per environment. */
  population: Record<string, PopulationAgent[]>;
  thresholds?: Partial<RegressionThresholds>;
  defaultEpisodes?: number;
  quickModeEpisodes?: number;
  lossTrendWindow?: number;
  /** Episode threads inside this worker for large evaluations (0: all on this thread). */
  episodeThreads: number;
  envCacheSize: number;
  /** Receives `{ fraction, message }` progress records. */
  port: MessagePort;
  /**
   * One Int32 cell; the main thread stores 1 to ask the evaluation to stop at its next
   * check (between training updates and environments). Shared memory rather than a message,
   * because a thread busy training does not run its event loop to receive messages.
   */
  stop: SharedArrayBuffer;
}

export interface ProgressMessage {
  fraction: number;
  message: string;
}

/** An error as it crosses the thread boundary. */
export interface WorkerError {
  name: string;
  /** TarsError kind, or null for any other error */
  kind: string | null;
  message: string;
  details?: Record<string, unknown>;
  stack?: string;
}

export type EvaluationOutcome = (
  | { ok: true; result: EvaluationResult }
  | { ok: false; error: WorkerError }
) & {
  /** This thread's environment-cache figures (absent when the task never reached the worker). */
  envCache?: EnvCacheReport;
};

let envCache: EnvCache | null = null;
/** Hits and misses of this thread's cache already reported with an earlier outcome. */
let reported = { hits: 0, misses: 0 };

function cacheFor(capacity: number): EnvCache {
  if (envCache === null || envCache.capacity !== capacity) {
    envCache?.clear();
    envCache = new EnvCache(capacity);
    reported = { hits: 0, misses: 0 };
  }
  return envCache;
}

/** The figures since the previous report, episode threads of this evaluation included. */
function cacheReport(cache: EnvCache, pool: EpisodePool | undefined): EnvCacheReport {
  const { hits, misses, size } = cache.stats();
  const nested = pool?.envCacheCounts() ?? { hits: 0, misses: 0 };
  const report = {
    thread: threadId,
    hits: hits - reported.hits + nested.hits,
    misses: misses - reported.misses + nested.misses,
    size,
  };
  reported = { hits, misses };
  return report;
}

export default async function runEvaluationTask(task: EvaluationTask): Promise<EvaluationOutcome> {
  const stop = new Int32Array(task.stop);
  const cache = cacheFor(task.envCacheSize);
  const pool =
    task.episodeThreads > 0
      ? new EpisodePool({ threads: task.episodeThreads, envCacheSize: task.envCacheSize })
      : undefined;
  try {
    const result = await evaluate(task.request, {
      baselineFor: (_type, envId) => task.baselines[envId] ?? null,
      populationFor: (envId) => task.population[envId] ?? [],
      onProgress: (fraction, message) =>
        task.port.postMessage({ fraction, message } satisfies ProgressMessage),
      pool,
      envCache: cache,
      thresholds: task.thresholds,
      defaultEpisodes: task.defaultEpisodes,
      quickModeEpisodes: task.quickModeEpisodes,
      lossTrendWindow: task.lossTrendWindow,
      shouldStop: () => Atomics.load(stop, 0) !== 0,
    });
    // A stop during training ends the training early and evaluate() goes on with the
    // partly trained agent; that result answers a different question, so it is not returned.
    if (Atomics.load(stop, 0) !== 0) throw new CancelledError('evaluation stopped before it finished');
    return { ok: true, result, envCache: cacheReport(cache, pool) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return {
      ok: false,
      envCache: cacheReport(cache, pool),
      error: {
        name: e.name,
        kind: e instanceof TarsError ? e.kind : null,
        message: e.message,
        details: e instanceof TarsError ? e.details : undefined,
        stack: e.stack,
      },
    };
  } finally {
    task.port.close();
    await pool?.close();
  }
}

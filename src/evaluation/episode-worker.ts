/**
 * Worker-thread entry point of the parallel episode runner (loaded by Piscina). A task
 * carries the agent as (type, hyperparameters, safetensors bytes) and a chunk of episode
 * indices; the worker rebuilds the agent (cached per agent key, so the chunks of one
 * evaluation reuse it) and plays the chunk with the same `runEpisodes` as the main thread,
 * so results are identical to a single-threaded run.
 */
import { createAgent } from '../agents/index.js';
import type { Agent } from '../agents/types.js';
import { readSafetensors } from '../nn/safetensors.js';
import { EnvCache } from './env-cache.js';
import { type RunEpisodesOptions, type RunEpisodesResult, runEpisodes } from './runner.js';

export interface EpisodeTask {
  /** Identifies the agent (e.g. a digest of its weights); equal keys reuse the built agent. */
  agentKey: string;
  agentType: string;
  hyperparameters: unknown;
  /** The agent's weights as safetensors bytes. */
  weights: Uint8Array;
  run: Omit<RunEpisodesOptions, 'envCache' | 'onEpisode'>;
  /** Environment cache capacity in this worker. */
  envCacheSize: number;
}

let envCache: EnvCache | null = null;
const agents = new Map<string, Agent>();
const MAX_CACHED_AGENTS = 4;

function agentFor(task: EpisodeTask): Agent {
  const key = `${task.agentKey}|${task.run.envId}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    agent = createAgent(task.agentType, task.hyperparameters, readSafetensors(task.weights), {
      envId: task.run.envId,
    });
    if (agents.size >= MAX_CACHED_AGENTS) agents.delete(agents.keys().next().value as string);
    agents.set(key, agent);
  }
  return agent;
}

/** Cache hits and misses already reported with an earlier result. */
let reported = { hits: 0, misses: 0 };

export default function runEpisodeTask(task: EpisodeTask): RunEpisodesResult {
  if (envCache === null || envCache.capacity !== task.envCacheSize) {
    envCache?.clear();
    envCache = new EnvCache(task.envCacheSize);
    reported = { hits: 0, misses: 0 };
  }
  const result = runEpisodes(agentFor(task), { ...task.run, envCache });
  const { hits, misses } = envCache.stats();
  const envCacheDelta = { hits: hits - reported.hits, misses: misses - reported.misses };
  reported = { hits, misses };
  return { ...result, envCacheDelta };
}

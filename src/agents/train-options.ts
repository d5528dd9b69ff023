import { makeVec, type SyncVectorEnv } from '../envs/index.js';
import { ValidationError } from '../errors.js';
import type { AgentSpaces, TrainOptions } from './types.js';

/** Validates the budget, seed and progress interval of a training run, naming the bad field. */
export function checkTrainOptions(options: TrainOptions): void {
  if (!Number.isSafeInteger(options.totalTimesteps) || options.totalTimesteps < 1) {
    throw new ValidationError(`totalTimesteps must be a positive integer, got ${options.totalTimesteps}`, {
      field: 'total_timesteps',
    });
  }
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) {
    throw new ValidationError(`seed must be a non-negative integer, got ${options.seed}`, { field: 'seed' });
  }
  const every = options.progressEvery;
  if (every !== undefined && !(Number.isSafeInteger(every) && every >= 1)) {
    throw new ValidationError(`progressEvery must be a positive integer, got ${every}`, {
      field: 'progressEvery',
    });
  }
}

/**
 * The opening of every trainer: checks the options (before anything is made), makes the
 * `nEnvs` training copies of `options.envId`, and builds what the algorithm trains from their
 * spaces — closing the environments again when that build throws (spaces the agent type cannot
 * act in, a state dict that does not fit).
 */
export function openTraining<T>(
  options: TrainOptions,
  nEnvs: number,
  build: (spaces: AgentSpaces, vec: SyncVectorEnv) => T,
): { vec: SyncVectorEnv; built: T } {
  checkTrainOptions(options);
  const vec = makeVec(options.envId, nEnvs, options.envOptions);
  try {
    const spaces = { observationSpace: vec.singleObservationSpace, actionSpace: vec.singleActionSpace };
    return { vec, built: build(spaces, vec) };
  } catch (err) {
    vec.close();
    throw err;
  }
}

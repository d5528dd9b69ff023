import { ValidationError } from '../errors.js';
import type { TrainOptions } from './types.js';

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

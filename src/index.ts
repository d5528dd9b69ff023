/**
 * The public library API of tars-eval (DESIGN section 9). Everything importable from the
 * package root is re-exported here; names may grow, they do not silently change meaning.
 */
export * from './agents/index.js';
export * from './envs/index.js';
export * from './errors.js';
export * from './games/index.js';
export * from './nn/index.js';
export * from './rng/index.js';
export * from './stats/index.js';

/**
 * Helpers shared by the classic-control environments: seeding as Gymnasium's
 * `Env.reset(seed=...)`, reset-option parsing after Gymnasium's
 * `classic_control.utils.maybe_parse_reset_bounds` / `verify_number_and_cast`, and
 * constructor-option checks.
 */
import { ValidationError } from '../../errors.js';
import { type Generator, npRandom } from '../../rng/index.js';
import { EnvStateError } from '../errors.js';

/** Gymnasium's `seeding.np_random(seed)`: a fresh generator; without a seed, from OS entropy. */
export function seededGenerator(seed?: number): Generator {
  if (seed !== undefined && (!Number.isSafeInteger(seed) || seed < 0)) {
    throw new ValidationError(`seed must be a non-negative integer, got ${seed}`, { field: 'seed' });
  }
  return npRandom(seed).rng;
}

/** Gymnasium's `verify_number_and_cast`: a number (or a numeric string, as Python's `float()` accepts). */
export function verifyNumberAndCast(name: string, x: unknown): number {
  let v: number = Number.NaN;
  if (typeof x === 'number') v = x;
  else if (typeof x === 'string' && x.trim() !== '') v = Number(x);
  if (!Number.isFinite(v)) {
    throw new ValidationError(
      `reset option '${name}' (${String(x)}) could not be converted to a finite number`,
      {
        field: `options.${name}`,
      },
    );
  }
  return v;
}

/**
 * Gymnasium's `maybe_parse_reset_bounds`: the sampling range of the initial state, from
 * `options.low` / `options.high` when given, else the environment's defaults.
 */
export function maybeParseResetBounds(
  options: Record<string, unknown> | undefined,
  defaultLow: number,
  defaultHigh: number,
): [number, number] {
  if (options === undefined || options === null) return [defaultLow, defaultHigh];
  const low = verifyNumberAndCast('low', 'low' in options ? options.low : defaultLow);
  const high = verifyNumberAndCast('high', 'high' in options ? options.high : defaultHigh);
  if (low > high) {
    throw new ValidationError(`Lower bound (${low}) must be lower than higher bound (${high}).`, {
      field: 'options.low',
    });
  }
  return [low, high];
}

/** Rejects constructor options the environment does not know, naming them and the known ones. */
export function checkEnvOptions(envId: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ValidationError(
        `unknown option '${key}' for ${envId}; valid options: ${known.length > 0 ? known.join(', ') : '(none)'}`,
        { field: key, valid: [...known] },
      );
    }
  }
}

/** numpy's `clip(x, lo, hi)` for a scalar: NaN passes through. */
export function clip(x: number, lo: number, hi: number): number {
  if (x < lo) return lo;
  if (x > hi) return hi;
  return x;
}

/** Validates a state assigned to an environment's `state`: `n` finite numbers. */
export function checkState(envId: string, value: ArrayLike<number>, n: number): void {
  if (value === null || typeof value !== 'object' || value.length !== n) {
    throw new ValidationError(`${envId} state must be an array of ${n} numbers`, { field: 'state' });
  }
  for (let i = 0; i < n; i++) {
    if (typeof value[i] !== 'number' || !Number.isFinite(value[i])) {
      throw new ValidationError(`${envId} state[${i}] must be a finite number, got ${String(value[i])}`, {
        field: 'state',
      });
    }
  }
}

/** The error of a step before the first reset (kept out of line so that `step` stays small). */
export function throwNotReset(envId: string): never {
  throw new EnvStateError(`${envId}: call reset() before step()`);
}

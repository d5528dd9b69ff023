/**
 * Action and observation spaces, mirroring Gymnasium 1.x `spaces.Discrete` and `spaces.Box`
 * (gymnasium/spaces/discrete.py, gymnasium/spaces/box.py). `sample(rng)` consumes the
 * generator draw for draw as Gymnasium's `sample()` consumes its `np_random`, so a space
 * sampled from a generator seeded like Gymnasium's gives the same values.
 *
 * Only the float32 Box (the dtype of every classic-control space) is supported.
 */

import { ValidationError } from '../errors.js';
import type { Generator } from '../rng/index.js';
import { InvalidActionError } from './errors.js';

/** The finite set {start, start + 1, ..., start + n - 1}. */
export class Discrete {
  readonly n: number;
  readonly start: number;

  constructor(n: number, start = 0) {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new ValidationError(`Discrete n must be a positive integer, got ${n}`, { field: 'n' });
    }
    if (!Number.isSafeInteger(start)) {
      throw new ValidationError(`Discrete start must be an integer, got ${start}`, { field: 'start' });
    }
    this.n = n;
    this.start = start;
  }

  /** Gymnasium accepts only integers in range (a float such as 1.5 is not an element). */
  contains(x: unknown): boolean {
    return typeof x === 'number' && Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }

  /** `Discrete.sample()`: `start + np_random.integers(n)`. */
  sample(rng: Generator): number {
    return this.start + rng.integers(this.n);
  }

  toJSON(): { type: 'Discrete'; n: number; start: number } {
    return { type: 'Discrete', n: this.n, start: this.start };
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }
}

/** A bound as JSON: a number, or 'inf' / '-inf' (JSON has no infinities). */
export type JsonBound = number | 'inf' | '-inf';

export interface BoxJSON {
  type: 'Box';
  dtype: 'float32';
  shape: number[];
  low: JsonBound[];
  high: JsonBound[];
}

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The Cartesian product of closed intervals [low[i], high[i]] with float32 elements; a bound
 * may be infinite. Bounds are stored as float32, as Gymnasium casts them to the Box dtype.
 */
export class Box {
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly shape: readonly number[];
  readonly dtype = 'float32' as const;
  /** Number of elements (the product of the shape). */
  readonly size: number;
  /** Per element: the lower bound is finite (Gymnasium's `bounded_below`). */
  readonly boundedBelow: readonly boolean[];
  /** Per element: the upper bound is finite (Gymnasium's `bounded_above`). */
  readonly boundedAbove: readonly boolean[];

  /**
   * `low` and `high` are scalars (broadcast to `shape`) or arrays; without `shape`, the shape
   * is the arrays' length, or [1] when both are scalars (as Gymnasium infers it).
   */
  constructor(low: number | ArrayLike<number>, high: number | ArrayLike<number>, shape?: readonly number[]) {
    let dims: number[];
    if (shape !== undefined) {
      if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw new ValidationError(`Box shape must be non-negative integers, got [${shape.join(', ')}]`, {
          field: 'shape',
        });
      }
      dims = [...shape];
    } else if (typeof low !== 'number') {
      dims = [low.length];
    } else if (typeof high !== 'number') {
      dims = [high.length];
    } else {
      dims = [1];
    }
    const size = dims.reduce((a, b) => a * b, 1);
    this.shape = Object.freeze(dims);
    this.size = size;
    this.low = castBound(low, size, 'low');
    this.high = castBound(high, size, 'high');
    const below: boolean[] = [];
    const above: boolean[] = [];
    for (let i = 0; i < size; i++) {
      if (this.low[i] > this.high[i]) {
        throw new ValidationError(
          `Box low must be <= high in every element; element ${i} has low ${this.low[i]} > high ${this.high[i]}`,
          { field: 'low' },
        );
      }
      below.push(this.low[i] > Number.NEGATIVE_INFINITY);
      above.push(this.high[i] < Number.POSITIVE_INFINITY);
    }
    this.boundedBelow = Object.freeze(below);
    this.boundedAbove = Object.freeze(above);
  }

  /** Gymnasium's `is_bounded(manner)`. */
  isBounded(manner: 'both' | 'below' | 'above' = 'both'): boolean {
    const below = this.boundedBelow.every(Boolean);
    const above = this.boundedAbove.every(Boolean);
    return manner === 'both' ? below && above : manner === 'below' ? below : above;
  }

  /**
   * Membership as Gymnasium checks a list: the values are cast to float32, then the length
   * must equal the size and every element lie in [low, high] (NaN never does).
   */
  contains(x: unknown): boolean {
    if (!isArrayLike(x) || x.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      const v = x[i];
      if (typeof v !== 'number') return false;
      const f = Math.fround(v);
      if (!(f >= this.low[i] && f <= this.high[i])) return false;
    }
    return true;
  }

  /**
   * `Box.sample()`. Gymnasium fills a float64 array by interval kind, each kind in one
   * vectorised draw, in this order: unbounded elements from `normal()`, bounded-below ones
   * from `exponential() + low`, bounded-above ones from `-exponential() + high`, bounded
   * ones from `uniform(low, high)`; each kind visits its elements in index order. The
   * result is cast to float32.
   */
  sample(rng: Generator): Float32Array {
    const n = this.size;
    const out = new Float32Array(n);
    const low = this.low;
    const high = this.high;
    const below = this.boundedBelow;
    const above = this.boundedAbove;
    for (let i = 0; i < n; i++) if (!below[i] && !above[i]) out[i] = rng.standardNormal();
    for (let i = 0; i < n; i++) if (below[i] && !above[i]) out[i] = rng.standardExponential() + low[i];
    for (let i = 0; i < n; i++) if (!below[i] && above[i]) out[i] = -rng.standardExponential() + high[i];
    for (let i = 0; i < n; i++) if (below[i] && above[i]) out[i] = rng.uniform(low[i], high[i]);
    return out;
  }

  toJSON(): BoxJSON {
    return {
      type: 'Box',
      dtype: 'float32',
      shape: [...this.shape],
      low: Array.from(this.low, jsonBound),
      high: Array.from(this.high, jsonBound),
    };
  }

  toString(): string {
    return `Box(${shortBounds(this.low)}, ${shortBounds(this.high)}, (${this.shape.join(', ')}${
      this.shape.length === 1 ? ',' : ''
    }), float32)`;
  }
}

export type Space = Discrete | Box;

/**
 * Throws InvalidActionError, naming what is wrong, unless `action` is a valid action for
 * `space`: for Discrete an integer in range; for Box an array of the space's size whose
 * elements are finite numbers. Finite Box values outside the bounds are accepted: the
 * continuous classic-control environments clip them themselves, as Gymnasium's do.
 */
export function validateAction(space: Space, action: unknown): void {
  if (space instanceof Discrete) {
    if (typeof action !== 'number') {
      throw new InvalidActionError(
        `action must be an integer in ${describeRange(space)}, got ${describeValue(action)}`,
      );
    }
    if (!Number.isInteger(action)) {
      throw new InvalidActionError(
        `action must be an integer in ${describeRange(space)}, got non-integer ${action}`,
      );
    }
    if (action < space.start || action >= space.start + space.n) {
      throw new InvalidActionError(
        `action ${action} is out of range: expected an integer in ${describeRange(space)}`,
      );
    }
    return;
  }
  if (!isArrayLike(action)) {
    throw new InvalidActionError(
      `action must be an array of ${space.size} number(s) for ${space.toString()}, got ${describeValue(action)}`,
    );
  }
  if (action.length !== space.size) {
    throw new InvalidActionError(
      `action has length ${action.length}, expected ${space.size} for ${space.toString()}`,
    );
  }
  for (let i = 0; i < action.length; i++) {
    const v = action[i];
    if (typeof v !== 'number') {
      throw new InvalidActionError(`action[${i}] must be a number, got ${describeValue(v)}`);
    }
    if (!Number.isFinite(v)) {
      throw new InvalidActionError(`action[${i}] must be finite, got ${v}`);
    }
  }
}

function castBound(b: number | ArrayLike<number>, size: number, name: 'low' | 'high'): Float32Array {
  const out = new Float32Array(size);
  if (typeof b === 'number') {
    checkBound(b, name, -1);
    out.fill(b);
    return out;
  }
  if (b.length !== size) {
    throw new ValidationError(`Box ${name} has length ${b.length}, expected ${size}`, { field: name });
  }
  for (let i = 0; i < size; i++) {
    checkBound(b[i], name, i);
    out[i] = b[i];
  }
  return out;
}

/** Gymnasium rejects NaN bounds and finite bounds beyond the dtype's range. */
function checkBound(v: number, name: 'low' | 'high', index: number): void {
  const where = index < 0 ? '' : ` (element ${index})`;
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new ValidationError(`Box ${name}${where} must be a number, got ${String(v)}`, { field: name });
  }
  if (Number.isFinite(v) && Math.abs(v) > FLOAT32_MAX) {
    throw new ValidationError(`Box ${name}${where} = ${v} is outside the float32 range`, { field: name });
  }
  if (
    (name === 'low' && v === Number.POSITIVE_INFINITY) ||
    (name === 'high' && v === Number.NEGATIVE_INFINITY)
  ) {
    throw new ValidationError(`Box ${name}${where} cannot be ${v}`, { field: name });
  }
}

function isArrayLike(x: unknown): x is ArrayLike<unknown> {
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof (x as { length?: unknown }).length === 'number' &&
    (Array.isArray(x) || ArrayBuffer.isView(x) || Number.isSafeInteger((x as { length: number }).length))
  );
}

function jsonBound(v: number): JsonBound {
  return v === Number.POSITIVE_INFINITY ? 'inf' : v === Number.NEGATIVE_INFINITY ? '-inf' : v;
}

/** The shortest decimal that reads back as the same float32 (as numpy prints float32 values). */
export function float32Repr(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
  for (let digits = 1; digits < 10; digits++) {
    const s = Number(v.toPrecision(digits));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}

function shortBounds(a: Float32Array): string {
  if (a.length > 0 && a.every((v) => v === a[0])) return float32Repr(a[0]);
  return `[${Array.from(a, float32Repr).join(', ')}]`;
}

function describeRange(space: Discrete): string {
  return `[${space.start}, ${space.start + space.n - 1}]`;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

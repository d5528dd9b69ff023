/**
 * An LRU cache of environment instances, so repeated evaluations (and the copies of one
 * vectorised run) reuse constructed environments instead of building new ones — cheap for
 * classic control, not for LunarLander's Box2D world. Entries are keyed by environment id
 * plus the `make` options; an instance is lent out with `acquire` and given back with
 * `release`, and only idle instances are kept (at most `capacity`, least recently released
 * evicted first and closed). Hit, miss and size figures feed the
 * `tars_eval_env_cache_*` metrics.
 */
import { type Env, type MakeOptions, make } from '../envs/index.js';

export interface EnvCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  /** Idle instances currently held. */
  size: number;
  capacity: number;
}

function keyOf(envId: string, options: MakeOptions): string {
  const entries = Object.entries(options)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${envId}|${JSON.stringify(entries)}`;
}

export class EnvCache {
  /** Idle instances, least recently released first (Map keeps insertion order). */
  readonly #idle = new Map<Env, string>();
  readonly #keys = new WeakMap<Env, string>();
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`EnvCache capacity must be a non-negative integer, got ${capacity}`);
    }
  }

  /** An idle instance for (envId, options), or a new one from `make`. */
  acquire(envId: string, options: MakeOptions = {}): Env {
    const key = keyOf(envId, options);
    for (const [env, k] of this.#idle) {
      if (k === key) {
        this.#idle.delete(env);
        this.#hits++;
        return env;
      }
    }
    this.#misses++;
    const env = make(envId, options);
    this.#keys.set(env, key);
    return env;
  }

  /** Gives an instance back; the least recently released idle instance beyond capacity is closed. */
  release(env: Env): void {
    const key = this.#keys.get(env);
    if (key === undefined || this.#idle.has(env)) return;
    this.#idle.set(env, key);
    while (this.#idle.size > this.capacity) {
      const oldest = this.#idle.keys().next().value as Env;
      this.#idle.delete(oldest);
      this.#evictions++;
      oldest.close();
    }
  }

  stats(): EnvCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      size: this.#idle.size,
      capacity: this.capacity,
    };
  }

  clear(): void {
    for (const env of this.#idle.keys()) env.close();
    this.#idle.clear();
  }
}

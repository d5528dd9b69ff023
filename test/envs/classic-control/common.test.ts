/** Behaviour every classic-control environment shares: the Env contract, seeding, errors. */
import { describe, expect, it } from 'vitest';
import {
  AcrobotEnv,
  CartPoleEnv,
  ContinuousMountainCarEnv,
  MountainCarEnv,
  PendulumEnv,
} from '../../../src/envs/classic-control/index.js';
import type { Env, EnvSpec } from '../../../src/envs/core.js';
import { EnvStateError, InvalidActionError } from '../../../src/envs/errors.js';
import { Box, Discrete } from '../../../src/envs/spaces.js';
import { ValidationError } from '../../../src/errors.js';
import { npRandom } from '../../../src/rng/index.js';

interface EnvClass {
  new (options?: Record<string, unknown>): Env;
  readonly id: string;
  readonly spec: EnvSpec;
  readonly maxEpisodeSteps: number;
  readonly rewardThreshold: number | null;
  success(episodeReturn: number, terminated: boolean, truncated: boolean): boolean;
}

const CLASSES: Array<[EnvClass, number, number, number]> = [
  // class, observation size, action size (0 = Discrete), uniform draws per reset (Gymnasium's reset)
  [CartPoleEnv, 4, 0, 4],
  [AcrobotEnv, 6, 0, 4],
  [MountainCarEnv, 2, 0, 1],
  [ContinuousMountainCarEnv, 2, 1, 1],
  [PendulumEnv, 3, 1, 2],
];

function sampler(env: Env, seed: number): () => number | Float32Array {
  const rng = npRandom(seed).rng;
  return () => env.actionSpace.sample(rng);
}

describe.each(CLASSES.map((c) => [c[0].id, ...c] as const))(
  '%s',
  (_id, cls, obsSize, actSize, resetDraws) => {
    it('exposes its registry metadata statically and no spec of its own', () => {
      expect(cls.spec).toEqual({
        id: cls.id,
        maxEpisodeSteps: cls.maxEpisodeSteps,
        rewardThreshold: cls.rewardThreshold,
      });
      expect(Object.isFrozen(cls.spec)).toBe(true);
      expect(new cls().spec).toBeNull();
    });

    it('has float32 Box observations and the right action space', () => {
      const env = new cls();
      expect(env.observationSpace).toBeInstanceOf(Box);
      expect(env.observationSpace.shape).toEqual([obsSize]);
      expect(env.actionSpace).toBeInstanceOf(actSize === 0 ? Discrete : Box);
    });

    it('throws EnvStateError when stepped before reset, and has no state yet', () => {
      const env = new cls() as Env & { state: Float64Array | null };
      expect(env.state).toBeNull();
      const action = env.actionSpace.sample(npRandom(0).rng);
      expect(() => env.step(action)).toThrow(EnvStateError);
      expect(() => env.step(action)).toThrow(/call reset\(\) before step\(\)/);
    });

    it('rejects invalid actions with InvalidActionError, before or after reset', () => {
      const env = new cls();
      const bad =
        actSize === 0 ? [7, -1, 0.5, [1], '1', Number.NaN] : [[Number.NaN], [1, 2], 0.5, [], [Infinity]];
      for (const a of bad) expect(() => env.step(a as never), String(a)).toThrow(InvalidActionError);
      env.reset({ seed: 0 });
      for (const a of bad) expect(() => env.step(a as never), String(a)).toThrow(InvalidActionError);
    });

    it('returns a fresh float32 observation inside the observation space at every step', () => {
      const env = new cls();
      const act = sampler(env, 1);
      const r0 = env.reset({ seed: 5 });
      expect(r0.obs).toBeInstanceOf(Float32Array);
      expect(r0.obs.length).toBe(obsSize);
      expect(env.observationSpace.contains(r0.obs)).toBe(true);
      let prev = r0.obs;
      const snapshot = Array.from(prev);
      for (let t = 0; t < 50; t++) {
        const r = env.step(act());
        expect(r.obs).toBeInstanceOf(Float32Array);
        expect(r.obs).not.toBe(prev);
        expect(r.truncated).toBe(false); // the TimeLimit wrapper truncates, never the env
        expect(Number.isFinite(r.reward)).toBe(true);
        expect(r.info).toEqual({});
        if (t === 0) expect(Array.from(prev)).toEqual(snapshot); // an earlier observation is not mutated
        prev = r.obs;
        if (r.terminated) break;
      }
    });

    it('is deterministic under a seed, and reset() without a seed continues the generator', () => {
      const run = (env: Env) => {
        const act = sampler(env, 2);
        const out: number[][] = [Array.from(env.reset({ seed: 11 }).obs)];
        for (let t = 0; t < 30; t++) out.push(Array.from(env.step(act()).obs));
        out.push(Array.from(env.reset().obs));
        return out;
      };
      const a = run(new cls());
      expect(run(new cls())).toEqual(a);
      // A different seed gives a different start.
      expect(Array.from(new cls().reset({ seed: 12 }).obs)).not.toEqual(a[0]);
      // The unseeded reset continues the seeded stream rather than restarting it.
      expect(a[a.length - 1]).not.toEqual(a[0]);
    });

    it('reset({ seed }) reseeds npRandom as numpy Generator(PCG64(seed)) and draws the start state from it', () => {
      const env = new cls();
      env.reset({ seed: 9 });
      // The reset drew `resetDraws` uniforms; the env's generator continues right after them.
      const reference = npRandom(9).rng;
      for (let i = 0; i < resetDraws; i++) reference.random();
      expect(env.npRandom.random()).toBe(reference.random());
    });

    it('rejects a bad seed and unknown constructor options with ValidationError', () => {
      const env = new cls();
      expect(() => env.reset({ seed: -1 })).toThrow(ValidationError);
      expect(() => env.reset({ seed: 1.5 })).toThrow(/seed must be a non-negative integer/);
      expect(() => new cls({ render_mode: 'human' })).toThrow(/unknown option 'render_mode'/);
    });

    it('validates an assigned state', () => {
      const env = new cls() as Env & { state: ArrayLike<number> | null };
      expect(() => {
        env.state = [1];
      }).toThrow(ValidationError);
      expect(() => {
        env.state = new Array(obsSize === 6 || obsSize === 4 ? 4 : 2).fill(Number.NaN);
      }).toThrow(/must be a finite number/);
    });

    it('close() is harmless', () => {
      const env = new cls();
      env.reset({ seed: 0 });
      env.close();
    });
  },
);

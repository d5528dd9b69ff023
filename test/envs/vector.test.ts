import { describe, expect, it } from 'vitest';
import {
  CartPoleEnv,
  type Env,
  EnvStateError,
  type EpisodeRecord,
  make,
  makeVec,
  PendulumEnv,
  SyncVectorEnv,
} from '../../src/envs/index.js';
import { ValidationError } from '../../src/errors.js';
import { npRandom } from '../../src/rng/index.js';

const row = (a: Float32Array, i: number, d: number) => Array.from(a.subarray(i * d, (i + 1) * d));

describe('SyncVectorEnv', () => {
  it('seeds copy i with seed + i, as a single env reset with seed + i', () => {
    for (const id of ['CartPole-v1', 'Pendulum-v1', 'Acrobot-v1']) {
      const vec = makeVec(id, 4);
      const { obs } = vec.reset({ seed: 100 });
      expect(obs).toBe(vec.observations);
      expect(obs.length).toBe(4 * vec.obsDim);
      for (let i = 0; i < 4; i++) {
        expect(row(obs, i, vec.obsDim)).toEqual(Array.from(make(id).reset({ seed: 100 + i }).obs));
      }
    }
    // A list gives each copy its own seed.
    const vec = makeVec('CartPole-v1', 3);
    vec.reset({ seed: [7, 3, 5] });
    expect(row(vec.observations, 1, 4)).toEqual(Array.from(make('CartPole-v1').reset({ seed: 3 }).obs));
  });

  it('autoresets on the same step: final observation kept, reset observation returned', () => {
    // Reference: N single environments seeded s + i, each reset (unseeded) right after its
    // episode ends — the documented SAME_STEP semantics.
    const n = 5;
    const vec = makeVec('CartPole-v1', n, { maxEpisodeSteps: 40 });
    const singles = Array.from({ length: n }, () => make('CartPole-v1', { maxEpisodeSteps: 40 }));
    vec.reset({ seed: 10 });
    for (let i = 0; i < n; i++) singles[i].reset({ seed: 10 + i });
    const rng = npRandom(1).rng;
    const actions = new Int32Array(n);
    let ends = 0;
    let truncations = 0;
    for (let t = 0; t < 400; t++) {
      for (let i = 0; i < n; i++) actions[i] = rng.integers(2);
      const r = vec.step(actions);
      expect(r.obs).toBe(vec.observations);
      expect(r.finalObs).toBe(vec.finalObservations);
      for (let i = 0; i < n; i++) {
        const s = singles[i].step(actions[i]);
        expect(r.rewards[i]).toBe(s.reward);
        expect(r.terminated[i]).toBe(s.terminated ? 1 : 0);
        expect(r.truncated[i]).toBe(s.truncated ? 1 : 0);
        if (s.terminated || s.truncated) {
          ends++;
          if (s.truncated) truncations++;
          expect(row(r.finalObs, i, 4)).toEqual(Array.from(s.obs));
          expect(Array.from(vec.finalObservationRows[i])).toEqual(Array.from(s.obs));
          expect(r.finalInfos[i]).toBe(s.info);
          const reset = singles[i].reset();
          expect(row(r.obs, i, 4)).toEqual(Array.from(reset.obs));
          expect(Array.from(vec.observationRows[i])).toEqual(Array.from(reset.obs));
        } else {
          expect(row(r.obs, i, 4)).toEqual(Array.from(s.obs));
          expect(r.finalInfos[i]).toBeNull();
        }
      }
    }
    // Both kinds of episode end occurred and were handled.
    expect(ends).toBeGreaterThan(20);
    expect(truncations).toBeGreaterThan(0);
    expect(truncations).toBeLessThan(ends);
  });

  it('reproduces the same batched trajectories under the same seed', () => {
    const trace = (seed: number) => {
      const vec = makeVec('Acrobot-v1', 4, { maxEpisodeSteps: 25, observationNoise: 0.05 });
      const rng = npRandom(3).rng;
      const actions = new Float64Array(4);
      const out: number[] = [...vec.reset({ seed }).obs];
      for (let t = 0; t < 120; t++) {
        for (let i = 0; i < 4; i++) actions[i] = rng.integers(3);
        const r = vec.step(actions);
        out.push(...r.obs, ...r.rewards, ...r.terminated, ...r.truncated, ...r.finalObs);
      }
      return out;
    };
    expect(trace(42)).toEqual(trace(42));
    expect(trace(42)).not.toEqual(trace(43));
  });

  it('batches continuous actions given flat or nested', () => {
    const flat = makeVec('Pendulum-v1', 3);
    const nested = new SyncVectorEnv(() => new PendulumEnv(), 3);
    expect(flat.actDim).toBe(1);
    flat.reset({ seed: 0 });
    nested.reset({ seed: 0 });
    const a = new Float32Array(3);
    for (let t = 0; t < 20; t++) {
      for (let i = 0; i < 3; i++) a[i] = Math.sin(t + i) * 2;
      const rf = flat.step(a);
      const rn = nested.step([[a[0]], [a[1]], [a[2]]]);
      expect(Array.from(rf.obs)).toEqual(Array.from(rn.obs));
      expect(Array.from(rf.rewards)).toEqual(Array.from(rn.rewards));
    }
    // LunarLanderContinuous has two action elements per copy.
    const ll = makeVec('LunarLanderContinuous-v3', 2);
    expect(ll.actDim).toBe(2);
    ll.reset({ seed: 1 });
    const single = make('LunarLanderContinuous-v3');
    single.reset({ seed: 2 });
    const r = ll.step([0, 0, 0.9, -0.6]);
    expect(row(r.obs, 1, 8)).toEqual(Array.from(single.step([0.9, -0.6]).obs));
  });

  it('exposes episode statistics of finished copies through finalInfos', () => {
    const vec = makeVec('CartPole-v1', 2, { episodeStatistics: true, maxEpisodeSteps: 5 });
    vec.reset({ seed: 0 });
    let r = vec.step([0, 1]);
    for (let t = 1; t < 5; t++) r = vec.step([0, 1]);
    for (let i = 0; i < 2; i++) {
      expect(r.terminated[i] || r.truncated[i]).toBe(1);
      const ep = r.finalInfos[i]?.episode as EpisodeRecord;
      expect(ep.l).toBeLessThanOrEqual(5);
    }
  });

  it('builds copies from a factory and validates its inputs', () => {
    const built: number[] = [];
    const vec = new SyncVectorEnv((i) => {
      built.push(i);
      return new CartPoleEnv();
    }, 3);
    expect(built).toEqual([0, 1, 2]);
    expect(() => vec.step([0, 0, 0])).toThrow(EnvStateError);
    vec.reset({ seed: 0 });
    expect(() => vec.step([0, 0])).toThrow(ValidationError);
    expect(() => vec.step([0, 5, 0])).toThrow(ValidationError);
    expect(() => vec.reset({ seed: [1, 2] })).toThrow(ValidationError);
    expect(() => vec.reset({ seed: -1 })).toThrow(ValidationError);
    expect(() => new SyncVectorEnv('CartPole-v1', 0)).toThrow(ValidationError);
    expect(() => new SyncVectorEnv(() => new CartPoleEnv(), 2, { maxEpisodeSteps: 3 })).toThrow(
      ValidationError,
    );
    const mixed: Env[] = [new CartPoleEnv(), new PendulumEnv()];
    expect(() => new SyncVectorEnv((i) => mixed[i], 2)).toThrow(/different spaces/);
    vec.close();
    expect(() => vec.reset()).toThrow(EnvStateError);
  });
});

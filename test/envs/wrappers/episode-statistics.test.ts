import { describe, expect, it } from 'vitest';
import {
  CartPoleEnv,
  EMPTY_INFO,
  type EpisodeRecord,
  EpisodeStatistics,
  make,
  TimeLimit,
} from '../../../src/envs/index.js';
import { ValidationError } from '../../../src/errors.js';
import { npRandom } from '../../../src/rng/index.js';

describe('EpisodeStatistics', () => {
  it('adds info.episode {r, l, t} on the final step only, matching the rewards seen', () => {
    const env = new EpisodeStatistics(make('Pendulum-v1', { maxEpisodeSteps: 50 }));
    const started = performance.now();
    env.reset({ seed: 2 });
    let ret = 0;
    let len = 0;
    for (;;) {
      const r = env.step([Math.sin(len)]);
      ret += r.reward;
      len += 1;
      if (r.truncated) {
        const ep = r.info.episode as EpisodeRecord;
        expect(ep.r).toBe(ret);
        expect(ep.l).toBe(50);
        expect(ep.t).toBeGreaterThanOrEqual(0);
        expect(ep.t).toBeLessThanOrEqual((performance.now() - started) / 1000 + 1e-6);
        // Rounded to microseconds, as Gymnasium rounds to 6 decimals.
        expect(Math.round(ep.t * 1e6) / 1e6).toBe(ep.t);
        break;
      }
      expect(r.info.episode).toBeUndefined();
    }
    expect(len).toBe(50);
    // The shared empty info of the environments was copied, not mutated.
    expect(Object.keys(EMPTY_INFO)).toEqual([]);
  });

  it('keeps the most recent episodes in bounded queues, oldest first', () => {
    const env = new EpisodeStatistics(new TimeLimit(new CartPoleEnv(), 500), { bufferLength: 5 });
    const rng = npRandom(0).rng;
    const lengths: number[] = [];
    const returns: number[] = [];
    for (let ep = 0; ep < 8; ep++) {
      env.reset({ seed: ep });
      for (let n = 1; ; n++) {
        const r = env.step(rng.integers(2));
        if (r.terminated || r.truncated) {
          const info = r.info.episode as EpisodeRecord;
          lengths.push(info.l);
          returns.push(info.r);
          expect(info.l).toBe(n);
          break;
        }
      }
    }
    expect(env.episodeCount).toBe(8);
    expect(env.lengthQueue).toEqual(lengths.slice(-5));
    // CartPole pays 1 per step, the terminating one included.
    expect(env.returnQueue).toEqual(lengths.slice(-5));
    expect(returns).toEqual(lengths);
    expect(env.timeQueue).toHaveLength(5);
    expect(env.timeQueue.every((t) => t >= 0)).toBe(true);
  });

  it('starts each episode from zero on reset', () => {
    const env = new EpisodeStatistics(make('CartPole-v1', { maxEpisodeSteps: 3 }));
    env.reset({ seed: 0 });
    env.step(0);
    env.reset({ seed: 0 });
    env.step(0);
    env.step(1);
    const r = env.step(0);
    expect((r.info.episode as EpisodeRecord).l).toBe(3);
    expect((r.info.episode as EpisodeRecord).r).toBe(3);
  });

  it('rejects a bad buffer length', () => {
    expect(() => new EpisodeStatistics(make('CartPole-v1'), { bufferLength: 0 })).toThrow(ValidationError);
  });
});

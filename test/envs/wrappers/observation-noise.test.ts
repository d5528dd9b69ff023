import { describe, expect, it } from 'vitest';
import {
  CartPoleEnv,
  make,
  NOISE_SPAWN_KEY,
  ObservationNoise,
  PendulumEnv,
} from '../../../src/envs/index.js';
import { ValidationError } from '../../../src/errors.js';
import { Generator, SeedSequence } from '../../../src/rng/index.js';

describe('ObservationNoise', () => {
  it('draws its noise from SeedSequence(seed, spawn_key=(0x4f42534e,)), as documented', () => {
    // numpy 2.4: np.random.default_rng(SeedSequence(42, spawn_key=(0x4f42534e,))).standard_normal(4)
    const expected = [0.4825138405610935, -0.8645048368597951, 0.44030960269797975, 0.929179721113434];
    const rng = new Generator(new SeedSequence(42, [NOISE_SPAWN_KEY]));
    expect([0, 1, 2, 3].map(() => rng.standardNormal())).toEqual(expected);
    // CartPole's reset observation plus sigma times those draws, rounded to float32.
    const clean = new CartPoleEnv().reset({ seed: 42 }).obs;
    const noisy = new ObservationNoise(new CartPoleEnv(), 0.25).reset({ seed: 42 }).obs;
    expect(noisy).toBeInstanceOf(Float32Array);
    for (let i = 0; i < 4; i++) expect(noisy[i]).toBe(Math.fround(clean[i] + 0.25 * expected[i]));
  });

  it('adds zero-mean noise with standard deviation sigma, leaving the dynamics untouched', () => {
    // Pendulum never terminates; the bare env under the same seed and actions gives the clean
    // observations, so noisy − clean is the noise. 100 episodes × 200 steps × 3 elements.
    const sigma = 0.3;
    const noisy = new ObservationNoise(make('Pendulum-v1'), sigma);
    const bare = make('Pendulum-v1');
    let n = 0;
    let sum = 0;
    let sumSq = 0;
    const acc = (a: Float32Array, b: Float32Array) => {
      for (let i = 0; i < a.length; i++) {
        const d = a[i] - b[i];
        n++;
        sum += d;
        sumSq += d * d;
      }
    };
    const action = [0];
    for (let ep = 0; ep < 100; ep++) {
      acc(noisy.reset({ seed: ep }).obs, bare.reset({ seed: ep }).obs);
      for (let t = 0; t < 200; t++) {
        action[0] = Math.sin(t / 7 + ep);
        const a = noisy.step(action);
        const b = bare.step(action);
        expect(a.reward).toBe(b.reward);
        acc(a.obs, b.obs);
      }
    }
    const mean = sum / n;
    const std = Math.sqrt(sumSq / n - mean * mean);
    // n = 60300: the mean's standard error is sigma/√n ≈ 0.0012 (tolerance 5 s.e.); the
    // standard deviation's relative standard error is 1/√(2n) ≈ 0.3% (tolerance 2%).
    expect(Math.abs(mean)).toBeLessThan((5 * sigma) / Math.sqrt(n));
    expect(Math.abs(std / sigma - 1)).toBeLessThan(0.02);
  });

  it('is reproducible under a seed and continues its stream on unseeded resets', () => {
    const run = (seed: number) => {
      const env = new ObservationNoise(new PendulumEnv(), 0.1);
      const out: number[] = [...env.reset({ seed }).obs];
      for (let t = 0; t < 5; t++) out.push(...env.step([0.5]).obs);
      out.push(...env.reset().obs);
      return out;
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    // A second seeded reset restarts the same noise; an unseeded one does not.
    const env = new ObservationNoise(new CartPoleEnv(), 0.1);
    const first = [...env.reset({ seed: 3 }).obs];
    expect([...env.reset({ seed: 3 }).obs]).toEqual(first);
    const inner = new CartPoleEnv();
    inner.reset({ seed: 3 });
    const cleanNext = [...inner.reset().obs];
    const noisyNext = [...env.reset().obs];
    const z = new Generator(new SeedSequence(3, [NOISE_SPAWN_KEY]));
    for (let i = 0; i < 4; i++) z.standardNormal();
    for (let i = 0; i < 4; i++)
      expect(noisyNext[i]).toBe(Math.fround(cleanNext[i] + 0.1 * z.standardNormal()));
  });

  it('with sigma 0 returns the clean observations; rejects a bad sigma', () => {
    const a = new ObservationNoise(new CartPoleEnv(), 0).reset({ seed: 9 }).obs;
    expect([...a]).toEqual([...new CartPoleEnv().reset({ seed: 9 }).obs]);
    expect(() => new ObservationNoise(new CartPoleEnv(), -1)).toThrow(ValidationError);
    expect(() => new ObservationNoise(new CartPoleEnv(), Number.POSITIVE_INFINITY)).toThrow(ValidationError);
  });
});

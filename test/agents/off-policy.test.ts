import { describe, expect, it } from 'vitest';
import type { ReplayBuffer } from '../../src/agents/buffers.js';
import {
  gatherRows,
  type LossTerms,
  type OffPolicyAlgorithm,
  type OffPolicyLoopParameters,
  runOffPolicy,
  sampleIndices,
  seedStreams,
} from '../../src/agents/off-policy.js';
import type { TrainProgress } from '../../src/agents/types.js';
import { make, makeVec } from '../../src/envs/index.js';
import { ValidationError } from '../../src/errors.js';
import { Generator } from '../../src/rng/index.js';

/**
 * A uniformly random CartPole player that records what the loop asks of it, so the loop's
 * schedule (collection, learning_starts, train_freq, hooks) can be checked step by step.
 */
class RandomRecorder implements OffPolicyAlgorithm {
  readonly bufferActionDim = 1;
  readonly envActionDim = 1;
  readonly rng = new Generator(7);
  readonly sampledAt: number[] = [];
  readonly progress: number[] = [];
  readonly episodeEnds: number[] = [];
  readonly trains: { size: number; steps: number; progressRemaining: number }[] = [];
  /** Every environment action, in order (copy-major within a step). */
  readonly actions: number[] = [];
  replay: ReplayBuffer | null = null;

  sampleActions(_obs: Float32Array, t: number, envActions: Float64Array, bufferActions: Float32Array): void {
    this.sampledAt.push(t);
    for (let i = 0; i < envActions.length; i++) {
      const a = this.rng.integers(2);
      envActions[i] = a;
      bufferActions[i] = a;
      this.actions.push(a);
    }
  }

  onStep(progressRemaining: number): void {
    this.progress.push(progressRemaining);
  }

  onEpisodeEnd(envIndex: number): void {
    this.episodeEnds.push(envIndex);
  }

  train(replay: ReplayBuffer, steps: number, progressRemaining: number): LossTerms {
    this.replay = replay;
    this.trains.push({ size: replay.size, steps, progressRemaining });
    return { loss: this.trains.length, extra: 2 };
  }
}

function loopParams(over: Partial<OffPolicyLoopParameters> = {}): OffPolicyLoopParameters {
  return {
    n_envs: 2,
    buffer_size: 1000,
    batch_size: 4,
    learning_starts: 30,
    train_freq: 5,
    gradient_steps: 3,
    ...over,
  };
}

describe('runOffPolicy schedule', () => {
  it('collects train_freq vectorised steps, then trains only once past learning_starts (SB3 order)', () => {
    const algo = new RandomRecorder();
    const hp = loopParams();
    const progress: TrainProgress[] = [];
    const run = runOffPolicy(
      algo,
      hp,
      {
        envId: 'CartPole-v1',
        totalTimesteps: 101,
        seed: 3,
        progressEvery: 20,
        onProgress: (p) => progress.push(p),
      },
      makeVec('CartPole-v1', hp.n_envs),
    );
    // Each phase is 5 steps × 2 copies = 10 transitions; phases run while t < 101, so the
    // last one ends at 110 (SB3 does not cut a collection phase at the budget).
    expect(run.timesteps).toBe(110);
    expect(algo.sampledAt).toEqual(Array.from({ length: 55 }, (_, s) => 2 * s));
    // Training after the phases ending at 40, 50, …, 110 (t > learning_starts = 30).
    expect(algo.trains.map((t) => t.size)).toEqual([40, 50, 60, 70, 80, 90, 100, 110]);
    expect(algo.trains.every((t) => t.steps === 3)).toBe(true);
    expect(algo.trains.map((t) => t.progressRemaining)).toEqual(
      [40, 50, 60, 70, 80, 90, 100, 110].map((t) => Math.max(0, 1 - t / 101)),
    );
    expect(run.losses.map((l) => l.timestep)).toEqual([40, 50, 60, 70, 80, 90, 100, 110]);
    expect(run.losses[0]).toEqual({ timestep: 40, loss: 1, extra: 2 });
    // _on_step after every vectorised step, with progress remaining clamped at 0.
    expect(algo.progress).toHaveLength(55);
    expect(algo.progress[0]).toBeCloseTo(1 - 2 / 101, 15);
    expect(algo.progress.at(-1)).toBe(0);
    // CartPole pays 1 per step, so every episode's return equals its length.
    expect(run.episodes).toBe(run.learningCurve.length);
    expect(algo.episodeEnds).toHaveLength(run.episodes);
    for (const p of run.learningCurve) expect(p.episode_return).toBe(p.episode_length);
    expect(run.learningCurve.reduce((s, p) => s + p.episode_length, 0)).toBeLessThanOrEqual(110);
    // Progress about every 20 timesteps and once at the end.
    expect(progress.map((p) => p.timesteps)).toEqual([20, 40, 60, 80, 100, 110]);
    expect(progress.at(-1)?.episodes).toBe(run.episodes);
    expect(progress.every((p) => p.totalTimesteps === 101)).toBe(true);
  });

  it('stores (s, a, r, s′, terminated) with the final observation of finished episodes', () => {
    const algo = new RandomRecorder();
    const hp = loopParams({ n_envs: 1, learning_starts: 0, train_freq: 60 });
    const envOptions = { maxEpisodeSteps: 7 };
    const run = runOffPolicy(
      algo,
      hp,
      { envId: 'CartPole-v1', totalTimesteps: 60, seed: 11, envOptions },
      makeVec('CartPole-v1', 1, envOptions),
    );
    expect(run.timesteps).toBe(60);
    const replay = algo.replay!;
    expect(replay.size).toBe(60);
    // Replay the same actions in a single environment: same seed, reset without a seed after
    // each episode (the vector env's autoreset continues the copy's stream).
    const env = make('CartPole-v1', envOptions);
    let obs = env.reset({ seed: 11 }).obs;
    let truncations = 0;
    let terminations = 0;
    for (let t = 0; t < 60; t++) {
      expect(Array.from(replay.obs.subarray(4 * t, 4 * t + 4))).toEqual(Array.from(obs));
      expect(replay.actions[t]).toBe(algo.actions[t]);
      const r = env.step(algo.actions[t]);
      expect(Array.from(replay.nextObs.subarray(4 * t, 4 * t + 4))).toEqual(Array.from(r.obs));
      expect(replay.rewards[t]).toBe(r.reward);
      // done = terminated only: a time-limit truncation still bootstraps.
      expect(replay.dones[t]).toBe(r.terminated ? 1 : 0);
      if (r.truncated && !r.terminated) truncations++;
      if (r.terminated) terminations++;
      obs = r.terminated || r.truncated ? env.reset().obs : r.obs;
    }
    expect(truncations).toBeGreaterThan(0);
    expect(run.episodes).toBe(truncations + terminations);
  });

  it('stops between phases when shouldStop says so, keeping what was collected', () => {
    const algo = new RandomRecorder();
    let asked = 0;
    const run = runOffPolicy(
      algo,
      loopParams({ learning_starts: 0 }),
      {
        envId: 'CartPole-v1',
        totalTimesteps: 1000,
        seed: 0,
        shouldStop: () => {
          asked++;
          return asked >= 2;
        },
      },
      makeVec('CartPole-v1', 2),
    );
    // First check (before the first update) says go on, the second (after it) stops.
    expect(run.timesteps).toBe(10);
    expect(algo.trains).toHaveLength(1);
  });

  it('rejects a non-positive budget naming the field', () => {
    const env = makeVec('CartPole-v1', 1);
    expect(() =>
      runOffPolicy(
        new RandomRecorder(),
        loopParams(),
        { envId: 'CartPole-v1', totalTimesteps: 0, seed: 0 },
        env,
      ),
    ).toThrow(/totalTimesteps/);
  });
});

describe('replay sampling helpers', () => {
  it('sampleIndices draws uniformly from [0, size) and is reproducible', () => {
    const a = new Int32Array(2000);
    const b = new Int32Array(2000);
    sampleIndices(new Generator(5), 37, a, 2000);
    sampleIndices(new Generator(5), 37, b, 2000);
    expect(a).toEqual(b);
    const counts = new Array(37).fill(0);
    for (const i of a) counts[i]++;
    expect(Math.min(...a)).toBe(0);
    expect(Math.max(...a)).toBe(36);
    // 2000/37 ≈ 54 per value; a count outside [20, 100] would be a > 5σ event.
    expect(Math.min(...counts)).toBeGreaterThan(20);
    expect(Math.max(...counts)).toBeLessThan(100);
  });

  it('gatherRows writes row idx[b] at b·stride + offset', () => {
    const src = Float32Array.from([0, 1, 10, 11, 20, 21]);
    const dst = new Float32Array(6).fill(-1);
    gatherRows(src, 2, Int32Array.from([2, 0]), 2, dst, 3, 1);
    expect(Array.from(dst)).toEqual([-1, 20, 21, -1, 0, 1]);
  });

  it('seedStreams gives the same children for a seed and rejects bad seeds', () => {
    const x = seedStreams(9).map((g) => g.random());
    const y = seedStreams(9).map((g) => g.random());
    expect(x).toEqual(y);
    expect(new Set(x).size).toBe(4);
    expect(() => seedStreams(-1)).toThrow(ValidationError);
    expect(() => seedStreams(1.5)).toThrow(/seed/);
  });
});

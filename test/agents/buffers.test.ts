import { describe, expect, it } from 'vitest';
import { permutation, ReplayBuffer, RolloutBuffer } from '../../src/agents/buffers.js';
import { gatherRows, sampleIndices } from '../../src/agents/off-policy.js';
import { Generator } from '../../src/rng/index.js';

describe('RolloutBuffer GAE', () => {
  it('matches the forward-sum definition A_t = Σ_l (γλ)^l δ_{t+l}, cut at episode ends', () => {
    const nSteps = 7;
    const nEnvs = 2;
    const gamma = 0.9;
    const lambda = 0.8;
    const buf = new RolloutBuffer(nSteps, nEnvs, 1, 1);
    const rng = new Generator(3);
    const rewards: number[][] = [];
    const values: number[][] = [];
    // episode starts: env 0 restarts at step 3; env 1 at steps 2 and 5
    const starts = [
      [1, 1],
      [0, 0],
      [0, 1],
      [1, 0],
      [0, 0],
      [0, 1],
      [0, 0],
    ];
    for (let t = 0; t < nSteps; t++) {
      const r = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
      const v = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
      rewards.push(r);
      values.push(v);
      buf.add(new Float32Array([t, t]), [0, 0], r, starts[t], v, [0, 0]);
    }
    const lastValues = [0.5, -0.25];
    const lastDones = [0, 1];
    buf.computeReturnsAndAdvantage(lastValues, lastDones, gamma, lambda);

    for (let e = 0; e < nEnvs; e++) {
      // done after step t ⇔ the next observation starts a new episode (or lastDones for t = T-1)
      const doneAfter = (t: number) => (t === nSteps - 1 ? lastDones[e] : starts[t + 1][e]) === 1;
      const nextV = (t: number) => (t === nSteps - 1 ? lastValues[e] : values[t + 1][e]);
      const delta = (t: number) => rewards[t][e] + (doneAfter(t) ? 0 : gamma * nextV(t)) - values[t][e];
      for (let t = 0; t < nSteps; t++) {
        let adv = 0;
        let w = 1;
        for (let l = t; l < nSteps; l++) {
          adv += w * delta(l);
          if (doneAfter(l)) break;
          w *= gamma * lambda;
        }
        expect(buf.advantages[t * nEnvs + e]).toBeCloseTo(adv, 12);
        expect(buf.returns[t * nEnvs + e]).toBeCloseTo(adv + values[t][e], 12);
      }
    }
  });

  it('refuses to overfill', () => {
    const buf = new RolloutBuffer(1, 1, 1, 1);
    buf.add(new Float32Array([0]), [0], [0], [1], [0], [0]);
    expect(buf.full).toBe(true);
    expect(() => buf.add(new Float32Array([0]), [0], [0], [1], [0], [0])).toThrow(/full/);
  });
});

describe('permutation', () => {
  it('is a seeded permutation of 0..n-1', () => {
    const a = permutation(new Int32Array(50), 50, new Generator(1));
    const b = permutation(new Int32Array(50), 50, new Generator(1));
    expect([...a]).toEqual([...b]);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...a]).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('ReplayBuffer', () => {
  it('wraps around at capacity; minibatches drawn from it hold only stored transitions', () => {
    const rb = new ReplayBuffer(4, 2, 1);
    for (let i = 0; i < 6; i++) {
      rb.add(new Float32Array([i, -i]), 0, new Float32Array([i + 1, -i - 1]), 0, [i % 2], 0, i * 10, i === 5);
    }
    expect(rb.size).toBe(4);
    const batch = 64;
    const idx = new Int32Array(batch);
    sampleIndices(new Generator(0), rb.size, idx, batch);
    const obs = new Float32Array(batch * 2);
    const nextObs = new Float32Array(batch * 2);
    const actions = new Float32Array(batch);
    gatherRows(rb.obs, 2, idx, batch, obs, 2, 0);
    gatherRows(rb.nextObs, 2, idx, batch, nextObs, 2, 0);
    gatherRows(rb.actions, 1, idx, batch, actions, 1, 0);
    const seen = new Set<number>();
    for (let b = 0; b < batch; b++) {
      const o = obs[b * 2];
      seen.add(o);
      expect(obs[b * 2 + 1]).toBe(-o);
      expect(nextObs[b * 2]).toBe(o + 1);
      expect(rb.rewards[idx[b]]).toBe(o * 10);
      expect(actions[b]).toBe(o % 2);
      expect(rb.dones[idx[b]]).toBe(o === 5 ? 1 : 0);
    }
    // transitions 0 and 1 were overwritten by 4 and 5
    expect([...seen].sort()).toEqual([2, 3, 4, 5]);
  });
});

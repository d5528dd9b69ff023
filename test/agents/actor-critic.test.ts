import { describe, expect, it } from 'vitest';
import { ActorCriticPolicy, type PolicyActionSpec } from '../../src/agents/actor-critic.js';
import { resolveHyperparameters } from '../../src/agents/hyperparameters.js';
import { PpoAgent } from '../../src/agents/ppo.js';
import type { AgentSpaces } from '../../src/agents/types.js';
import { type ActionSpace, Box, Discrete } from '../../src/envs/index.js';
import { ValidationError } from '../../src/errors.js';
import { readSafetensors, writeSafetensors } from '../../src/nn/safetensors.js';
import type { StateDict } from '../../src/nn/state-dict.js';
import { Generator } from '../../src/rng/index.js';
import { expectFiniteDifferences } from './helpers.js';

const cartPoleSpaces = (): AgentSpaces => ({
  observationSpace: new Box(-10, 10, [4]),
  actionSpace: new Discrete(2),
});

const boxSpaces = (): AgentSpaces => ({
  observationSpace: new Box(-10, 10, [3]),
  actionSpace: new Box([-1, -2], [1, 2]),
});

function tensor(shape: number[], values: number[]): { shape: number[]; data: Float32Array } {
  return { shape, data: Float32Array.from(values) };
}

/**
 * A hand-written SB3 PPO state dict for obs 4 → hidden [2] → Discrete 2:
 *   h_pi = tanh(obs0, obs1)            (policy_net.0 picks the first two inputs)
 *   logits = (h_pi0 − h_pi1, 0.5)      (action_net)
 *   h_vf = tanh(obs2, obs3)            (value_net.0 picks the last two inputs)
 *   V = 2·h_vf0 − h_vf1 + 0.5          (value_net)
 */
function handDiscreteStateDict(): StateDict {
  return new Map([
    ['mlp_extractor.policy_net.0.weight', tensor([2, 4], [1, 0, 0, 0, 0, 1, 0, 0])],
    ['mlp_extractor.policy_net.0.bias', tensor([2], [0, 0])],
    ['mlp_extractor.value_net.0.weight', tensor([2, 4], [0, 0, 1, 0, 0, 0, 0, 1])],
    ['mlp_extractor.value_net.0.bias', tensor([2], [0, 0])],
    ['action_net.weight', tensor([2, 2], [1, -1, 0, 0])],
    ['action_net.bias', tensor([2], [0, 0.5])],
    ['value_net.weight', tensor([1, 2], [2, -1])],
    ['value_net.bias', tensor([1], [0.5])],
  ]);
}

describe('ActorCriticPolicy construction', () => {
  it('initialises as SB3 ortho_init: W·Wᵀ or Wᵀ·W = gain²·I (√2, 0.01, 1), zero biases, log_std 0', () => {
    const policy = new ActorCriticPolicy({
      obsDim: 3,
      action: { kind: 'box', dim: 2 },
      netArch: [8, 8],
      activation: 'tanh',
      initRng: new Generator(0),
    });
    const check = (name: string, gain: number) => {
      const p = policy.parameters.find((q) => q.name === name)!;
      const [rows, cols] = p.shape;
      const w = p.data;
      // The smaller Gram matrix of an orthogonal-initialised [rows, cols] weight is gain²·I.
      const byRows = rows <= cols;
      const n = byRows ? rows : cols;
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) {
          let s = 0;
          for (let k = 0; k < (byRows ? cols : rows); k++) {
            s += byRows ? w[a * cols + k] * w[b * cols + k] : w[k * cols + a] * w[k * cols + b];
          }
          expect(s).toBeCloseTo(a === b ? gain * gain : 0, 5);
        }
      }
      const bias = policy.parameters.find((q) => q.name === name.replace('weight', 'bias'))!;
      expect([...bias.data].every((v) => v === 0)).toBe(true);
    };
    check('mlp_extractor.policy_net.0.weight', Math.SQRT2);
    check('mlp_extractor.policy_net.2.weight', Math.SQRT2);
    check('mlp_extractor.value_net.0.weight', Math.SQRT2);
    check('mlp_extractor.value_net.2.weight', Math.SQRT2);
    check('action_net.weight', 0.01);
    check('value_net.weight', 1);
    expect([...policy.logStd!.data]).toEqual([0, 0]);
  });

  it("lists parameters in SB3's order with SB3's names", () => {
    const policy = new ActorCriticPolicy({
      obsDim: 3,
      action: { kind: 'box', dim: 2 },
      netArch: [5],
      activation: 'tanh',
    });
    expect(policy.parameters.map((p) => p.name)).toEqual([
      'log_std',
      'mlp_extractor.policy_net.0.weight',
      'mlp_extractor.policy_net.0.bias',
      'mlp_extractor.value_net.0.weight',
      'mlp_extractor.value_net.0.bias',
      'action_net.weight',
      'action_net.bias',
      'value_net.weight',
      'value_net.bias',
    ]);
    expect([...policy.stateDict('ppo').keys()]).toEqual(policy.parameters.map((p) => p.name));
  });
});

describe('PpoAgent on a hand-written SB3 state dict', () => {
  const hp = resolveHyperparameters('ppo', { net_arch: [2] });

  it('takes the actions and values the formulas give', () => {
    const agent = new PpoAgent(hp, cartPoleSpaces(), { stateDict: handDiscreteStateDict() });
    const cases: [number[], number][] = [
      // logit0 = tanh(o0) − tanh(o1) vs logit1 = 0.5
      [[1, 0, 0, 0], 0], // tanh(1) = 0.7616 > 0.5
      [[0.5, 0, 0, 0], 1], // tanh(0.5) = 0.4621 < 0.5
      [[2, 1, 0, 0], 1], // 0.9640 − 0.7616 = 0.2024 < 0.5
      [[3, -0.5, 0, 0], 0], // 0.9951 + 0.4621 = 1.4572 > 0.5
    ];
    for (const [obs, expected] of cases) {
      expect(agent.act(Float32Array.from(obs), { deterministic: true })).toBe(expected);
    }
    const obs = Float32Array.from([0, 0, 0.3, -1.2]);
    const v = new Float64Array(1);
    agent.policy.predictValues(obs, 1, v);
    expect(v[0]).toBeCloseTo(2 * Math.tanh(0.3) - Math.tanh(-1.2) + 0.5, 6);
    // obs0 = obs1 = 0, so the logits are (0, 0.5) and log π(1|s) = 0.5 − log(1 + e^0.5).
    const logp = agent.policy.logProbOf(obs, Float32Array.of(1));
    expect(logp).toBeCloseTo(0.5 - Math.log(1 + Math.exp(0.5)), 6);
  });

  it('samples actions with the softmax probabilities', () => {
    const agent = new PpoAgent(hp, cartPoleSpaces(), { stateDict: handDiscreteStateDict() });
    const obs = Float32Array.from([1, 0, 0, 0]); // logits (tanh 1, 0.5)
    const p0 = 1 / (1 + Math.exp(0.5 - Math.tanh(1)));
    const rng = new Generator(11);
    const n = 4000;
    let zeros = 0;
    for (let i = 0; i < n; i++) if (agent.act(obs, { deterministic: false, rng }) === 0) zeros++;
    // Binomial(4000, 0.565): standard deviation 0.0078; 4 sigma.
    expect(Math.abs(zeros / n - p0)).toBeLessThan(0.032);
  });

  it('Box: the mean clipped to the bounds when deterministic; samples clipped, spread by exp(log_std)', () => {
    const sd: StateDict = new Map([
      ['log_std', tensor([2], [Math.log(3), -20])],
      ['mlp_extractor.policy_net.0.weight', tensor([1, 3], [1, 0, 0])],
      ['mlp_extractor.policy_net.0.bias', tensor([1], [0])],
      ['mlp_extractor.value_net.0.weight', tensor([1, 3], [0, 1, 0])],
      ['mlp_extractor.value_net.0.bias', tensor([1], [0])],
      // mean = (0.5·h, 10·h) with h = tanh(obs0)
      ['action_net.weight', tensor([2, 1], [0.5, 10])],
      ['action_net.bias', tensor([2], [0, 0])],
      ['value_net.weight', tensor([1, 1], [1])],
      ['value_net.bias', tensor([1], [0])],
    ]);
    const agent = new PpoAgent(resolveHyperparameters('ppo', { net_arch: [1] }), boxSpaces(), {
      stateDict: sd,
    });
    const obs = Float32Array.from([0.4, 0, 0]);
    const h = Math.tanh(0.4);
    const a = agent.act(obs, { deterministic: true }) as Float32Array;
    expect(a).toBeInstanceOf(Float32Array);
    expect(a[0]).toBeCloseTo(0.5 * h, 6);
    expect(a[1]).toBe(2); // 10·0.38 = 3.8 clipped to the upper bound 2
    const rng = new Generator(5);
    let clippedLow = 0;
    for (let i = 0; i < 500; i++) {
      const s = agent.act(obs, { deterministic: false, rng }) as Float32Array;
      expect(s[0]).toBeGreaterThanOrEqual(-1);
      expect(s[0]).toBeLessThanOrEqual(1);
      expect(s[1]).toBe(2); // std e^-20: the sample is the mean, clipped
      if (s[0] === -1) clippedLow++;
    }
    // P(0.19 + 3·N < −1) = Φ(−0.397) ≈ 0.35 of 500 draws.
    expect(clippedLow).toBeGreaterThan(120);
    expect(clippedLow).toBeLessThan(230);
  });

  it('rejects a state dict of the wrong shape, naming the tensor and both shapes', () => {
    const sd = handDiscreteStateDict();
    sd.set('action_net.weight', tensor([3, 2], [1, 2, 3, 4, 5, 6]));
    const agent = new PpoAgent(hp, cartPoleSpaces(), { seed: 0 });
    const before = agent.stateDict();
    let message = '';
    try {
      agent.loadStateDict(sd);
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      message = (err as Error).message;
    }
    expect(message).toContain('"action_net.weight" has shape [3, 2], expected [2, 2]');
    // Nothing was replaced.
    expect(agent.stateDict()).toEqual(before);
    // A Box policy's dict without log_std is missing a tensor.
    expect(() => new PpoAgent(hp, boxSpaces(), { stateDict: handDiscreteStateDict() })).toThrow(/log_std/);
  });
});

describe('PpoAgent acting and state dict', () => {
  const hp = resolveHyperparameters('ppo', { net_arch: [16, 16] });

  it('act / actBatch: shapes, bounds, determinism', () => {
    const agent = new PpoAgent(hp, cartPoleSpaces(), { seed: 1 });
    const rng = new Generator(2);
    const batch = 6;
    const obs = new Float32Array(batch * 4).map(() => rng.uniform(-1, 1));
    const out = new Float32Array(batch);
    agent.actBatch(obs, batch, out, { deterministic: true });
    for (let b = 0; b < batch; b++) {
      expect([0, 1]).toContain(out[b]);
      expect(agent.act(obs.subarray(4 * b, 4 * b + 4))).toBe(out[b]);
    }
    const box = new PpoAgent(hp, boxSpaces(), { seed: 1 });
    box.policy.logStd!.data.fill(3); // wide: most samples leave the bounds
    const bobs = new Float32Array(batch * 3).map(() => rng.uniform(-1, 1));
    const bout = new Float32Array(batch * 2);
    for (let rep = 0; rep < 20; rep++) {
      box.actBatch(bobs, batch, bout, { deterministic: false });
      for (let b = 0; b < batch; b++) {
        expect(Math.abs(bout[2 * b])).toBeLessThanOrEqual(1);
        expect(Math.abs(bout[2 * b + 1])).toBeLessThanOrEqual(2);
      }
    }
    expect(() => agent.act(new Float32Array(3))).toThrow(ValidationError);
    expect(() => agent.actBatch(obs, batch, new Float32Array(2))).toThrow(ValidationError);
  });

  it('state dict round trip (also through safetensors) gives identical actions', () => {
    for (const spaces of [cartPoleSpaces(), boxSpaces()]) {
      const a = new PpoAgent(hp, spaces, { seed: 7 });
      const b = new PpoAgent(hp, spaces, { seed: 8 });
      const c = new PpoAgent(hp, spaces, { seed: 9 });
      b.loadStateDict(a.stateDict());
      c.loadStateDict(readSafetensors(writeSafetensors(a.stateDict())));
      const dim = spaces.observationSpace.size;
      const actDim = spaces.actionSpace instanceof Discrete ? 1 : spaces.actionSpace.size;
      const rng = new Generator(3);
      const batch = 32;
      const obs = new Float32Array(batch * dim).map(() => rng.uniform(-2, 2));
      const outs = [a, b, c].map((agent) => {
        const det = new Float32Array(batch * actDim);
        agent.actBatch(obs, batch, det);
        const sto = new Float32Array(batch * actDim);
        agent.actBatch(obs, batch, sto, { deterministic: false, rng: new Generator(4) });
        return [det, sto];
      });
      expect(outs[1]).toEqual(outs[0]);
      expect(outs[2]).toEqual(outs[0]);
      expect(b.stateDict()).toEqual(a.stateDict());
    }
  });

  it('same seed, same initial weights; different seed, different weights', () => {
    const w = (seed: number) => new PpoAgent(hp, cartPoleSpaces(), { seed }).stateDict();
    expect(w(5)).toEqual(w(5));
    expect(w(5).get('mlp_extractor.policy_net.0.weight')).not.toEqual(
      w(6).get('mlp_extractor.policy_net.0.weight'),
    );
  });

  it('rejects spaces it cannot handle, naming the agent type and the space', () => {
    const odd = { n: 3, toString: () => 'MultiBinary(3)' } as unknown as ActionSpace;
    expect(() => new PpoAgent(hp, { observationSpace: new Box(-1, 1, [2]), actionSpace: odd })).toThrow(
      /ppo handles Discrete and Box action spaces, got MultiBinary\(3\)/,
    );
  });
});

/**
 * Finite-difference check of `backward`: for L = Σ_b gL[b]·log π(a_b|s_b) + gH·Σ_b H_b +
 * Σ_b gV[b]·V(s_b), the accumulated gradient of every parameter equals the central difference
 * of L. Networks are float32, so the step is 3e-3; the worst
 * relative error measured is 7e-5, the tolerance 5e-4.
 */
function checkPolicyGradient(action: PolicyActionSpec): void {
  const rng = new Generator(21);
  const obsDim = 3;
  const policy = new ActorCriticPolicy({
    obsDim,
    action,
    netArch: [5, 4],
    activation: 'tanh',
    initRng: rng,
  });
  // Larger heads than SB3's 0.01 gain, so that every term carries signal.
  for (const p of policy.parameters) for (let k = 0; k < p.size; k++) p.data[k] += 0.3 * rng.standardNormal();
  const batch = 7;
  const obs = new Float32Array(batch * obsDim).map(() => rng.uniform(-1.5, 1.5));
  const actDim = action.kind === 'discrete' ? 1 : action.dim;
  const actions = new Float32Array(batch * actDim).map(() =>
    action.kind === 'discrete' ? rng.integers(0, action.n) : rng.normal(0, 1.2),
  );
  const gL = Float64Array.from({ length: batch }, () => rng.uniform(-1, 1));
  const gV = Float64Array.from({ length: batch }, () => rng.uniform(-1, 1));
  const gH = -0.37;
  const objective = () => {
    policy.evaluateActions(obs, actions, batch);
    let l = 0;
    for (let b = 0; b < batch; b++) {
      l += gL[b] * policy.logProb[b] + gH * policy.entropy[b] + gV[b] * policy.values[b];
    }
    return l;
  };
  objective();
  policy.zeroGrad();
  policy.backward(actions, gL, gH, gV, batch);
  const analytic = policy.parameters.map((p) => Float64Array.from(p.grad));
  expectFiniteDifferences(policy.parameters, analytic, objective);
}

describe('ActorCriticPolicy.backward', () => {
  it('matches finite differences (Categorical head)', () => {
    checkPolicyGradient({ kind: 'discrete', n: 3 });
  });

  it('matches finite differences (diagonal Gaussian head with log_std)', () => {
    checkPolicyGradient({ kind: 'box', dim: 2 });
  });
});

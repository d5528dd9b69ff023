import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../src/agents/buffers.js';
import { DqnAgent, DqnLearner, explorationSchedule, trainDqn } from '../../src/agents/dqn.js';
import { type DqnHyperparameters, resolveHyperparameters } from '../../src/agents/hyperparameters.js';
import type { AgentSpaces } from '../../src/agents/types.js';
import { describeEnv } from '../../src/envs/index.js';
import { ValidationError } from '../../src/errors.js';
import { readSafetensors, writeSafetensors } from '../../src/nn/safetensors.js';
import type { StateDict } from '../../src/nn/state-dict.js';
import { Generator } from '../../src/rng/index.js';
import { expectCloseStateDict, meanReturn, readSb3UpdateFixture, sb3FixtureReplay } from './helpers.js';

const cartPole: AgentSpaces = describeEnv('CartPole-v1');
const pendulum: AgentSpaces = describeEnv('Pendulum-v1');

function hp(over: Record<string, unknown> = {}): DqnHyperparameters {
  return resolveHyperparameters('dqn', { net_arch: [16, 16], ...over });
}

function randomObs(rng: Generator, n: number): Float32Array {
  const x = new Float32Array(n * 4);
  for (let i = 0; i < x.length; i++) x[i] = rng.standardNormal();
  return x;
}

function sameStateDict(a: StateDict, b: StateDict): boolean {
  if ([...a.keys()].join() !== [...b.keys()].join()) return false;
  for (const [k, t] of a) {
    const u = b.get(k)!;
    if (t.shape.join() !== u.shape.join()) return false;
    if (
      !Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(
        Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength),
      )
    )
      return false;
  }
  return true;
}

/**
 * The SB3 layout of a 4 → 2 → 2 Q-network written by hand: h = relu([x0, x2]),
 * Q = [h0 − h1, h1 − h0], so the greedy action is 1 exactly when relu(x2) > relu(x0).
 */
function handStateDict(): StateDict {
  return new Map([
    ['q_net.q_net.0.weight', { shape: [2, 4], data: Float32Array.from([1, 0, 0, 0, 0, 0, 1, 0]) }],
    ['q_net.q_net.0.bias', { shape: [2], data: Float32Array.from([0, 0]) }],
    ['q_net.q_net.2.weight', { shape: [2, 2], data: Float32Array.from([1, -1, -1, 1]) }],
    ['q_net.q_net.2.bias', { shape: [2], data: Float32Array.from([0, 0]) }],
  ]);
}

describe('DqnAgent', () => {
  it('refuses a Box action space, naming agent_type and the space', () => {
    const make = () => new DqnAgent(hp(), pendulum, { seed: 0 });
    expect(make).toThrow(ValidationError);
    expect(make).toThrow(/agent_type dqn .*Box\(-2, 2, \(1,\), float32\).*Discrete/);
    try {
      make();
    } catch (err) {
      expect((err as ValidationError).details).toMatchObject({ field: 'agent_type', agent_type: 'dqn' });
    }
    expect(() => trainDqn(hp(), { envId: 'Pendulum-v1', totalTimesteps: 100, seed: 0 })).toThrow(
      /of Pendulum-v1/,
    );
  });

  it('acts with integers in the action space; actBatch agrees row by row', () => {
    const agent = new DqnAgent(hp(), cartPole, { seed: 1 });
    const rng = new Generator(2);
    const obs = randomObs(rng, 32);
    const out = new Float32Array(32);
    agent.actBatch(obs, 32, out);
    for (let b = 0; b < 32; b++) {
      const a = agent.act(obs.subarray(4 * b, 4 * b + 4));
      expect(Number.isInteger(a) && a >= 0 && a < 2).toBe(true);
      expect(out[b]).toBe(a);
    }
    expect(() => agent.act(new Float32Array(3))).toThrow(/obs/);
  });

  it('stochastic acting is ε-greedy with the current exploration rate', () => {
    const agent = new DqnAgent(hp(), cartPole, { seed: 1 });
    const obs = randomObs(new Generator(3), 1);
    const greedy = agent.act(obs);
    // ε = 0: always greedy.
    agent.explorationRate = 0;
    for (let i = 0; i < 50; i++) expect(agent.act(obs, { deterministic: false })).toBe(greedy);
    // ε = 1: uniform over both actions (P(only one action in 200 draws) = 2^-199).
    agent.explorationRate = 1;
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(agent.act(obs, { deterministic: false }));
    expect(seen).toEqual(new Set([0, 1]));
    // Deterministic ignores ε.
    for (let i = 0; i < 50; i++) expect(agent.act(obs)).toBe(greedy);
    // A given generator makes it reproducible.
    const draws = (seed: number) => {
      const r = new Generator(seed);
      return Array.from({ length: 20 }, () => agent.act(obs, { deterministic: false, rng: r }));
    };
    expect(draws(4)).toEqual(draws(4));
  });

  it('evaluates a hand-written SB3 state dict to the expected Q-values and actions', () => {
    const agent = new DqnAgent(hp({ net_arch: [2] }), cartPole, { seed: 0, stateDict: handStateDict() });
    const cases: [number[], number[], number][] = [
      // obs, Q = [h0 − h1, h1 − h0] with h = relu([x0, x2]), greedy action
      [[0.5, 9, 0.25, -9], [0.25, -0.25], 0],
      [[0.125, 0, 0.5, 0], [-0.375, 0.375], 1],
      [[-1, 3, 0.5, 3], [-0.5, 0.5], 1],
      // a tie (both zero) goes to the first action, as torch.argmax
      [[-1, 0, -2, 0], [0, 0], 0],
    ];
    for (const [obs, q, action] of cases) {
      const x = Float32Array.from(obs);
      expect(Array.from(agent.qNet.predict(x, 1))).toEqual(q);
      expect(agent.act(x)).toBe(action);
    }
    // The absent target network is a copy of the online one (SB3's construction).
    const sd = agent.stateDict();
    expect(Array.from(sd.get('q_net_target.q_net.2.weight')!.data)).toEqual([1, -1, -1, 1]);
    expect([...sd.keys()]).toEqual([
      'q_net.q_net.0.weight',
      'q_net.q_net.0.bias',
      'q_net.q_net.2.weight',
      'q_net.q_net.2.bias',
      'q_net_target.q_net.0.weight',
      'q_net_target.q_net.0.bias',
      'q_net_target.q_net.2.weight',
      'q_net_target.q_net.2.bias',
    ]);
  });

  it('rejects a state dict that does not fit, naming the tensor and both shapes', () => {
    const agent = new DqnAgent(hp({ net_arch: [2] }), cartPole, { seed: 0 });
    const bad = handStateDict();
    bad.set('q_net.q_net.0.weight', { shape: [3, 4], data: new Float32Array(12) });
    expect(() => agent.loadStateDict(bad)).toThrow(
      /"q_net\.q_net\.0\.weight" has shape \[3, 4\], expected \[2, 4\]/,
    );
    const missing = handStateDict();
    missing.delete('q_net.q_net.2.bias');
    expect(() => agent.loadStateDict(missing)).toThrow(/missing tensor "q_net\.q_net\.2\.bias"/);
  });

  it('round-trips its state dict through safetensors into a fresh agent', () => {
    const a = new DqnAgent(hp(), cartPole, { seed: 5 });
    const b = new DqnAgent(hp(), cartPole, { seed: 6 });
    const obs = randomObs(new Generator(8), 64);
    const outA = new Float32Array(64);
    const outB = new Float32Array(64);
    a.actBatch(obs, 64, outA);
    b.actBatch(obs, 64, outB);
    expect(sameStateDict(a.stateDict(), b.stateDict())).toBe(false);
    b.loadStateDict(readSafetensors(writeSafetensors(a.stateDict())));
    b.actBatch(obs, 64, outB);
    expect(outB).toEqual(outA);
    expect(sameStateDict(a.stateDict(), b.stateDict())).toBe(true);
    expect(Array.from(b.qNet.predict(obs, 64))).toEqual(Array.from(a.qNet.predict(obs, 64)));
  });
});

describe('DqnLearner', () => {
  it('decays ε as SB3 get_linear_fn', () => {
    // RL Zoo CartPole: 1 → 0.04 over the first 16% of training.
    const zoo = hp({ exploration_fraction: 0.16, exploration_final_eps: 0.04 });
    expect(explorationSchedule(zoo, 1)).toBe(1);
    expect(explorationSchedule(zoo, 0.92)).toBeCloseTo(1 + (0.08 * (0.04 - 1)) / 0.16, 12); // 0.52
    expect(explorationSchedule(zoo, 0.84)).toBeCloseTo(0.04, 12);
    expect(explorationSchedule(zoo, 0.5)).toBe(0.04);
    expect(explorationSchedule(hp({ exploration_fraction: 0 }), 1)).toBe(0.05);
    expect(explorationSchedule(hp({ epsilon: 0.2 }), 0.7)).toBe(0.2);
  });

  it('updates the target network every target_update_interval // n_envs steps, by Polyak with tau', () => {
    const agent = new DqnAgent(hp({ target_update_interval: 8, n_envs: 2, tau: 0.5 }), cartPole, { seed: 0 });
    const learner = new DqnLearner(agent, 0);
    const w = agent.qNet.weight(0).data;
    const wt = agent.qNetTarget.weight(0).data;
    const before = wt[0];
    w[0] = before + 2;
    learner.onStep(1);
    learner.onStep(1);
    learner.onStep(1);
    expect(wt[0]).toBe(before); // every 8 // 2 = 4 vectorised steps
    learner.onStep(1);
    expect(wt[0]).toBeCloseTo(before + 1, 6); // ½·old + ½·new
  });

  it('collects uniformly at random before learning_starts, then ε-greedily', () => {
    const agent = new DqnAgent(hp({ learning_starts: 100, n_envs: 4 }), cartPole, { seed: 0 });
    const learner = new DqnLearner(agent, 0);
    const obs = randomObs(new Generator(1), 4);
    const env = new Float64Array(4);
    const buf = new Float32Array(4);
    const counts = [0, 0];
    for (let i = 0; i < 100; i++) {
      learner.sampleActions(obs, 96, env, buf);
      for (const a of env) counts[a]++;
      expect(Array.from(buf)).toEqual(Array.from(env));
    }
    // 400 fair coin flips: outside [140, 260] is a > 6σ event.
    expect(counts[0]).toBeGreaterThan(140);
    expect(counts[1]).toBeGreaterThan(140);
    agent.explorationRate = 0;
    const greedy = new Float32Array(4);
    agent.actBatch(obs, 4, greedy);
    learner.sampleActions(obs, 100, env, buf);
    expect(Array.from(env)).toEqual(Array.from(greedy));
  });

  it('back-propagates the smooth-L1 TD loss exactly (finite differences)', () => {
    const agent = new DqnAgent(hp({ net_arch: [5], batch_size: 8, gamma: 0.9 }), cartPole, { seed: 3 });
    const learner = new DqnLearner(agent, 3);
    // Random transitions with rewards large enough to reach the loss's linear branch.
    const rng = new Generator(4);
    const replay = new ReplayBuffer(32, 4, 1);
    for (let i = 0; i < 32; i++) {
      const o = randomObs(rng, 2);
      replay.add(o, 0, o, 1, [rng.integers(2)], 0, 3 * rng.standardNormal(), rng.random() < 0.3);
    }
    const idx = Int32Array.from([0, 5, 9, 13, 17, 22, 26, 31]);
    learner.loadBatch(replay, idx);
    learner.lossAndGradient();
    const params = agent.qNet.params();
    const analytic = params.map((p) => Float64Array.from(p.grad));
    const h = 1e-3;
    let checked = 0;
    for (let pi = 0; pi < params.length; pi++) {
      const data = params[pi].data;
      for (let j = 0; j < data.length; j++) {
        const keep = data[j];
        data[j] = keep + h;
        const up = learner.lossAndGradient();
        data[j] = keep - h;
        const down = learner.lossAndGradient();
        data[j] = keep;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(numeric - analytic[pi][j])).toBeLessThan(2e-3 + 0.02 * Math.abs(numeric));
        checked++;
      }
    }
    expect(checked).toBe(agent.qNet.numParams);
    expect(analytic.some((g) => g.some((v) => Math.abs(v) > 1e-3))).toBe(true);
  });
});

describe('DqnLearner target cache', () => {
  it('computes each replay row’s max Q̂ once per training phase, with the same bits as without the cache', () => {
    const make = (cacheTargets: boolean) => {
      const agent = new DqnAgent(
        hp({ net_arch: [64, 64], batch_size: 32, target_update_interval: 5, learning_rate: 1e-2 }),
        cartPole,
        { seed: 11 },
      );
      const learner = new DqnLearner(agent, 11, 1, { cacheTargets });
      let rows = 0;
      const forward = agent.qNetTarget.forward.bind(agent.qNetTarget);
      agent.qNetTarget.forward = (x: Float32Array, batch: number) => {
        rows += batch;
        return forward(x, batch);
      };
      return { agent, learner, rows: () => rows };
    };
    const runs = [make(true), make(false)];
    const rng = new Generator(12);
    const replay = new ReplayBuffer(200, 4, 1);
    const addRows = (count: number) => {
      for (let i = 0; i < count; i++) {
        const o = randomObs(rng, 2);
        replay.add(o, 0, o, 1, [rng.integers(2)], 0, rng.standardNormal(), rng.random() < 0.1);
      }
    };
    addRows(40);
    for (let phase = 0; phase < 3; phase++) {
      for (const { learner } of runs) learner.train(replay, 25, 1);
      // Between phases Q̂ is replaced (a hard update every 5 steps) and the buffer grows.
      for (const { learner } of runs) for (let s = 0; s < 5; s++) learner.onStep(1);
      addRows(30);
    }
    const [cached, fresh] = runs;
    expect(sameStateDict(cached.agent.stateDict(), fresh.agent.stateDict())).toBe(true);
    expect(fresh.rows()).toBe(3 * 25 * 32);
    // 800 draws from 40-100 rows: each phase evaluates at most its buffer (plus padding).
    expect(cached.rows()).toBeLessThan(fresh.rows() / 4);
    // And training did move the weights away from where the two started.
    const start = new DqnAgent(hp({ net_arch: [64, 64], batch_size: 32 }), cartPole, { seed: 11 });
    expect(sameStateDict(cached.agent.stateDict(), start.stateDict())).toBe(false);
  });
});

describe('trainDqn', () => {
  const quick = () =>
    hp({
      learning_starts: 300,
      train_freq: 50,
      gradient_steps: 10,
      batch_size: 32,
      target_update_interval: 10,
    });

  it('is reproducible: same seed ⇒ bit-identical weights and curves; another seed differs', () => {
    const opts = { envId: 'CartPole-v1', totalTimesteps: 1500 };
    const a = trainDqn(quick(), { ...opts, seed: 4 });
    const b = trainDqn(quick(), { ...opts, seed: 4 });
    const c = trainDqn(quick(), { ...opts, seed: 5 });
    expect(sameStateDict(a.agent.stateDict(), b.agent.stateDict())).toBe(true);
    expect(a.losses).toEqual(b.losses);
    expect(a.learningCurve).toEqual(b.learningCurve);
    expect(sameStateDict(a.agent.stateDict(), c.agent.stateDict())).toBe(false);
    // 1500 steps in phases of 50; training from the phase ending at 350 (> 300).
    expect(a.timesteps).toBe(1500);
    expect(a.losses).toHaveLength(24);
    expect(a.losses.every((l) => Number.isFinite(l.loss) && l.q_loss === l.loss)).toBe(true);
    expect(a.agent.explorationRate).toBe(0.05);
  });

  it('continues from an initial state dict', () => {
    const a = trainDqn(quick(), { envId: 'CartPole-v1', totalTimesteps: 400, seed: 1 });
    const sd = a.agent.stateDict();
    const b = trainDqn(quick(), { envId: 'CartPole-v1', totalTimesteps: 50, seed: 2 }, sd);
    // Too few steps to train (learning_starts 300): the Q-network keeps the loaded weights,
    // and the target network has been copied from it (every 10 steps).
    expect(b.losses).toHaveLength(0);
    const out = b.agent.stateDict();
    for (const [name, t] of sd) {
      if (!name.startsWith('q_net.')) continue;
      expect(out.get(name)!.data).toEqual(t.data);
      expect(out.get(name.replace('q_net.', 'q_net_target.'))!.data).toEqual(t.data);
    }
  });

  it('learns CartPole at a small budget (RL Zoo settings scaled down)', () => {
    // Measured over seeds 0–5 at this budget: deterministic mean returns 117–500 over 10
    // episodes; a random policy averages about 22 and an untrained greedy one about 9.
    const settings = hp({
      learning_rate: 2.3e-3,
      batch_size: 64,
      learning_starts: 1000,
      gamma: 0.99,
      target_update_interval: 10,
      train_freq: 64,
      gradient_steps: 32,
      exploration_fraction: 0.16,
      exploration_final_eps: 0.04,
      net_arch: [64, 64],
    });
    const { agent, learningCurve } = trainDqn(settings, {
      envId: 'CartPole-v1',
      totalTimesteps: 10_000,
      seed: 0,
    });
    expect(meanReturn(agent, 'CartPole-v1', 10)).toBeGreaterThan(60);
    expect(learningCurve.length).toBeGreaterThan(10);
  });
});

describe('DqnLearner against Stable-Baselines3', () => {
  it('trains two phases with a target update between to SB3’s weights and losses (float32 rounding apart)', () => {
    // scripts/fixtures/sb3_updates.py: SB3 2.3.2's DQN.train on the same rows and indices.
    const fx = readSb3UpdateFixture('dqn');
    const settings = resolveHyperparameters('dqn', fx.hyperparameters);
    const agent = new DqnAgent(settings, cartPole, { seed: fx.seed, stateDict: fx.initial });
    const learner = new DqnLearner(agent, fx.seed, 1);
    const replay = sb3FixtureReplay(fx, settings.buffer_size);
    let before = agent.stateDict();
    for (const phase of fx.phases) {
      const { loss } = learner.train(replay, phase.gradient_steps, 1);
      learner.onStep(1); // target_update_interval 1: Q̂ ← Q, as SB3's _on_step
      expect(Math.abs(loss - phase.losses.loss)).toBeLessThan(1e-5 * phase.losses.loss);
      const ours = agent.stateDict();
      // Each step moves a weight by up to lr = 1e-3; torch sums in another order (the
      // largest difference seen is about 1e-7).
      expectCloseStateDict(ours, phase.state_dict, before, 1e-6, 1e-3);
      for (const name of phase.state_dict.keys()) {
        expect(ours.get(name.replace('q_net.', 'q_net_target.'))!.data).toEqual(ours.get(name)!.data);
      }
      before = ours;
    }
  });
});

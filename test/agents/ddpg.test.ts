import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../src/agents/buffers.js';
import { DdpgAgent, DdpgLearner, trainDdpg } from '../../src/agents/ddpg.js';
import { type DdpgHyperparameters, resolveHyperparameters } from '../../src/agents/hyperparameters.js';
import type { AgentSpaces } from '../../src/agents/types.js';
import { Box, describeEnv } from '../../src/envs/index.js';
import { ValidationError } from '../../src/errors.js';
import { readSafetensors, writeSafetensors } from '../../src/nn/safetensors.js';
import type { StateDict } from '../../src/nn/state-dict.js';
import { Generator } from '../../src/rng/index.js';
import { expectCloseStateDict, meanReturn, readSb3UpdateFixture, sb3FixtureReplay } from './helpers.js';

const pendulum: AgentSpaces = describeEnv('Pendulum-v1');
const cartPole: AgentSpaces = describeEnv('CartPole-v1');

function hp(over: Record<string, unknown> = {}): DdpgHyperparameters {
  return resolveHyperparameters('ddpg', { net_arch: [16, 16], ...over });
}

function randomObs(rng: Generator, n: number, dim = 3): Float32Array {
  const x = new Float32Array(n * dim);
  for (let i = 0; i < x.length; i++) x[i] = 2 * rng.standardNormal();
  return x;
}

function sameStateDict(a: StateDict, b: StateDict): boolean {
  if ([...a.keys()].join() !== [...b.keys()].join()) return false;
  for (const [k, t] of a) {
    const u = b.get(k)!;
    if (t.shape.join() !== u.shape.join()) return false;
    const x = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (!x.equals(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength))) return false;
  }
  return true;
}

/**
 * A hand-written SB3 TD3/DDPG state dict for Pendulum (obs [cos θ, sin θ, θ̇], one action in
 * [-2, 2]) with net_arch [1]: μ(s) = tanh(2·relu(cos θ) − 0.5), so the environment action is
 * −2 + ½(μ + 1)·4 = 2μ. The critic's values are arbitrary (acting does not use them).
 */
function handStateDict(): StateDict {
  return new Map([
    ['actor.mu.0.weight', { shape: [1, 3], data: Float32Array.from([1, 0, 0]) }],
    ['actor.mu.0.bias', { shape: [1], data: Float32Array.from([0]) }],
    ['actor.mu.2.weight', { shape: [1, 1], data: Float32Array.from([2]) }],
    ['actor.mu.2.bias', { shape: [1], data: Float32Array.from([-0.5]) }],
    ['critic.qf0.0.weight', { shape: [1, 4], data: Float32Array.from([1, 2, 3, 4]) }],
    ['critic.qf0.0.bias', { shape: [1], data: Float32Array.from([0.5]) }],
    ['critic.qf0.2.weight', { shape: [1, 1], data: Float32Array.from([-1]) }],
    ['critic.qf0.2.bias', { shape: [1], data: Float32Array.from([0]) }],
  ]);
}

describe('DdpgAgent', () => {
  it('refuses a Discrete action space and an unbounded Box, naming agent_type and the space', () => {
    const discrete = () => new DdpgAgent(hp(), cartPole, { seed: 0 });
    expect(discrete).toThrow(ValidationError);
    expect(discrete).toThrow(/agent_type ddpg .*Discrete\(2\).*Box/);
    const unbounded = {
      observationSpace: pendulum.observationSpace,
      actionSpace: new Box(-Infinity, Infinity, [1]),
    };
    expect(() => new DdpgAgent(hp(), unbounded, { seed: 0 })).toThrow(/agent_type ddpg .*bounds/);
    expect(() => trainDdpg(hp(), { envId: 'CartPole-v1', totalTimesteps: 100, seed: 0 })).toThrow(
      /of CartPole-v1/,
    );
  });

  it('acts within the bounds, the same with or without `deterministic` (SB3 TD3 predict)', () => {
    const agent = new DdpgAgent(hp(), pendulum, { seed: 1 });
    const obs = randomObs(new Generator(2), 40);
    const out = new Float32Array(40);
    agent.actBatch(obs, 40, out);
    for (let b = 0; b < 40; b++) {
      const row = obs.subarray(3 * b, 3 * b + 3);
      const a = agent.act(row);
      expect(a).toBeInstanceOf(Float32Array);
      expect(a).toHaveLength(1);
      expect(a[0]).toBeGreaterThanOrEqual(-2);
      expect(a[0]).toBeLessThanOrEqual(2);
      // The batched product may round differently from a one-row one (summation blocking).
      expect(out[b]).toBeCloseTo(a[0], 5);
      expect(agent.act(row, { deterministic: false })[0]).toBe(a[0]);
    }
    expect(() => agent.actBatch(obs, 40, new Float32Array(39))).toThrow(/out/);
  });

  it('evaluates a hand-written SB3 state dict to the expected actions', () => {
    const agent = new DdpgAgent(hp({ net_arch: [1] }), pendulum, { seed: 0, stateDict: handStateDict() });
    for (const [cos, expected] of [
      [1, 2 * Math.tanh(1.5)],
      [0.25, 2 * Math.tanh(0)],
      [-0.5, 2 * Math.tanh(-0.5)],
      [0.125, 2 * Math.tanh(-0.25)],
    ]) {
      const a = agent.act(Float32Array.from([cos, 0.3, -4]));
      // The SIMD tanh is accurate to a few float32 ulps.
      expect(a[0]).toBeCloseTo(expected, 6);
    }
    const sd = agent.stateDict();
    expect([...sd.keys()].filter((k) => k.includes('target'))).toEqual([
      'actor_target.mu.0.weight',
      'actor_target.mu.0.bias',
      'actor_target.mu.2.weight',
      'actor_target.mu.2.bias',
      'critic_target.qf0.0.weight',
      'critic_target.qf0.0.bias',
      'critic_target.qf0.2.weight',
      'critic_target.qf0.2.bias',
    ]);
    expect(Array.from(sd.get('critic_target.qf0.0.weight')!.data)).toEqual([1, 2, 3, 4]);
  });

  it('rejects a state dict that does not fit, naming the tensor and both shapes', () => {
    const agent = new DdpgAgent(hp({ net_arch: [1] }), pendulum, { seed: 0 });
    const bad = handStateDict();
    bad.set('critic.qf0.0.weight', { shape: [1, 3], data: new Float32Array(3) });
    expect(() => agent.loadStateDict(bad)).toThrow(
      /"critic\.qf0\.0\.weight" has shape \[1, 3\], expected \[1, 4\]/,
    );
  });

  it('round-trips its state dict through safetensors into a fresh agent', () => {
    const a = new DdpgAgent(hp(), pendulum, { seed: 5 });
    const b = new DdpgAgent(hp(), pendulum, { seed: 6 });
    const obs = randomObs(new Generator(8), 64);
    const outA = new Float32Array(64);
    const outB = new Float32Array(64);
    a.actBatch(obs, 64, outA);
    b.actBatch(obs, 64, outB);
    expect(outB).not.toEqual(outA);
    b.loadStateDict(readSafetensors(writeSafetensors(a.stateDict())));
    b.actBatch(obs, 64, outB);
    expect(outB).toEqual(outA);
    expect(sameStateDict(a.stateDict(), b.stateDict())).toBe(true);
  });
});

/** A learner with a tiny network and a replay buffer of random Pendulum-shaped transitions. */
function tinyLearner(batch = 8): { learner: DdpgLearner; replay: ReplayBuffer } {
  const agent = new DdpgAgent(hp({ net_arch: [6], batch_size: batch, gamma: 0.9, tau: 0.1 }), pendulum, {
    seed: 3,
  });
  const learner = new DdpgLearner(agent, 3, 1);
  const rng = new Generator(4);
  const replay = new ReplayBuffer(32, 3, 1);
  for (let i = 0; i < 32; i++) {
    const o = randomObs(rng, 2);
    replay.add(o, 0, o, 1, [rng.uniform(-1, 1)], 0, -5 * rng.random(), rng.random() < 0.3);
  }
  return { learner, replay };
}

/** Central differences of `loss` over every parameter of `params`, against `analytic`. */
function checkGradient(
  params: readonly { data: Float32Array; grad: Float32Array }[],
  loss: () => number,
): number {
  loss();
  const analytic = params.map((p) => Float64Array.from(p.grad));
  const h = 1e-3;
  let largest = 0;
  for (let pi = 0; pi < params.length; pi++) {
    const data = params[pi].data;
    for (let j = 0; j < data.length; j++) {
      const keep = data[j];
      data[j] = keep + h;
      const up = loss();
      data[j] = keep - h;
      const down = loss();
      data[j] = keep;
      const numeric = (up - down) / (2 * h);
      expect(Math.abs(numeric - analytic[pi][j])).toBeLessThan(2e-3 + 0.02 * Math.abs(numeric));
      largest = Math.max(largest, Math.abs(analytic[pi][j]));
    }
  }
  return largest;
}

describe('DdpgLearner', () => {
  it('back-propagates the critic loss exactly (finite differences)', () => {
    const { learner, replay } = tinyLearner();
    learner.loadBatch(replay, Int32Array.from([0, 4, 8, 12, 16, 20, 24, 28]));
    const largest = checkGradient(learner.agent.critic.params(), () => learner.criticLossAndGradient());
    expect(largest).toBeGreaterThan(1e-2);
  });

  it('back-propagates the actor loss −mean Q(s, μ(s)) through the critic exactly (finite differences)', () => {
    const { learner, replay } = tinyLearner();
    learner.loadBatch(replay, Int32Array.from([1, 3, 5, 7, 11, 13, 17, 19]));
    const critic = learner.agent.critic;
    const criticGrads = critic.params().map((p) => Float32Array.from(p.grad));
    const largest = checkGradient(learner.agent.actor.params(), () => learner.actorLossAndGradient());
    expect(largest).toBeGreaterThan(1e-3);
    // The actor step leaves the critic's gradients alone.
    for (const [i, p] of critic.params().entries()) expect(p.grad).toEqual(criticGrads[i]);
  });

  it('one gradient step moves the targets by Polyak averaging with tau', () => {
    const { learner, replay } = tinyLearner();
    const { actor, actorTarget, critic, criticTarget } = learner.agent;
    for (const p of [...actor.params(), ...critic.params()]) p.data[0] += 0.5; // targets now lag
    const oldActor = actorTarget.params().map((p) => Float32Array.from(p.data));
    const oldCritic = criticTarget.params().map((p) => Float32Array.from(p.data));
    const terms = learner.train(replay, 1, 1);
    expect(Object.keys(terms).sort()).toEqual(['actor_loss', 'critic_loss', 'learning_rate', 'loss']);
    const check = (target: typeof actor, online: typeof actor, old: Float32Array[]) =>
      target.params().forEach((p, i) => {
        const src = online.params()[i].data;
        for (let j = 0; j < p.data.length; j++)
          expect(p.data[j]).toBeCloseTo(0.9 * old[i][j] + 0.1 * src[j], 6);
      });
    check(actorTarget, actor, oldActor);
    check(criticTarget, critic, oldCritic);
  });

  it('collects uniform random actions before learning_starts, noisy clipped policy actions after', () => {
    const agent = new DdpgAgent(
      hp({ learning_starts: 10, n_envs: 2, action_noise: { type: 'normal', sigma: 0.5 } }),
      pendulum,
      { seed: 0 },
    );
    const learner = new DdpgLearner(agent, 0, 2);
    const obs = randomObs(new Generator(1), 2);
    const env = new Float64Array(2);
    const buf = new Float32Array(2);
    let below = 0;
    for (let i = 0; i < 200; i++) {
      learner.sampleActions(obs, 0, env, buf);
      for (let k = 0; k < 2; k++) {
        expect(Math.abs(buf[k])).toBeLessThanOrEqual(1);
        // The environment gets the buffer's [-1, 1] action rescaled to [-2, 2].
        expect(env[k]).toBeCloseTo(2 * buf[k], 6);
        if (env[k] < 0) below++;
      }
    }
    expect(below).toBeGreaterThan(150); // ~200 of 400 (uniform on [-2, 2])
    expect(below).toBeLessThan(250);
    // After learning_starts: μ(s) plus N(0, 0.5²) noise, clipped to [-1, 1].
    const mu = agent.actor.predict(obs, 2);
    const deviations: number[] = [];
    for (let i = 0; i < 300; i++) {
      learner.sampleActions(obs, 10, env, buf);
      for (let k = 0; k < 2; k++) {
        expect(Math.abs(buf[k])).toBeLessThanOrEqual(1);
        if (Math.abs(buf[k]) < 1) deviations.push(buf[k] - mu[k]);
      }
    }
    const mean = deviations.reduce((s, x) => s + x, 0) / deviations.length;
    expect(Math.abs(mean)).toBeLessThan(0.15);
    expect(deviations.some((x) => Math.abs(x) > 0.3)).toBe(true);
  });
});

describe('trainDdpg', () => {
  it('is reproducible: same seed ⇒ bit-identical weights and losses; another seed differs', () => {
    const settings = hp({
      learning_starts: 200,
      batch_size: 32,
      action_noise: { type: 'normal', sigma: 0.1 },
    });
    const opts = { envId: 'Pendulum-v1', totalTimesteps: 400 };
    const a = trainDdpg(settings, { ...opts, seed: 4 });
    const b = trainDdpg(settings, { ...opts, seed: 4 });
    const c = trainDdpg(settings, { ...opts, seed: 5 });
    expect(sameStateDict(a.agent.stateDict(), b.agent.stateDict())).toBe(true);
    expect(a.losses).toEqual(b.losses);
    expect(sameStateDict(a.agent.stateDict(), c.agent.stateDict())).toBe(false);
    // train_freq 1: one update after every step past learning_starts (steps 201..400).
    expect(a.losses).toHaveLength(200);
    expect(a.learningCurve.map((p) => p.episode_length)).toEqual([200, 200]);
  });

  it('learns Pendulum at a small budget', () => {
    // Measured over seeds 0–5 at this budget ([64, 64], batch 64, 6000 steps): deterministic
    // means −172 to −565 over 10 episodes; a random policy scores about −1200.
    const settings = hp({
      gamma: 0.98,
      learning_starts: 1000,
      batch_size: 64,
      action_noise: { type: 'normal', sigma: 0.1 },
      net_arch: [64, 64],
    });
    const { agent } = trainDdpg(settings, { envId: 'Pendulum-v1', totalTimesteps: 6000, seed: 1 });
    expect(meanReturn(agent, 'Pendulum-v1', 10)).toBeGreaterThan(-800);
  });
});

describe('DdpgLearner against Stable-Baselines3', () => {
  it('trains two phases to SB3’s actor, critic, targets and losses (float32 rounding apart)', () => {
    // scripts/fixtures/sb3_updates.py: SB3 2.3.2's DDPG (TD3.train, policy_delay 1) on the
    // same rows and indices; every step updates critic, actor and both targets.
    const fx = readSb3UpdateFixture('ddpg');
    const settings = resolveHyperparameters('ddpg', fx.hyperparameters);
    const agent = new DdpgAgent(settings, pendulum, { seed: fx.seed, stateDict: fx.initial });
    const learner = new DdpgLearner(agent, fx.seed, 1);
    const replay = sb3FixtureReplay(fx, settings.buffer_size);
    let before = agent.stateDict();
    for (const phase of fx.phases) {
      const terms = learner.train(replay, phase.gradient_steps, 1);
      expect(Math.abs(terms.critic_loss - phase.losses.critic_loss)).toBeLessThan(
        1e-5 * phase.losses.critic_loss,
      );
      expect(Math.abs(terms.actor_loss - phase.losses.actor_loss)).toBeLessThan(
        1e-5 * Math.abs(phase.losses.actor_loss),
      );
      // Online weights move by up to lr = 1e-3 per step, the targets by tau = 0.005 of that;
      // the largest difference seen is about 7e-7 (critic losses near 40 round coarser).
      expectCloseStateDict(agent.stateDict(), phase.state_dict, before, 5e-6, 1e-6);
      before = agent.stateDict();
    }
  });
});

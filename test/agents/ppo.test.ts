import { describe, expect, it } from 'vitest';
import { ActorCriticPolicy, type PolicyActionSpec } from '../../src/agents/actor-critic.js';
import { resolveHyperparameters } from '../../src/agents/hyperparameters.js';
import { normalizeAdvantages, runOnPolicy } from '../../src/agents/on-policy.js';
import { createPpoUpdate, PpoAgent, type PpoMinibatch, ppoLoss, trainPpo } from '../../src/agents/ppo.js';
import { make, makeVec } from '../../src/envs/index.js';
import { Generator } from '../../src/rng/index.js';
import {
  expectCloseLoss,
  expectCloseStateDict,
  expectFiniteDifferences,
  meanReturn,
  readSb3OnPolicyFixture,
  sb3FixtureRollout,
} from './helpers.js';

/** RL Zoo's PPO CartPole-v1 hyperparameters. */
const ZOO_CARTPOLE = {
  n_envs: 8,
  n_steps: 32,
  batch_size: 256,
  gae_lambda: 0.8,
  gamma: 0.98,
  n_epochs: 20,
  ent_coef: 0,
  learning_rate: 'lin_1e-3',
  clip_range: 'lin_0.2',
};

const small = (extra: Record<string, unknown> = {}) =>
  resolveHyperparameters('ppo', {
    n_envs: 4,
    n_steps: 64,
    batch_size: 64,
    n_epochs: 2,
    net_arch: [16, 16],
    ...extra,
  });

describe('normalizeAdvantages', () => {
  it('subtracts the mean and divides by the unbiased std plus 1e-8', () => {
    // [1, 2, 3, 4]: mean 2.5, sample std √(5/3) = 1.2909944487358056 (numpy std(ddof=1)).
    const a = Float64Array.of(1, 2, 3, 4, 99);
    normalizeAdvantages(a, 4);
    const s = Math.sqrt(5 / 3) + 1e-8;
    expect([...a.subarray(0, 4)]).toEqual([-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]);
    expect(a[4]).toBe(99); // beyond n: untouched
    const one = Float64Array.of(7);
    normalizeAdvantages(one, 1); // SB3 leaves a single advantage as it is
    expect(one[0]).toBe(7);
  });
});

/** A small policy with non-trivial heads and a minibatch whose ratios are set to `ratios`. */
function lossFixture(action: PolicyActionSpec, ratios: number[]) {
  const rng = new Generator(31);
  const obsDim = 3;
  const policy = new ActorCriticPolicy({
    obsDim,
    action,
    netArch: [6, 5],
    activation: 'tanh',
    initRng: rng,
  });
  for (const p of policy.parameters) for (let k = 0; k < p.size; k++) p.data[k] += 0.3 * rng.standardNormal();
  const m = ratios.length;
  const actDim = action.kind === 'discrete' ? 1 : action.dim;
  const mb: PpoMinibatch = {
    size: m,
    obs: new Float32Array(m * obsDim).map(() => rng.uniform(-1.5, 1.5)),
    actions: new Float32Array(m * actDim).map(() =>
      action.kind === 'discrete' ? rng.integers(0, action.n) : rng.normal(0, 1),
    ),
    oldLogProb: new Float64Array(m),
    advantages: Float64Array.from({ length: m }, (_, i) => (i % 2 === 0 ? 1 : -1) * rng.uniform(0.5, 2)),
    returns: Float64Array.from({ length: m }, () => rng.uniform(-2, 2)),
  };
  policy.evaluateActions(mb.obs, mb.actions, m);
  for (let i = 0; i < m; i++) mb.oldLogProb[i] = policy.logProb[i] - Math.log(ratios[i]);
  return { policy, mb };
}

describe('ppoLoss', () => {
  it('at ratio 1: L_clip = −mean(A), approx_kl 0, clip_fraction 0; value and entropy terms as defined', () => {
    const { policy, mb } = lossFixture({ kind: 'discrete', n: 3 }, [1, 1, 1, 1, 1]);
    const dLogProb = new Float64Array(5);
    const dValue = new Float64Array(5);
    const coef = { clipRange: 0.2, entCoef: 0.01, vfCoef: 0.5 };
    const t = ppoLoss(policy, mb, coef, dLogProb, dValue);
    let meanA = 0;
    let mse = 0;
    let meanH = 0;
    for (let i = 0; i < 5; i++) {
      meanA += mb.advantages[i] / 5;
      mse += (mb.returns[i] - policy.values[i]) ** 2 / 5;
      meanH += policy.entropy[i] / 5;
      expect(dLogProb[i]).toBeCloseTo(-mb.advantages[i] / 5, 12);
    }
    expect(t.policyLoss).toBeCloseTo(-meanA, 12);
    expect(t.valueLoss).toBeCloseTo(mse, 12);
    expect(t.entropyLoss).toBeCloseTo(-meanH, 12);
    expect(t.loss).toBeCloseTo(-meanA + 0.01 * -meanH + 0.5 * mse, 12);
    expect(t.approxKl).toBeCloseTo(0, 12);
    expect(t.clipFraction).toBe(0);
  });

  it('clips: rows outside [1 − ε, 1 + ε] on the pessimistic side get no policy gradient', () => {
    // Even rows have A > 0, odd rows A < 0. With ε = 0.2:
    // ratio 1.5, A > 0: min(1.5A, 1.2A) = 1.2A, clipped → no gradient;
    // ratio 0.5, A < 0: min(0.5A, 0.8A) = 0.8A (A < 0), clipped → no gradient;
    // ratio 0.5, A > 0: min(0.5A, 0.8A) = 0.5A, unclipped → gradient;
    // ratio 1.5, A < 0: min(1.5A, 1.2A) = 1.5A, unclipped → gradient.
    const { policy, mb } = lossFixture({ kind: 'discrete', n: 2 }, [1.5, 0.5, 0.5, 1.5]);
    const d = new Float64Array(4);
    const t = ppoLoss(policy, mb, { clipRange: 0.2, entCoef: 0, vfCoef: 0.5 }, d, new Float64Array(4));
    expect(d[0]).toBe(0);
    expect(d[1]).toBe(0);
    expect(d[2]).toBeCloseTo((-mb.advantages[2] * 0.5) / 4, 9);
    expect(d[3]).toBeCloseTo((-mb.advantages[3] * 1.5) / 4, 9);
    expect(t.clipFraction).toBe(1);
    const a = mb.advantages;
    expect(t.policyLoss).toBeCloseTo(-(1.2 * a[0] + 0.8 * a[1] + 0.5 * a[2] + 1.5 * a[3]) / 4, 6);
    // approx_kl = mean((ρ − 1) − log ρ)
    const kl = (r: number) => r - 1 - Math.log(r);
    expect(t.approxKl).toBeCloseTo((2 * kl(1.5) + 2 * kl(0.5)) / 4, 6);
  });

  /**
   * The gradient of the whole PPO loss (clipped surrogate + value + entropy) against central
   * differences. Ratios sit away from the clip boundaries (1 ± 0.2) so that the steps
   * (which move log π by ~1e-3) do not cross them; float32 networks: tolerance 5e-4 relative.
   */
  for (const action of [
    { kind: 'discrete', n: 3 },
    { kind: 'box', dim: 2 },
  ] as PolicyActionSpec[]) {
    it(`backward matches finite differences of the total loss (${action.kind})`, () => {
      const ratios = [0.5, 0.9, 1.0, 1.1, 1.6, 0.7, 1.35, 1.5];
      const { policy, mb } = lossFixture(action, ratios);
      const coef = { clipRange: 0.2, entCoef: 0.05, vfCoef: 0.5 };
      const m = mb.size;
      const dLogProb = new Float64Array(m);
      const dValue = new Float64Array(m);
      const t = ppoLoss(policy, mb, coef, dLogProb, dValue);
      policy.zeroGrad();
      policy.backward(mb.actions, dLogProb, t.dEntropy, dValue, m);
      const analytic = policy.parameters.map((p) => Float64Array.from(p.grad));
      const loss = () => ppoLoss(policy, mb, coef, new Float64Array(m), new Float64Array(m)).loss;
      expectFiniteDifferences(policy.parameters, analytic, loss);
    });
  }
});

describe('on-policy rollout collection', () => {
  it('bootstraps truncated episodes with γ·V(final observation), marks episode starts, records the curve', () => {
    // CartPole cut at 3 steps: every episode is truncated (it cannot fall within 3 steps
    // from its ±0.05 start), so every third reward of a copy is 1 + γ·V(s_final).
    const hp = resolveHyperparameters('ppo', { n_envs: 2, n_steps: 8, gamma: 0.9, net_arch: [8] });
    const vec = makeVec('CartPole-v1', 2, { maxEpisodeSteps: 3 });
    const agent = new PpoAgent(hp, {
      observationSpace: vec.singleObservationSpace,
      actionSpace: vec.singleActionSpace,
    });
    let captured: {
      rewards: Float64Array;
      actions: Float32Array;
      starts: Uint8Array;
      obs: Float32Array;
    } | null = null;
    const result = runOnPolicy(
      agent,
      vec,
      { envId: 'CartPole-v1', totalTimesteps: 16, seed: 5 },
      (rollout) => {
        captured = {
          rewards: Float64Array.from(rollout.rewards),
          actions: Float32Array.from(rollout.actions),
          starts: Uint8Array.from(rollout.episodeStarts),
          obs: Float32Array.from(rollout.obs),
        };
        return { loss: 0 };
      },
    );
    expect(captured).not.toBeNull();
    const { rewards, actions, starts, obs } = captured!;
    const v = new Float64Array(1);
    for (let i = 0; i < 2; i++) {
      // Replay copy i alone: same seed schedule (seed + i), same actions.
      const env = make('CartPole-v1', { maxEpisodeSteps: 3 });
      let o = env.reset({ seed: 5 + i }).obs;
      for (let t = 0; t < 8; t++) {
        const row = t * 2 + i;
        expect(starts[row]).toBe(t % 3 === 0 ? 1 : 0);
        expect([...obs.subarray(row * 4, row * 4 + 4)]).toEqual([...o]);
        const r = env.step(actions[row]);
        expect(r.terminated).toBe(false);
        if (r.truncated) {
          agent.policy.predictValues(r.obs, 1, v);
          expect(rewards[row]).toBe(1 + 0.9 * v[0]);
          o = env.reset().obs;
        } else {
          expect(rewards[row]).toBe(1);
          o = r.obs;
        }
      }
    }
    // Two copies × two finished 3-step episodes, after vector steps 3 and 6 (6 and 12 steps).
    expect(result.learningCurve).toEqual([
      { timestep: 6, episode_return: 3, episode_length: 3 },
      { timestep: 6, episode_return: 3, episode_length: 3 },
      { timestep: 12, episode_return: 3, episode_length: 3 },
      { timestep: 12, episode_return: 3, episode_length: 3 },
    ]);
    expect(result.timesteps).toBe(16);
    expect(result.losses).toEqual([{ timestep: 16, loss: 0 }]);
  });
});

describe('trainPpo', () => {
  it('is reproducible: same seed ⇒ bit-identical weights and curves; another seed differs', () => {
    const opts = { envId: 'CartPole-v1', totalTimesteps: 1024 };
    const a = trainPpo(small(), { ...opts, seed: 3 });
    const b = trainPpo(small(), { ...opts, seed: 3 });
    const c = trainPpo(small(), { ...opts, seed: 4 });
    const bits = (r: typeof a) =>
      [...r.agent.stateDict()].map(([k, t]) => [k, [...new Uint32Array(t.data.buffer)]]);
    expect(bits(b)).toEqual(bits(a));
    expect(b.learningCurve).toEqual(a.learningCurve);
    expect(b.losses).toEqual(a.losses);
    expect(bits(c)).not.toEqual(bits(a));
  });

  it('records one loss record per rollout, progress, and stops when asked', () => {
    const progress: number[] = [];
    let updates = 0;
    const r = trainPpo(small(), {
      envId: 'CartPole-v1',
      totalTimesteps: 4096,
      seed: 0,
      progressEvery: 512,
      onProgress: (p) => progress.push(p.timesteps),
      shouldStop: () => ++updates >= 3,
    });
    expect(r.losses.map((l) => l.timestep)).toEqual([256, 512, 768]);
    expect(r.timesteps).toBe(768);
    for (const l of r.losses) {
      for (const k of ['loss', 'policy_loss', 'value_loss', 'entropy_loss', 'approx_kl', 'clip_fraction']) {
        expect(Number.isFinite(l[k]), k).toBe(true);
      }
      expect(l.entropy_loss).toBeLessThan(0); // −H of a 2-action policy, H in (0, ln 2]
      expect(l.entropy_loss).toBeGreaterThanOrEqual(-Math.log(2) - 1e-12);
    }
    expect(r.losses.map((l) => l.n_updates)).toEqual([2, 4, 6]);
    expect(progress).toEqual([512, 768]);
    // Learning-curve points are finished episodes in time order.
    const ts = r.learningCurve.map((p) => p.timestep);
    expect(ts).toEqual([...ts].sort((x, y) => x - y));
    expect(r.episodes).toBe(r.learningCurve.length);
  });

  it('stops an update early past 1.5 · target_kl, before stepping', () => {
    // One minibatch per epoch; the first has ρ = 1 (KL ≈ 0) and steps, the second sees the
    // moved policy, whose KL exceeds the tiny target: 2 of 10 epochs counted, as SB3 counts.
    const r = trainPpo(small({ n_steps: 16, batch_size: 64, n_epochs: 10, target_kl: 1e-12 }), {
      envId: 'CartPole-v1',
      totalTimesteps: 64,
      seed: 1,
    });
    expect(r.losses[0].n_updates).toBe(2);
  });

  it('trains a Gaussian policy on Pendulum (Box actions clipped for the env, log_std learned)', () => {
    const r = trainPpo(small({ n_envs: 2 }), { envId: 'Pendulum-v1', totalTimesteps: 1024, seed: 0 });
    expect(r.learningCurve.map((p) => p.episode_length)).toEqual([200, 200, 200, 200]);
    const logStd = r.agent.stateDict().get('log_std')!;
    expect(logStd.shape).toEqual([1]);
    expect(logStd.data[0]).not.toBe(0);
    expect(r.losses.at(-1)!.std).toBeCloseTo(Math.exp(logStd.data[0]), 6); // SB3's train/std
    const a = r.agent.act(new Float32Array([1, 0, 0])) as Float32Array;
    expect(Math.abs(a[0])).toBeLessThanOrEqual(2);
  });

  it('learns CartPole: 20k steps with RL Zoo hyperparameters beat a random policy (~22) by far', () => {
    // Measured over seeds 0–7 (10 evaluation episodes): 113.6, 305.9, 260.6, 436.9, 141.4,
    // 261.4, 474.2, 500. The threshold leaves a wide margin below the worst of them.
    const r = trainPpo(resolveHyperparameters('ppo', ZOO_CARTPOLE), {
      envId: 'CartPole-v1',
      totalTimesteps: 20_000,
      seed: 0,
    });
    expect(meanReturn(r.agent, 'CartPole-v1', 10)).toBeGreaterThan(75);
  });

  it('continues from an initial state dict', () => {
    const hp = small();
    const first = trainPpo(hp, { envId: 'CartPole-v1', totalTimesteps: 512, seed: 2 });
    const sd = first.agent.stateDict();
    const cont = trainPpo(hp, { envId: 'CartPole-v1', totalTimesteps: 256, seed: 9 }, sd);
    const fresh = new PpoAgent(hp, cont.agent.spaces, { seed: 9 }).stateDict();
    const maxDiff = (x: Float32Array, y: Float32Array) =>
      x.reduce((m, v, k) => Math.max(m, Math.abs(v - y[k])), 0);
    const name = 'mlp_extractor.policy_net.0.weight';
    const w0 = sd.get(name)!.data;
    const w1 = cont.agent.stateDict().get(name)!.data;
    // One rollout: 2 epochs × 4 minibatches = 8 Adam steps of lr 3e-4 from the given weights
    // (each step moves a weight by about lr at most), far from the seed-9 initialisation
    // (orthogonal entries of order 0.3).
    expect(maxDiff(w1, w0)).toBeGreaterThan(0);
    expect(maxDiff(w1, w0)).toBeLessThan(0.02);
    expect(maxDiff(fresh.get(name)!.data, w0)).toBeGreaterThan(0.1);
  });
});

describe('PPO update against Stable-Baselines3', () => {
  it('computes SB3’s advantages and returns, and its update’s losses and weights (float32 rounding apart)', () => {
    // scripts/fixtures/sb3_updates.py: one SB3 2.3.2 rollout and PPO.train (4 epochs of 2
    // minibatches), its minibatches drawn from our permutation stream.
    const fx = readSb3OnPolicyFixture('ppo');
    const hp = resolveHyperparameters('ppo', fx.hyperparameters);
    const agent = new PpoAgent(hp, make('CartPole-v1'), { seed: fx.seed, stateDict: fx.initial });
    const [update] = fx.updates;
    expect(update.episode_ends).toBeGreaterThan(0); // GAE crosses an episode boundary
    const rollout = sb3FixtureRollout(update.rollout, hp, 4, 1);
    const losses = createPpoUpdate(agent, rollout.size)(rollout, 1);
    const sb3 = update.losses;
    expect(losses.clip_fraction).toBe(sb3.clip_fraction);
    expect(sb3.clip_fraction).toBeGreaterThan(0.02); // the clipped branch is exercised
    expectCloseLoss('policy_loss', losses.policy_loss, sb3.policy_gradient_loss);
    for (const name of ['value_loss', 'entropy_loss', 'approx_kl'] as const) {
      expectCloseLoss(name, losses[name], sb3[name]);
    }
    // 8 Adam steps of lr 1e-3; torch sums in another order (largest difference about 6e-8).
    expectCloseStateDict(agent.stateDict(), update.state_dict, fx.initial, 1e-6, 1e-4);
  });
});

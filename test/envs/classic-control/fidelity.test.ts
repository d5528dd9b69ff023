/**
 * Fidelity against Gymnasium: every fixture episode in test/fixtures/envs/<env-id>.json
 * (recorded from Gymnasium 1.4 with numpy 2.4 by scripts/fixtures/gym_trajectories.py; the
 * format is in test/fixtures/envs/README.md) is replayed through our environment, with the
 * time limit applied here by counting steps.
 *
 * What is asserted, and why:
 *
 * 1. Lockstep replay from `reset({ seed })`: every observation equals Gymnasium's float32
 *    bit for bit, `terminated`/`truncated` are equal, rewards agree to 1e-12 relative.
 *    CartPole, MountainCar and MountainCarContinuous must match this way for whole
 *    episodes (they do, including CartPole's 500-step heuristic episode).
 *
 * 2. Acrobot and Pendulum call sin/cos many times per step, and V8's `Math.sin`/`Math.cos`
 *    (fdlibm) return the other neighbour of the exact value than glibc's (which numpy
 *    calls) for a few percent of arguments. A 1-ulp float64 difference then grows through
 *    these dynamics: in Acrobot `random` seed 2 the float64 states first differ at step 77
 *    (measured against Gymnasium's recorded `env.unwrapped.state`), by one ulp of θ̇1, and
 *    the float32 observations first differ at step 362. Matching glibc bit for bit would
 *    need its exact algorithms (including which operations its FMA build fuses), so these
 *    two environments may drift, under two conditions: the drift must begin at rounding
 *    level — at the first differing observation no element is off by more than one float32
 *    ulp, and the first reward beyond 1e-12 differs by at most 1e-9 relative — and from
 *    that step on the lockstep replay stops and check 3 carries the episode. In these
 *    fixtures 5 of 28 episodes drift (listed in `knownDrift` below); each starts with a
 *    1-ulp difference. CartPole can drift the same way in long episodes (in 300 extra
 *    500-step episodes recorded from Gymnasium for this investigation, 2 drifted, at steps
 *    451 and 494, by 2e-10), but none of its fixture episodes does, so it is held to
 *    bit-exactness here.
 *
 * 3. One-step checks, for every step of every Acrobot and Pendulum episode: the state is
 *    set from Gymnasium's observation at t (angles by atan2 of the float32 cos/sin, speeds
 *    as given), stepped with the recorded action, and compared with Gymnasium's observation
 *    at t + 1 to 2^-20 max(1, |x|), i.e. 8 float32 ulps of max(1, |x|). The re-built
 *    state carries the fixture's float32 rounding (2^-24 relative) and one step amplifies
 *    it by a small factor; the measured worst case is 1.2 such ulps (Acrobot's sin θ2),
 *    while a wrong constant or a dropped term moves the next state by 1e-3 or more. Pendulum's reward is compared to 2e-6 absolute: |∂r/∂θ| ≤ 2π and |∂r/∂θ̇| ≤ 1.6
 *    times the state's float32 rounding (≤ 1.2e-7 rad, ≤ 4.8e-7 rad/s) bound it by 1.5e-6
 *    (measured 4.3e-7). Acrobot's `terminated` (and with it the reward) is compared
 *    whenever the next state's tip height is more than 1e-5 from the threshold (the
 *    closest in these fixtures is 6.7e-3).
 *
 * One more difference, in Pendulum's reward only: Gymnasium computes the float32 `u ** 2`
 * with C `powf`, which at exact or near ties of float32 rounding may return the other
 * neighbour than the correctly rounded `Math.fround(u * u)` (e.g. u = 1.260986328125, whose
 * square is an exact tie). So Pendulum rewards are compared to 1e-12 relative plus one
 * float32 ulp of the float32 torque cost `0.001 u²` (≤ 4.8e-10).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AcrobotEnv,
  CartPoleEnv,
  ContinuousMountainCarEnv,
  MountainCarEnv,
  PendulumEnv,
} from '../../../src/envs/classic-control/index.js';
import type { Env } from '../../../src/envs/core.js';
import type { Box, Discrete } from '../../../src/envs/spaces.js';
import { npRandom } from '../../../src/rng/index.js';

type JsonBound = number | 'inf' | '-inf';
interface SpaceJson {
  type: 'Box' | 'Discrete';
  shape?: number[];
  low?: JsonBound[];
  high?: JsonBound[];
  n?: number;
  start?: number;
}
interface Episode {
  kind: string;
  seed: number;
  max_episode_steps: number;
  actions: Array<number | number[]>;
  observations: number[][];
  rewards: number[];
  terminated: boolean[];
  truncated: boolean[];
}
interface Fixture {
  env_id: string;
  max_episode_steps: number;
  reward_threshold: number | null;
  observation_space: SpaceJson;
  action_space: SpaceJson;
  action_space_samples: Array<{ seed: number; samples: Array<number | number[]> }>;
  observation_space_samples: Array<{ seed: number; samples: number[][] }>;
  reset_sequences: Array<{ seed: number; observations: number[][] }>;
  episodes: Episode[];
}

interface Stateful {
  get state(): Float64Array | null;
  set state(value: ArrayLike<number>);
}

interface EnvClass {
  new (): Env & Stateful;
  readonly id: string;
  readonly maxEpisodeSteps: number;
  readonly rewardThreshold: number | null;
}

/**
 * `chaotic`: drift is allowed (check 2) and one-step checks run (check 3). `knownDrift`: the
 * episodes of the committed fixtures that drift, as kind/seed@first differing step — pinned,
 * so that any change in arithmetic (which moves or adds drift) is noticed.
 */
const ENVS: Array<{ cls: EnvClass; chaotic: boolean; knownDrift: string[] }> = [
  { cls: CartPoleEnv, chaotic: false, knownDrift: [] },
  {
    cls: AcrobotEnv,
    chaotic: true,
    knownDrift: ['random/2@362', 'random/3@399', 'heuristic/200@166', 'long/300@1118'],
  },
  { cls: MountainCarEnv, chaotic: false, knownDrift: [] },
  { cls: ContinuousMountainCarEnv, chaotic: false, knownDrift: [] },
  { cls: PendulumEnv, chaotic: true, knownDrift: ['long/300@720'] },
];

function loadFixture(id: string): Fixture {
  const url = new URL(`../../fixtures/envs/${id}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Fixture;
}

/** The spacing of float32 values around x (the unit in the last place). */
function ulp32(x: number): number {
  const a = Math.abs(Math.fround(x));
  if (a === 0) return 2 ** -149;
  const e = Math.max(Math.floor(Math.log2(a)), -126);
  return 2 ** (e - 23);
}

/** Pendulum's allowance for numpy's `powf` in `0.001 * u**2` (see the header). */
function torqueCostUlp(action: number | number[]): number {
  const a = Math.fround((action as number[])[0]);
  const u = Math.min(Math.max(a, -2), 2);
  return ulp32(Math.fround(Math.fround(0.001) * Math.fround(u * u)));
}

function rewardTolerance(id: string, expected: number, action: number | number[]): number {
  const tol = 1e-12 * Math.abs(expected);
  return id === 'Pendulum-v1' ? tol + torqueCostUlp(action) : tol;
}

/** Rebuilds the float64 state from an observation (angles from their float32 cos and sin). */
function stateFromObservation(id: string, o: number[]): number[] {
  if (id === 'Acrobot-v1') return [Math.atan2(o[1], o[0]), Math.atan2(o[3], o[2]), o[4], o[5]];
  return [Math.atan2(o[1], o[0]), o[2]];
}

function boundOf(b: JsonBound): number {
  return b === 'inf' ? Number.POSITIVE_INFINITY : b === '-inf' ? Number.NEGATIVE_INFINITY : b;
}

interface LockstepReport {
  /** First step whose observation or reward left the exact tolerance, or -1. */
  driftStep: number;
}

/** Check 1 (and the onset conditions of check 2) for one episode. */
function lockstep(cls: EnvClass, ep: Episode, chaotic: boolean): LockstepReport {
  const id = cls.id;
  const env = new cls();
  const where = (t: number) => `${id} ${ep.kind} seed ${ep.seed} step ${t}`;
  const first = env.reset({ seed: ep.seed });
  expect(Array.from(first.obs), where(0)).toEqual(ep.observations[0]);
  for (let t = 0; t < ep.actions.length; t++) {
    const r = env.step(ep.actions[t]);
    const expected = ep.observations[t + 1];
    const obsExact = r.obs.length === expected.length && r.obs.every((v, i) => v === expected[i]);
    const rewardErr = Math.abs(r.reward - ep.rewards[t]);
    const rewardOk = rewardErr <= rewardTolerance(id, ep.rewards[t], ep.actions[t]);
    if (!obsExact || !rewardOk) {
      if (!chaotic) {
        expect(Array.from(r.obs), where(t + 1)).toEqual(expected);
        expect(rewardErr, `${where(t + 1)}: reward ${r.reward} vs ${ep.rewards[t]}`).toBeLessThanOrEqual(
          rewardTolerance(id, ep.rewards[t], ep.actions[t]),
        );
      }
      // Drift must begin at rounding level.
      for (let i = 0; i < expected.length; i++) {
        expect(Math.abs(r.obs[i] - expected[i]), `${where(t + 1)} element ${i}`).toBeLessThanOrEqual(
          ulp32(expected[i]),
        );
      }
      expect(rewardErr, `${where(t + 1)} reward`).toBeLessThanOrEqual(1e-9 * Math.abs(ep.rewards[t]));
      return { driftStep: t + 1 };
    }
    // The TimeLimit, applied here: truncated once max_episode_steps steps have been taken.
    const truncated = t + 1 >= ep.max_episode_steps;
    const last = t === ep.actions.length - 1;
    if (
      r.terminated !== ep.terminated[t] ||
      truncated !== ep.truncated[t] ||
      last !== (r.terminated || truncated)
    ) {
      expect(r.terminated, where(t + 1)).toBe(ep.terminated[t]);
      expect(truncated, where(t + 1)).toBe(ep.truncated[t]);
      expect(r.terminated || truncated, `${where(t + 1)}: the episode ends at its last step only`).toBe(last);
    }
  }
  return { driftStep: -1 };
}

/** Check 3: one step from Gymnasium's own observation, for every step of the episode. */
function oneStepChecks(cls: EnvClass, ep: Episode): void {
  const id = cls.id;
  const env = new cls();
  env.reset({ seed: ep.seed });
  for (let t = 0; t < ep.actions.length; t++) {
    const where = `${id} ${ep.kind} seed ${ep.seed}, one step from observation ${t}`;
    env.state = stateFromObservation(id, ep.observations[t]);
    const r = env.step(ep.actions[t]);
    const expected = ep.observations[t + 1];
    // (expect() only on failure: thousands of steps are checked.)
    for (let i = 0; i < expected.length; i++) {
      const tol = 2 ** -20 * Math.max(1, Math.abs(expected[i]));
      if (!(Math.abs(r.obs[i] - expected[i]) <= tol)) {
        expect(Math.abs(r.obs[i] - expected[i]), `${where}, element ${i}`).toBeLessThanOrEqual(tol);
      }
    }
    if (id === 'Pendulum-v1') {
      if (!(Math.abs(r.reward - ep.rewards[t]) <= 2e-6) || r.terminated) {
        expect(Math.abs(r.reward - ep.rewards[t]), `${where}, reward`).toBeLessThanOrEqual(2e-6);
        expect(r.terminated, where).toBe(false);
      }
    } else {
      const [c1, s1, c2, s2] = expected;
      // Tip height -cos θ1 - cos(θ1 + θ2) of Gymnasium's next observation.
      const height = -c1 - (c1 * c2 - s1 * s2);
      if (Math.abs(height - 1) > 1e-5 && (r.terminated !== ep.terminated[t] || r.reward !== ep.rewards[t])) {
        expect(r.terminated, where).toBe(ep.terminated[t]);
        expect(r.reward, where).toBe(ep.rewards[t]);
      }
    }
  }
}

for (const { cls, chaotic, knownDrift } of ENVS) {
  describe(`${cls.id} against Gymnasium`, () => {
    const fixture = loadFixture(cls.id);

    it('declares the registered time limit, reward threshold and spaces', () => {
      expect(fixture.env_id).toBe(cls.id);
      expect(cls.maxEpisodeSteps).toBe(fixture.max_episode_steps);
      expect(cls.rewardThreshold).toBe(fixture.reward_threshold);
      const env = new cls();
      const obsSpace = env.observationSpace;
      expect(fixture.observation_space.type).toBe('Box');
      expect([...obsSpace.shape]).toEqual(fixture.observation_space.shape);
      expect(Array.from(obsSpace.low)).toEqual(fixture.observation_space.low?.map(boundOf));
      expect(Array.from(obsSpace.high)).toEqual(fixture.observation_space.high?.map(boundOf));
      const act = fixture.action_space;
      if (act.type === 'Discrete') {
        const space = env.actionSpace as Discrete;
        expect(space.toJSON()).toEqual({ type: 'Discrete', n: act.n, start: act.start });
      } else {
        const space = env.actionSpace as Box;
        expect([...space.shape]).toEqual(act.shape);
        expect(Array.from(space.low)).toEqual(act.low?.map(boundOf));
        expect(Array.from(space.high)).toEqual(act.high?.map(boundOf));
      }
    });

    it("samples the spaces draw for draw as Gymnasium's space.sample()", () => {
      const env = new cls();
      for (const { seed, samples } of fixture.action_space_samples) {
        const rng = npRandom(seed).rng;
        const got = samples.map(() => {
          const s = env.actionSpace.sample(rng);
          return typeof s === 'number' ? s : Array.from(s);
        });
        expect(got, `action space seed ${seed}`).toEqual(samples);
      }
      for (const { seed, samples } of fixture.observation_space_samples) {
        const rng = npRandom(seed).rng;
        const got = samples.map(() => Array.from(env.observationSpace.sample(rng)));
        expect(got, `observation space seed ${seed}`).toEqual(samples);
      }
    });

    it('resets like Gymnasium, and reset() without a seed continues the stream', () => {
      const env = new cls();
      for (const { seed, observations } of fixture.reset_sequences) {
        const got = [
          Array.from(env.reset({ seed }).obs),
          Array.from(env.reset().obs),
          Array.from(env.reset().obs),
        ];
        expect(got, `seed ${seed}`).toEqual(observations);
      }
    });

    it(`replays every episode ${chaotic ? '(drift allowed from rounding level, see header)' : 'bit for bit'}`, () => {
      expect(fixture.episodes.length).toBeGreaterThan(0);
      const drifted: string[] = [];
      for (const ep of fixture.episodes) {
        const { driftStep } = lockstep(cls, ep, chaotic);
        if (driftStep >= 0) drifted.push(`${ep.kind}/${ep.seed}@${driftStep}`);
      }
      expect(drifted).toEqual(knownDrift);
    });

    if (chaotic) {
      it('matches one step from every recorded observation', () => {
        for (const ep of fixture.episodes) oneStepChecks(cls, ep);
      });
    }
  });
}

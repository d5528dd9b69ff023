// The random draws inside Gymnasium's recorded runs, reproduced with src/rng: episode
// actions from Generator(PCG64(action_seed)), Space.sample() after space.seed(s), and the
// initial states of reset(seed=s) followed by reset() (the stream continues). Expected
// values: test/fixtures/envs/*.json, written by scripts/fixtures/gym_trajectories.py from
// Gymnasium 1.4 with numpy 2.4. (The dynamics themselves are tested under test/envs.)
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Generator, npRandom } from '../../src/rng/index.js';

type Bound = number | 'inf' | '-inf';
type SpaceJson =
  | { type: 'Discrete'; n: number; start: number }
  | { type: 'Box'; shape: number[]; dtype: string; low: Bound[]; high: Bound[] };
type Action = number | number[];

interface EnvFixture {
  env_id: string;
  observation_space: SpaceJson;
  action_space: SpaceJson;
  action_space_samples: { seed: number; samples: Action[] }[];
  observation_space_samples: { seed: number; samples: number[][] }[];
  reset_sequences: { seed: number; observations: number[][] }[];
  episodes: { kind: string; seed: number; action_seed: number | null; actions: Action[] }[];
}

const ENV_IDS = ['CartPole-v1', 'Acrobot-v1', 'MountainCar-v0', 'MountainCarContinuous-v0', 'Pendulum-v1'];

function load(id: string): EnvFixture {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/envs/${id}.json`, import.meta.url), 'utf8'),
  ) as EnvFixture;
}

const num = (b: Bound): number => (b === 'inf' ? Infinity : b === '-inf' ? -Infinity : b);

/**
 * Gymnasium's Box.sample for float32 boxes: unbounded coordinates from standard_normal,
 * then (none here) half-bounded ones, then bounded ones from uniform(low, high), all in
 * float64 and cast to float32.
 */
function sampleBox(rng: Generator, space: Extract<SpaceJson, { type: 'Box' }>): number[] {
  const low = space.low.map(num);
  const high = space.high.map(num);
  const out = new Array<number>(low.length);
  const unbounded = low.map((l, i) => l === -Infinity && high[i] === Infinity);
  const bounded = low.map((l, i) => Number.isFinite(l) && Number.isFinite(high[i]));
  if (unbounded.some((u, i) => !u && !bounded[i]))
    throw new Error('half-bounded boxes are not in these fixtures');
  for (let i = 0; i < out.length; i++) if (unbounded[i]) out[i] = rng.standardNormal();
  for (let i = 0; i < out.length; i++) if (bounded[i]) out[i] = rng.uniform(low[i], high[i]);
  return out.map(Math.fround);
}

function sample(rng: Generator, space: SpaceJson): Action {
  return space.type === 'Discrete' ? space.start + rng.integers(space.n) : sampleBox(rng, space);
}

/** The float64 state each environment's reset draws (Gymnasium's reset), for the checks below. */
function resetDraws(id: string, rng: Generator): number[] {
  switch (id) {
    case 'CartPole-v1':
      return [0, 1, 2, 3].map(() => rng.uniform(-0.05, 0.05));
    case 'Acrobot-v1':
      return [0, 1, 2, 3].map(() => rng.uniform(-0.1, 0.1));
    case 'MountainCar-v0':
    case 'MountainCarContinuous-v0':
      return [rng.uniform(-0.6, -0.4), 0];
    case 'Pendulum-v1':
      return [rng.uniform(-Math.PI, Math.PI), rng.uniform(-1, 1)];
    default:
      throw new Error(id);
  }
}

/** Observation coordinates that are a plain float32 cast of a reset draw (no sin/cos). */
function exactPart(id: string, state: number[], obs: number[]): [number[], number[]] {
  switch (id) {
    case 'Acrobot-v1':
      return [state.slice(2).map(Math.fround), obs.slice(4)];
    case 'Pendulum-v1':
      return [[Math.fround(state[1])], [obs[2]]];
    default:
      return [state.map(Math.fround), obs];
  }
}

describe.each(ENV_IDS)('Gymnasium draws in %s', (id) => {
  const fx = load(id);

  it('random-episode actions come from Generator(PCG64(action_seed))', () => {
    const eps = fx.episodes.filter((e) => e.action_seed !== null);
    expect(eps.length).toBeGreaterThanOrEqual(10);
    for (const ep of eps) {
      const rng = new Generator(ep.action_seed!);
      const space = fx.action_space;
      const got = ep.actions.map(() =>
        space.type === 'Discrete'
          ? rng.integers(space.n)
          : space.low.map((l, i) => Math.fround(rng.uniform(num(l), num(space.high[i])))),
      );
      expect(got).toEqual(ep.actions);
    }
  });

  it('action_space.sample() after action_space.seed(s)', () => {
    for (const s of fx.action_space_samples) {
      const { rng } = npRandom(s.seed);
      expect(s.samples.map(() => sample(rng, fx.action_space))).toEqual(s.samples);
    }
  });

  it('observation_space.sample() after observation_space.seed(s)', () => {
    for (const s of fx.observation_space_samples) {
      const { rng } = npRandom(s.seed);
      expect(s.samples.map(() => sample(rng, fx.observation_space))).toEqual(s.samples);
    }
  });

  it('reset(seed=s) then reset() continues the same stream', () => {
    for (const r of fx.reset_sequences) {
      const { rng } = npRandom(r.seed);
      for (const obs of r.observations) {
        const [want, got] = exactPart(id, resetDraws(id, rng), obs);
        expect(got).toEqual(want);
      }
    }
  });
});

/** Checks shared by the agent tests. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { ReplayBuffer, RolloutBuffer } from '../../src/agents/buffers.js';
import type { Agent } from '../../src/agents/types.js';
import { runEpisodes } from '../../src/evaluation/runner.js';
import { parseStateDictJson, type StateDict } from '../../src/nn/state-dict.js';
import type { Param } from '../../src/nn/tensor.js';

/**
 * Mean deterministic return of `agent` over `episodes` episodes of `envId` with seeds
 * 1000, 1001, … — played by the engine's own episode runner.
 */
export function meanReturn(agent: Agent, envId: string, episodes: number): number {
  const { episodes: played } = runEpisodes(agent, { envId, episodes, baseSeed: 1000, deterministic: true });
  return played.reduce((sum, e) => sum + e.return, 0) / episodes;
}

/**
 * Asserts that `analytic` (one gradient array per parameter) matches central finite
 * differences of `loss` over every element of `params`: |fd − analytic| < 5e-4·max(1, |analytic|).
 * The step is divided by the difference of the stored float32 values, not by 2h.
 */
export function expectFiniteDifferences(
  params: readonly Param[],
  analytic: readonly Float64Array[],
  loss: () => number,
  h = 3e-3,
): void {
  params.forEach((p, pi) => {
    for (let k = 0; k < p.size; k++) {
      const x = p.data[k];
      p.data[k] = x + h;
      const up = p.data[k];
      const lUp = loss();
      p.data[k] = x - h;
      const down = p.data[k];
      const lDown = loss();
      p.data[k] = x;
      const fd = (lUp - lDown) / (up - down);
      const a = analytic[pi][k];
      expect(Math.abs(fd - a), `${p.name}[${k}]: fd ${fd}, analytic ${a}`).toBeLessThan(
        5e-4 * Math.max(1, Math.abs(a)),
      );
    }
  });
}

/** A Stable-Baselines3 training fixture of scripts/fixtures/sb3_updates.py (see its README). */
export interface Sb3UpdateFixture {
  env_id: string;
  seed: number;
  hyperparameters: Record<string, unknown>;
  initial: StateDict;
  transitions: {
    count: number;
    obs: Float32Array;
    nextObs: Float32Array;
    action: Float32Array;
    reward: number[];
    terminated: boolean[];
  };
  phases: { gradient_steps: number; losses: Record<string, number>; state_dict: StateDict }[];
}

function base64Floats(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** test/fixtures/agents/sb3-<name>-updates.json as parsed JSON, and the fields every file starts with. */
function readSb3Fixture(name: string) {
  const raw = JSON.parse(
    readFileSync(new URL(`../fixtures/agents/sb3-${name}-updates.json`, import.meta.url), 'utf8'),
  );
  const header = {
    env_id: raw.env_id as string,
    seed: raw.seed as number,
    hyperparameters: raw.hyperparameters as Record<string, unknown>,
    initial: parseStateDictJson(raw.initial),
  };
  return { raw, header };
}

/** Reads test/fixtures/agents/sb3-<name>-updates.json. */
export function readSb3UpdateFixture(name: 'dqn' | 'ddpg'): Sb3UpdateFixture {
  const { raw, header } = readSb3Fixture(name);
  const t = raw.transitions;
  return {
    ...header,
    transitions: {
      count: t.count,
      obs: base64Floats(t.obs),
      nextObs: base64Floats(t.next_obs),
      action: base64Floats(t.action),
      reward: t.reward,
      terminated: t.terminated,
    },
    phases: raw.phases.map(
      (p: { gradient_steps: number; losses: Record<string, number>; state_dict: unknown }) => ({
        gradient_steps: p.gradient_steps,
        losses: p.losses,
        state_dict: parseStateDictJson(p.state_dict),
      }),
    ),
  };
}

/** A replay buffer holding the fixture's transitions, in order. */
export function sb3FixtureReplay(fx: Sb3UpdateFixture, capacity: number): ReplayBuffer {
  const t = fx.transitions;
  const obsDim = t.obs.length / t.count;
  const actDim = t.action.length / t.count;
  const replay = new ReplayBuffer(capacity, obsDim, actDim);
  for (let i = 0; i < t.count; i++) {
    replay.add(t.obs, i, t.nextObs, i, t.action, i, t.reward[i], t.terminated[i]);
  }
  return replay;
}

/**
 * Asserts that every tensor of `expected` (SB3's, after a phase) is within `tolerance` of
 * `actual`'s, and moved by more than `minMove` from `before` (so that the comparison means
 * something).
 */
export function expectCloseStateDict(
  actual: StateDict,
  expected: StateDict,
  before: StateDict,
  tolerance: number,
  minMove: number,
): void {
  for (const [name, want] of expected) {
    const got = actual.get(name);
    expect(got, name).toBeDefined();
    const start = before.get(name) ?? before.get(name.replace('_target.', '.'))!;
    let diff = 0;
    let moved = 0;
    for (let i = 0; i < want.data.length; i++) {
      diff = Math.max(diff, Math.abs(got!.data[i] - want.data[i]));
      moved = Math.max(moved, Math.abs(want.data[i] - start.data[i]));
    }
    expect(diff, `${name}: largest |ours − SB3|`).toBeLessThan(tolerance);
    expect(moved, `${name}: largest move in SB3`).toBeGreaterThan(minMove);
  }
}

/** An on-policy fixture of scripts/fixtures/sb3_updates.py: SB3 rollouts and the updates on them. */
export interface Sb3OnPolicyFixture {
  env_id: string;
  seed: number;
  hyperparameters: Record<string, unknown>;
  initial: StateDict;
  updates: {
    rollout: Record<
      | 'obs'
      | 'actions'
      | 'rewards'
      | 'episode_starts'
      | 'values'
      | 'log_probs'
      | 'last_values'
      | 'last_dones'
      | 'advantages'
      | 'returns',
      Float32Array
    >;
    episode_ends: number;
    losses: Record<string, number>;
    state_dict: StateDict;
  }[];
}

/** Reads test/fixtures/agents/sb3-<name>-updates.json (PPO or A2C). */
export function readSb3OnPolicyFixture(name: 'ppo' | 'a2c'): Sb3OnPolicyFixture {
  const { raw, header } = readSb3Fixture(name);
  return {
    ...header,
    updates: raw.updates.map(
      (u: {
        rollout: Record<string, string>;
        episode_ends: number;
        losses: Record<string, number>;
        state_dict: unknown;
      }) => ({
        rollout: Object.fromEntries(Object.entries(u.rollout).map(([k, v]) => [k, base64Floats(v)])),
        episode_ends: u.episode_ends,
        losses: u.losses,
        state_dict: parseStateDictJson(u.state_dict),
      }),
    ),
  };
}

/**
 * A rollout buffer holding one fixture rollout, with GAE computed by tars-eval; asserts that
 * its advantages and returns match SB3's.
 */
export function sb3FixtureRollout(
  rollout: Sb3OnPolicyFixture['updates'][number]['rollout'],
  hp: { n_steps: number; n_envs: number; gamma: number; gae_lambda: number },
  obsDim: number,
  actDim: number,
): RolloutBuffer {
  const r = rollout;
  const nEnvs = hp.n_envs;
  const buffer = new RolloutBuffer(hp.n_steps, nEnvs, obsDim, actDim);
  for (let step = 0; step < hp.n_steps; step++) {
    const rows = (x: Float32Array, width = 1) => x.subarray(step * nEnvs * width, (step + 1) * nEnvs * width);
    buffer.add(
      rows(r.obs, obsDim),
      rows(r.actions, actDim),
      rows(r.rewards),
      rows(r.episode_starts),
      rows(r.values),
      rows(r.log_probs),
    );
  }
  buffer.computeReturnsAndAdvantage(r.last_values, r.last_dones, hp.gamma, hp.gae_lambda);
  for (let i = 0; i < buffer.size; i++) {
    expect(Math.abs(buffer.advantages[i] - r.advantages[i]), `advantage ${i}`).toBeLessThan(1e-5);
    expect(Math.abs(buffer.returns[i] - r.returns[i]), `return ${i}`).toBeLessThan(1e-5);
  }
  return buffer;
}

/** |ours − SB3| of a logged loss within float32 rounding: relative 1e-5, absolute 1e-6. */
export function expectCloseLoss(name: string, ours: number, sb3: number): void {
  // Means of float32 terms that partly cancel (a policy loss near 0) round to about 1e-7.
  expect(Math.abs(ours - sb3), name).toBeLessThan(1e-5 * Math.abs(sb3) + 1e-6);
}

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { readSafetensors } from '../../src/nn/safetensors.js';
import {
  completeStateDict,
  expectedLayout,
  type Sb3LayoutEntry,
  validateStateDict,
} from '../../src/nn/sb3-layout.js';
import type { StateDict } from '../../src/nn/state-dict.js';

/** A state dict that conforms to `layout`, with values that identify each tensor. */
function conforming(
  layout: readonly Sb3LayoutEntry[],
  skip: (name: string) => boolean = () => false,
): StateDict {
  const sd: StateDict = new Map();
  layout.forEach((e, k) => {
    if (skip(e.name)) return;
    const n = e.shape.reduce((a, b) => a * b, 1);
    sd.set(e.name, { shape: [...e.shape], data: new Float32Array(n).fill(k + 1) });
  });
  return sd;
}

function validationMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  }
  throw new Error('expected a ValidationError');
}

const asPairs = (layout: Sb3LayoutEntry[]): [string, number[]][] => layout.map((e) => [e.name, e.shape]);

describe('expectedLayout', () => {
  // Expected names and shapes written out by hand from SB3 2.x source (policies.py
  // ActorCriticPolicy._build, torch_layers.py MlpExtractor/create_mlp, dqn/policies.py,
  // td3/policies.py): Linear weight [out, in], Linear modules at Sequential indices 0, 2, 4.
  it('PPO / A2C on CartPole (obs 4, Discrete 2), default net_arch [64, 64]', () => {
    const expected: [string, number[]][] = [
      ['mlp_extractor.policy_net.0.weight', [64, 4]],
      ['mlp_extractor.policy_net.0.bias', [64]],
      ['mlp_extractor.policy_net.2.weight', [64, 64]],
      ['mlp_extractor.policy_net.2.bias', [64]],
      ['mlp_extractor.value_net.0.weight', [64, 4]],
      ['mlp_extractor.value_net.0.bias', [64]],
      ['mlp_extractor.value_net.2.weight', [64, 64]],
      ['mlp_extractor.value_net.2.bias', [64]],
      ['action_net.weight', [2, 64]],
      ['action_net.bias', [2]],
      ['value_net.weight', [1, 64]],
      ['value_net.bias', [1]],
    ];
    for (const type of ['ppo', 'a2c'] as const) {
      expect(asPairs(expectedLayout(type, { obsDim: 4, action: { kind: 'discrete', n: 2 } }))).toEqual(
        expected,
      );
    }
  });

  it('PPO on Pendulum (obs 3, Box 1): log_std first, Gaussian mean head', () => {
    const layout = expectedLayout('ppo', { obsDim: 3, action: { kind: 'box', dim: 1 } });
    expect(layout[0]).toEqual({ name: 'log_std', shape: [1] });
    expect(layout.find((e) => e.name === 'action_net.weight')!.shape).toEqual([1, 64]);
    expect(layout).toHaveLength(13);
  });

  it('PPO with dict(pi, vf) net_arch, including an empty side', () => {
    const layout = expectedLayout('ppo', {
      obsDim: 6,
      action: { kind: 'discrete', n: 3 },
      netArch: { pi: [32], vf: [] },
    });
    expect(asPairs(layout)).toEqual([
      ['mlp_extractor.policy_net.0.weight', [32, 6]],
      ['mlp_extractor.policy_net.0.bias', [32]],
      ['action_net.weight', [3, 32]],
      ['action_net.bias', [3]],
      ['value_net.weight', [1, 6]], // no hidden value layers: latent_vf is the feature size
      ['value_net.bias', [1]],
    ]);
  });

  it('DQN on CartPole with the zoo net_arch [256, 256]: online and target q_net', () => {
    const layout = expectedLayout('dqn', {
      obsDim: 4,
      action: { kind: 'discrete', n: 2 },
      netArch: [256, 256],
    });
    expect(asPairs(layout)).toEqual([
      ['q_net.q_net.0.weight', [256, 4]],
      ['q_net.q_net.0.bias', [256]],
      ['q_net.q_net.2.weight', [256, 256]],
      ['q_net.q_net.2.bias', [256]],
      ['q_net.q_net.4.weight', [2, 256]],
      ['q_net.q_net.4.bias', [2]],
      ['q_net_target.q_net.0.weight', [256, 4]],
      ['q_net_target.q_net.0.bias', [256]],
      ['q_net_target.q_net.2.weight', [256, 256]],
      ['q_net_target.q_net.2.bias', [256]],
      ['q_net_target.q_net.4.weight', [2, 256]],
      ['q_net_target.q_net.4.bias', [2]],
    ]);
    expect(layout[6].targetOf).toBe('q_net.q_net.0.weight');
    expect(layout[0].targetOf).toBeUndefined();
  });

  it('DDPG on Pendulum (obs 3, Box 1), default [400, 300]: critic input is obs + action', () => {
    const layout = expectedLayout('ddpg', { obsDim: 3, action: { kind: 'box', dim: 1 } });
    const actor: [string, number[]][] = [
      ['mu.0.weight', [400, 3]],
      ['mu.0.bias', [400]],
      ['mu.2.weight', [300, 400]],
      ['mu.2.bias', [300]],
      ['mu.4.weight', [1, 300]],
      ['mu.4.bias', [1]],
    ];
    const critic: [string, number[]][] = [
      ['qf0.0.weight', [400, 4]],
      ['qf0.0.bias', [400]],
      ['qf0.2.weight', [300, 400]],
      ['qf0.2.bias', [300]],
      ['qf0.4.weight', [1, 300]],
      ['qf0.4.bias', [1]],
    ];
    expect(asPairs(layout)).toEqual([
      ...actor.map(([n, s]): [string, number[]] => [`actor.${n}`, s]),
      ...actor.map(([n, s]): [string, number[]] => [`actor_target.${n}`, s]),
      ...critic.map(([n, s]): [string, number[]] => [`critic.${n}`, s]),
      ...critic.map(([n, s]): [string, number[]] => [`critic_target.${n}`, s]),
    ]);
    const split = expectedLayout('ddpg', {
      obsDim: 2,
      action: { kind: 'box', dim: 1 },
      netArch: { pi: [16], qf: [8, 8] },
    });
    expect(split.filter((e) => e.name.startsWith('actor.'))).toHaveLength(4);
    expect(split.filter((e) => e.name.startsWith('critic.'))).toHaveLength(6);
    expect(split.find((e) => e.name === 'critic.qf0.0.weight')!.shape).toEqual([8, 3]);
  });

  it('rejects impossible combinations and malformed sizes', () => {
    expect(
      validationMessage(() => expectedLayout('dqn', { obsDim: 3, action: { kind: 'box', dim: 1 } })),
    ).toMatch(/DQN needs a Discrete action space/);
    expect(
      validationMessage(() => expectedLayout('ddpg', { obsDim: 4, action: { kind: 'discrete', n: 2 } })),
    ).toMatch(/DDPG needs a Box action space/);
    expect(
      validationMessage(() =>
        expectedLayout('ppo', { obsDim: 4, action: { kind: 'discrete', n: 2 }, netArch: [64, 0] }),
      ),
    ).toMatch(/sizes must be positive integers, got 0/);
    expect(
      validationMessage(() => expectedLayout('ppo', { obsDim: 0, action: { kind: 'discrete', n: 2 } })),
    ).toMatch(/obsDim/);
    expect(
      validationMessage(() =>
        expectedLayout('ddpg', { obsDim: 3, action: { kind: 'box', dim: 1 }, netArch: { pi: [8] } }),
      ),
    ).toMatch(/needs both pi and qf/);
    expect(
      validationMessage(() =>
        expectedLayout('dqn', { obsDim: 3, action: { kind: 'discrete', n: 2 }, netArch: { pi: [8] } }),
      ),
    ).toMatch(/DQN net_arch must be a list/);
  });
});

describe('validateStateDict', () => {
  const dqnLayout = expectedLayout('dqn', { obsDim: 4, action: { kind: 'discrete', n: 2 } });
  const ppoLayout = expectedLayout('ppo', { obsDim: 3, action: { kind: 'box', dim: 1 } });

  it('accepts a conforming dict, with or without target networks', () => {
    expect(validateStateDict(conforming(ppoLayout), ppoLayout).missingTargets).toEqual([]);
    expect(validateStateDict(conforming(dqnLayout), dqnLayout).missingTargets).toEqual([]);
    const onlineOnly = conforming(dqnLayout, (n) => n.startsWith('q_net_target.'));
    expect(validateStateDict(onlineOnly, dqnLayout).missingTargets.map((e) => e.name)).toEqual(
      dqnLayout.filter((e) => e.targetOf).map((e) => e.name),
    );
  });

  it('accepts the spec-built SB3 PPO safetensors fixture', () => {
    const bytes = new Uint8Array(
      readFileSync(new URL('../fixtures/nn/ppo_tiny_f32.safetensors', import.meta.url)),
    );
    const layout = expectedLayout('ppo', { obsDim: 4, action: { kind: 'discrete', n: 2 }, netArch: [8, 8] });
    expect(() => validateStateDict(readSafetensors(bytes), layout)).not.toThrow();
  });

  it('rejects a missing tensor, naming it and its expected shape', () => {
    const sd = conforming(ppoLayout, (n) => n === 'log_std');
    expect(validationMessage(() => validateStateDict(sd, ppoLayout))).toMatch(
      /missing tensor "log_std" \(expected shape \[1\]\)/,
    );
  });

  it('rejects an unexpected extra tensor', () => {
    const sd = conforming(dqnLayout);
    sd.set('q_net.q_net.6.weight', { shape: [2, 2], data: new Float32Array(4) });
    expect(validationMessage(() => validateStateDict(sd, dqnLayout))).toMatch(
      /unexpected tensor "q_net.q_net.6.weight" \(shape \[2, 2\]\)/,
    );
  });

  it('rejects a shape mismatch with the expected and actual shape', () => {
    const sd = conforming(ppoLayout);
    sd.set('action_net.weight', { shape: [64, 1], data: new Float32Array(64) });
    expect(validationMessage(() => validateStateDict(sd, ppoLayout))).toMatch(
      /tensor "action_net.weight" has shape \[64, 1\], expected \[1, 64\]/,
    );
    const wrongLength = conforming(ppoLayout);
    wrongLength.set('value_net.bias', { shape: [1], data: new Float32Array(2) });
    expect(validationMessage(() => validateStateDict(wrongLength, ppoLayout))).toMatch(
      /tensor "value_net.bias" has 2 values for shape \[1\]/,
    );
  });

  it('rejects a partly present target network and missing online tensors even when targets exist', () => {
    const partial = conforming(dqnLayout, (n) => n === 'q_net_target.q_net.4.bias');
    expect(validationMessage(() => validateStateDict(partial, dqnLayout))).toMatch(
      /missing tensor "q_net_target.q_net.4.bias" \(expected shape \[2\]\)/,
    );
    const noOnline = conforming(dqnLayout, (n) => n === 'q_net.q_net.0.weight');
    expect(validationMessage(() => validateStateDict(noOnline, dqnLayout))).toMatch(
      /missing tensor "q_net.q_net.0.weight"/,
    );
  });

  it('lists every problem in one error and in details.problems', () => {
    const sd = conforming(ppoLayout, (n) => n === 'value_net.bias');
    sd.set('extra', { shape: [1], data: new Float32Array(1) });
    sd.set('log_std', { shape: [2], data: new Float32Array(2) });
    try {
      validateStateDict(sd, ppoLayout);
      expect.unreachable();
    } catch (err) {
      const e = err as ValidationError;
      expect(e.details?.field).toBe('agent_state');
      expect(e.details?.problems).toEqual([
        'tensor "log_std" has shape [2], expected [1]',
        'missing tensor "value_net.bias" (expected shape [1])',
        'unexpected tensor "extra" (shape [1])',
      ]);
    }
  });
});

describe('completeStateDict', () => {
  it('copies absent target networks from the online ones, in layout order, without sharing buffers', () => {
    const layout = expectedLayout('ddpg', { obsDim: 2, action: { kind: 'box', dim: 1 }, netArch: [4] });
    const sd = conforming(layout, (n) => n.includes('_target.'));
    const full = completeStateDict(sd, layout);
    expect([...full.keys()]).toEqual(layout.map((e) => e.name));
    expect(Array.from(full.get('actor_target.mu.0.weight')!.data)).toEqual(
      Array.from(sd.get('actor.mu.0.weight')!.data),
    );
    expect(Array.from(full.get('critic_target.qf0.2.bias')!.data)).toEqual(
      Array.from(sd.get('critic.qf0.2.bias')!.data),
    );
    full.get('actor_target.mu.0.weight')!.data[0] = -99;
    expect(sd.get('actor.mu.0.weight')!.data[0]).not.toBe(-99);
    expect(full.get('actor.mu.0.weight')!.data).not.toBe(sd.get('actor.mu.0.weight')!.data);
  });

  it('keeps targets that are given', () => {
    const layout = expectedLayout('dqn', { obsDim: 2, action: { kind: 'discrete', n: 2 }, netArch: [3] });
    const sd = conforming(layout);
    const full = completeStateDict(sd, layout);
    expect(full.get('q_net_target.q_net.0.weight')!.data[0]).toBe(
      sd.get('q_net_target.q_net.0.weight')!.data[0],
    );
    expect(full.get('q_net_target.q_net.0.weight')!.data[0]).not.toBe(
      full.get('q_net.q_net.0.weight')!.data[0],
    );
  });
});

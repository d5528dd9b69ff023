import { describe, expect, it } from 'vitest';
import {
  AGENT_TYPES,
  describeHyperparameters,
  parseAgentType,
  resolveHyperparameters,
  scheduleValue,
} from '../../src/agents/hyperparameters.js';
import { ValidationError } from '../../src/errors.js';

function errorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('hyperparameter schemas', () => {
  it('fills in Stable-Baselines3 defaults', () => {
    const ppo = resolveHyperparameters('ppo');
    expect(ppo.n_steps).toBe(2048);
    expect(ppo.batch_size).toBe(64);
    expect(ppo.learning_rate).toEqual({ kind: 'constant', value: 3e-4 });
    expect(ppo.net_arch).toEqual([64, 64]);
    expect(ppo.activation).toBe('tanh');
    const a2c = resolveHyperparameters('a2c');
    expect(a2c.n_steps).toBe(5);
    expect(a2c.gae_lambda).toBe(1);
    expect(a2c.normalize_advantage).toBe(false);
    const dqn = resolveHyperparameters('dqn');
    expect(dqn.target_update_interval).toBe(10_000);
    expect(dqn.exploration_final_eps).toBe(0.05);
    expect(dqn.tau).toBe(1);
    expect(dqn.activation).toBe('relu');
    const ddpg = resolveHyperparameters('ddpg');
    expect(ddpg.net_arch).toEqual([400, 300]);
    expect(ddpg.action_noise).toBeNull();
  });

  it('parses RL Zoo linear schedules and evaluates them with progress remaining', () => {
    const ppo = resolveHyperparameters('ppo', { learning_rate: 'lin_1e-3', clip_range: 'lin_0.2' });
    expect(ppo.learning_rate).toEqual({ kind: 'linear', initial: 1e-3 });
    expect(scheduleValue(ppo.learning_rate, 1)).toBeCloseTo(1e-3, 15);
    expect(scheduleValue(ppo.learning_rate, 0.25)).toBeCloseTo(2.5e-4, 15);
    expect(scheduleValue(ppo.clip_range, 0)).toBe(0);
    expect(errorOf(() => resolveHyperparameters('ppo', { learning_rate: 'lin_abc' })).message).toMatch(
      /hyperparameters\.learning_rate/,
    );
  });

  it('rejects unknown names and out-of-range values naming the field', () => {
    const unknown = errorOf(() => resolveHyperparameters('dqn', { clip_range: 0.2 }));
    expect(unknown.message).toContain('hyperparameters.clip_range');
    expect(unknown.details).toEqual({ field: 'hyperparameters.clip_range' });
    expect(errorOf(() => resolveHyperparameters('ppo', { gamma: 1.5 })).message).toMatch(/gamma must be ≤ 1/);
    expect(errorOf(() => resolveHyperparameters('ppo', { n_steps: 2.5 })).message).toMatch(
      /n_steps must be an integer/,
    );
    expect(errorOf(() => resolveHyperparameters('ddpg', { tau: 0 })).message).toMatch(/tau must be > 0/);
    expect(errorOf(() => resolveHyperparameters('ppo', { net_arch: [64, 0] })).details).toEqual({
      field: 'hyperparameters.net_arch[1]',
    });
    expect(errorOf(() => resolveHyperparameters('ppo', { activation: 'gelu' })).message).toMatch(
      /activation/,
    );
    expect(errorOf(() => resolveHyperparameters('ppo', [] as unknown)).message).toMatch(/must be an object/);
  });

  it('treats epsilon as a fixed exploration rate for DQN', () => {
    const dqn = resolveHyperparameters('dqn', { epsilon: 0.1 });
    expect(dqn.exploration_initial_eps).toBe(0.1);
    expect(dqn.exploration_final_eps).toBe(0.1);
  });

  it('validates action noise', () => {
    const ddpg = resolveHyperparameters('ddpg', { action_noise: { type: 'normal', sigma: 0.1 } });
    expect(ddpg.action_noise).toEqual({ type: 'normal', sigma: 0.1, theta: 0.15, dt: 0.01 });
    expect(errorOf(() => resolveHyperparameters('ddpg', { action_noise: { type: 'pink' } })).message).toMatch(
      /action_noise\.type/,
    );
    expect(
      errorOf(() => resolveHyperparameters('ddpg', { action_noise: { type: 'normal', mu: 1 } })).message,
    ).toMatch(/action_noise\.mu/);
  });

  it('accepts agent types in either case and rejects others', () => {
    expect(parseAgentType('PPO')).toBe('ppo');
    expect(parseAgentType(' Dqn ')).toBe('dqn');
    expect(errorOf(() => parseAgentType('sac')).message).toMatch(
      /agent_type must be one of dqn, a2c, ppo, ddpg/,
    );
  });

  it('describes every field of every agent type', () => {
    for (const t of AGENT_TYPES) {
      const rows = describeHyperparameters(t);
      expect(rows.length).toBeGreaterThan(8);
      for (const r of rows) expect(r.description.length).toBeGreaterThan(5);
    }
  });
});

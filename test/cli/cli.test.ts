import { afterEach, describe, expect, it, vi } from 'vitest';
import { demoRollouts } from '../../src/cli/commands/demo.js';
import { main } from '../../src/cli/main.js';
import { packageVersion } from '../../src/version.js';

function capture(): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  return { out: () => out, err: () => err };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('tars-eval CLI', () => {
  it('prints the package version', async () => {
    const io = capture();
    expect(await main(['node', 'tars-eval', '--version'])).toBe(0);
    expect(io.out().trim()).toBe(packageVersion());
  });

  it('lists every environment with its spaces, limits and thresholds as JSON', async () => {
    const io = capture();
    expect(await main(['node', 'tars-eval', 'envs', '--json'])).toBe(0);
    const doc = JSON.parse(io.out()) as Array<Record<string, unknown>>;
    const byId = new Map(doc.map((e) => [e.id, e]));
    expect(byId.get('CartPole-v1')).toMatchObject({
      max_episode_steps: 500,
      reward_threshold: 475,
      action_space: { type: 'Discrete', n: 2 },
    });
    expect(byId.get('Pendulum-v1')).toMatchObject({
      max_episode_steps: 200,
      reward_threshold: null,
      continuous: true,
    });
    expect(byId.get('MountainCarContinuous-v0')).toMatchObject({
      max_episode_steps: 999,
      reward_threshold: 90,
    });
    expect([...byId.keys()]).toEqual(
      expect.arrayContaining(['Acrobot-v1', 'MountainCar-v0', 'LunarLander-v3', 'LunarLanderContinuous-v3']),
    );
  });

  it('prints a table by default', async () => {
    const io = capture();
    expect(await main(['node', 'tars-eval', 'envs'])).toBe(0);
    expect(io.out()).toMatch(/^id\s+observation space\s+action space\s+max steps/);
    expect(io.out()).toContain('Discrete(3)');
  });

  it('exits 2 with the valid ids on an unknown environment', async () => {
    const io = capture();
    expect(await main(['node', 'tars-eval', 'demo', '--env', 'Cartpole-v1'])).toBe(2);
    expect(io.err()).toContain('did you mean CartPole-v1');
  });

  it('rejects a malformed option value', async () => {
    capture();
    expect(await main(['node', 'tars-eval', 'demo', '--episodes', 'ten'])).not.toBe(0);
  });
});

describe('demo rollouts', () => {
  it('are reproducible for a seed and differ across seeds', () => {
    const a = demoRollouts('CartPole-v1', 5, 3);
    const b = demoRollouts('CartPole-v1', 5, 3);
    const c = demoRollouts('CartPole-v1', 5, 4);
    expect(a.meanReturn).toBe(b.meanReturn);
    expect(a.meanLength).toBe(b.meanLength);
    expect(c.meanReturn).not.toBe(a.meanReturn);
    // every CartPole step pays +1, so the return equals the episode length
    expect(a.meanReturn).toBe(a.meanLength);
  });

  it('lands LunarLander with the heuristic controller', () => {
    const r = demoRollouts('LunarLanderContinuous-v3', 5, 0);
    expect(r.policy).toBe('heuristic');
    expect(r.meanReturn).toBeGreaterThan(100);
  });
});

describe('tars-eval train', () => {
  it('trains, writes safetensors weights and a JSON sidecar that load back into the same policy', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { readSafetensors } = await import('../../src/nn/safetensors.js');
    const { createAgent } = await import('../../src/agents/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'tars-train-'));
    const out = join(dir, 'a2c.safetensors');
    const io = capture();
    const args = ['--agent', 'A2C', '--env', 'CartPole-v1', '--timesteps', '2000', '--seed', '4'];
    const code = await main(['node', 'tars-eval', 'train', ...args, '--out', out, '--eval-episodes', '5']);
    expect(code).toBe(0);
    expect(io.out()).toMatch(/trained a2c on CartPole-v1: 2000 steps/);
    const sidecar = JSON.parse(readFileSync(join(dir, 'a2c.json'), 'utf8'));
    expect(sidecar).toMatchObject({
      agent_type: 'a2c',
      environment: 'CartPole-v1',
      seed: 4,
      total_timesteps: 2000,
    });
    expect(sidecar.evaluation.episodes).toBe(5);
    const weights = readSafetensors(readFileSync(out));
    expect([...weights.keys()]).toContain('action_net.weight');
    const agent = createAgent('a2c', {}, weights, { envId: 'CartPole-v1' });
    expect(agent.act(new Float32Array([0, 0, 0.05, 0]))).toBeTypeOf('number');
  });

  it('rejects bad hyperparameters naming the field', async () => {
    const io = capture();
    const code = await main([
      'node',
      'tars-eval',
      'train',
      '--agent',
      'dqn',
      '--env',
      'CartPole-v1',
      '--timesteps',
      '10',
      '--hyperparameters',
      '{"clip_range": 0.2}',
    ]);
    expect(code).toBe(2);
    expect(io.err()).toContain('hyperparameters.clip_range');
  });
});

describe('tars-eval evaluate', () => {
  it('prints JSON, and exits 3 when a regression against the baseline calls for rollback', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { writeSafetensors } = await import('../../src/nn/safetensors.js');
    const { createAgent } = await import('../../src/agents/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'tars-eval-'));
    const state = join(dir, 'untrained.safetensors');
    const agent = createAgent('ppo', {}, undefined, { envId: 'CartPole-v1' }, { seed: 2 });
    writeFileSync(state, writeSafetensors(agent.stateDict()));
    const args = [
      '--agent',
      'ppo',
      '--state',
      state,
      '--env',
      'CartPole-v1',
      '--episodes',
      '20',
      '--threads',
      '0',
    ];

    let io = capture();
    expect(await main(['node', 'tars-eval', 'evaluate', ...args, '--json'])).toBe(0);
    const doc = JSON.parse(io.out());
    expect(doc.results['CartPole-v1'].metrics.num_episodes).toBe(20);
    expect(doc.overall.should_rollback).toBe(false);
    vi.restoreAllMocks();

    const baseline = join(dir, 'baseline.json');
    writeFileSync(
      baseline,
      JSON.stringify({ 'CartPole-v1': { num_episodes: 100, mean_reward: 490, std_reward: 15 } }),
    );
    io = capture();
    process.exitCode = undefined;
    expect(await main(['node', 'tars-eval', 'evaluate', ...args, '--baseline', baseline])).toBe(0);
    expect(process.exitCode).toBe(3);
    process.exitCode = undefined;
    expect(io.out()).toMatch(/regression \((high|critical)\)/);
    expect(io.out()).toMatch(/rollback recommended/);

    writeFileSync(baseline, JSON.stringify({ 'CartPole-v1': { mean_reward: 'high' } }));
    io = capture();
    expect(await main(['node', 'tars-eval', 'evaluate', ...args, '--baseline', baseline])).toBe(2);
    expect(io.err()).toMatch(/--baseline CartPole-v1/);
  });
});

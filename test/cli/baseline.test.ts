import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

let dir: string;
const saved = process.env.TARS_DATA_DIR;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tars-baseline-'));
  process.env.TARS_DATA_DIR = dir;
});
afterAll(() => {
  if (saved === undefined) delete process.env.TARS_DATA_DIR;
  else process.env.TARS_DATA_DIR = saved;
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    out += String(c);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    err += String(c);
    return true;
  });
  try {
    return { code: await main(['node', 'tars-eval', ...args]), out, err };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('tars-eval baseline', () => {
  it('sets versions, ranks a clearly better one first, lists and rolls back', async () => {
    const first = join(dir, 'first.json');
    const better = join(dir, 'better.json');
    writeFileSync(
      first,
      JSON.stringify({ 'CartPole-v1': { num_episodes: 100, mean_reward: 400, std_reward: 50 } }),
    );
    writeFileSync(
      better,
      JSON.stringify({
        'CartPole-v1': {
          num_episodes: 100,
          mean_reward: 480,
          std_reward: 20,
          mean_ci: { low: 470, high: 490, level: 0.95 },
        },
      }),
    );
    let r = await run('baseline', 'set', '--agent', 'PPO', '--from', first);
    expect(r.out).toContain('ppo CartPole-v1: version 1, rank 1 (new best)');
    r = await run('baseline', 'set', '--agent', 'ppo', '--from', better);
    expect(r.out).toContain('version 2, rank 1 (new best)');
    r = await run('baseline', 'list', '--agent', 'ppo', '--json');
    const rows = JSON.parse(r.out) as Array<{ version: number; rank: number }>;
    expect(rows.map((b) => [b.version, b.rank])).toEqual([
      [2, 1],
      [1, 2],
    ]);
    r = await run('baseline', 'rollback', '--agent', 'ppo', '--env', 'CartPole-v1', '--reason', 'test');
    expect(r.out).toContain('version 1 is rank 1 again');
    r = await run('baseline', 'list');
    expect(r.out).toMatch(/ppo\s+CartPole-v1\s+1\s+1\s+400/);
    expect(r.out).not.toMatch(/CartPole-v1\s+2\s/);
  }, 60_000);

  it('rejects unknown environments and agent types with exit 2', async () => {
    expect((await run('baseline', 'rollback', '--agent', 'ppo', '--env', 'Nope-v0')).code).toBe(2);
    expect((await run('baseline', 'list', '--agent', 'sac')).code).toBe(2);
  });
});

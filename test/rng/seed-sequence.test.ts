// Known answers: numpy 2.4's SeedSequence (pool, generate_state, spawn), written to
// test/fixtures/rng/seed-sequence.json by scripts/fixtures/rng_fixtures.py.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { SeedSequence } from '../../src/rng/index.js';
import { type JsonInt, type JsonSeed, loadFixture, seedLabel, toInt, toSeed } from './fixtures.js';

interface Fixture {
  cases: {
    entropy: JsonSeed;
    spawn_key: JsonInt[];
    pool: number[];
    state32: number[];
    state64: string[];
  }[];
  spawn: {
    entropy: number;
    calls: { spawn_key: number[]; state32: number[] }[][];
    grandchild: { spawn_key: number[]; state32: number[] };
  };
}

const fx = loadFixture<Fixture>('seed-sequence');

describe('SeedSequence matches numpy', () => {
  it('covers the seeds the fixture promises', () => {
    const labels = fx.cases.map((c) => seedLabel(c.entropy));
    for (const want of [
      '0',
      '1',
      '42',
      '4294967301',
      '[1,2,3]',
      '"340282366920938463463374607431768211455"',
    ]) {
      expect(labels).toContain(want);
    }
    expect(fx.cases.some((c) => c.spawn_key.length > 0)).toBe(true);
  });

  for (const c of fx.cases) {
    it(`entropy ${seedLabel(c.entropy)} spawn_key ${JSON.stringify(c.spawn_key)}`, () => {
      const ss = new SeedSequence(toSeed(c.entropy), c.spawn_key.map(toInt));
      expect(Array.from(ss.pool)).toEqual(c.pool);
      expect(Array.from(ss.generateState32(8))).toEqual(c.state32);
      expect(Array.from(ss.generateState(4), (v) => v.toString())).toEqual(c.state64);
    });
  }

  it('spawn() extends the spawn key and keeps counting across calls', () => {
    const parent = new SeedSequence(fx.spawn.entropy);
    for (const batch of fx.spawn.calls) {
      const kids = parent.spawn(batch.length);
      expect(kids.map((k) => k.spawnKey)).toEqual(batch.map((b) => b.spawn_key));
      expect(kids.map((k) => Array.from(k.generateState32(4)))).toEqual(batch.map((b) => b.state32));
    }
    expect(parent.nChildrenSpawned).toBe(fx.spawn.calls.flat().length);
  });

  it('a child spawns grandchildren under its own key', () => {
    const child = new SeedSequence(fx.spawn.entropy).spawn(2)[1];
    const grandchild = child.spawn(1)[0];
    expect(grandchild.spawnKey).toEqual(fx.spawn.grandchild.spawn_key);
    expect(Array.from(grandchild.generateState32(4))).toEqual(fx.spawn.grandchild.state32);
  });

  it('rejects negative and non-integer seeds', () => {
    expect(() => new SeedSequence(-1)).toThrow(ValidationError);
    expect(() => new SeedSequence(1.5)).toThrow(ValidationError);
    expect(() => new SeedSequence(-3n)).toThrow(ValidationError);
    expect(() => new SeedSequence(1).spawn(-1)).toThrow(ValidationError);
  });
});

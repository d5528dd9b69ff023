// Known answers: numpy 2.4's PCG64 raw stream (random_raw), its seeded state, and
// interleaved next_uint32/next_uint64/next_double calls made through numpy's ctypes entry
// points; test/fixtures/rng/pcg64.json, written by scripts/fixtures/rng_fixtures.py.
import { describe, expect, it } from 'vitest';
import { PCG64 } from '../../src/rng/index.js';
import { type JsonSeed, loadFixture, seedLabel, sha256, toSeed } from './fixtures.js';

interface Fixture {
  streams: { seed: JsonSeed; state: string; inc: string; first: string[]; count: number; sha256: string }[];
  interleaved: {
    seed: number;
    calls: ['u32' | 'u64' | 'double', number | string][];
    final_has_uint32: number;
    final_uinteger: number;
  };
}

const fx = loadFixture<Fixture>('pcg64');

const hex64 = (v: bigint): string => v.toString(16).padStart(16, '0');

describe('PCG64 matches numpy', () => {
  for (const s of fx.streams) {
    describe(`seed ${seedLabel(s.seed)}`, () => {
      it('seeds the same 128-bit state and increment', () => {
        const st = new PCG64(toSeed(s.seed)).getState();
        expect(st.state.toString()).toBe(s.state);
        expect(st.inc.toString()).toBe(s.inc);
      });

      it('emits the same first 1000 uint64 words', () => {
        const g = new PCG64(toSeed(s.seed));
        const got = s.first.map(() => hex64(g.nextUint64()));
        expect(got).toEqual(s.first);
      });

      it(`emits the same ${s.count} words (sha256 of the stream)`, () => {
        const g = new PCG64(toSeed(s.seed));
        const words = new BigUint64Array(s.count);
        for (let i = 0; i < s.count; i++) {
          g.next64();
          words[i] = (BigInt(g.hi) << 32n) | BigInt(g.lo);
        }
        expect(sha256(words)).toBe(s.sha256);
      });
    });
  }

  it('buffers next_uint32 across other draws as numpy does', () => {
    const g = new PCG64(fx.interleaved.seed);
    const got = fx.interleaved.calls.map(([op]) => {
      if (op === 'u32') return g.nextUint32();
      if (op === 'u64') return hex64(g.nextUint64());
      return g.nextDouble();
    });
    expect(got).toEqual(fx.interleaved.calls.map(([, v]) => v));
    const st = g.getState();
    expect(st.hasUint32).toBe(fx.interleaved.final_has_uint32 === 1);
    if (st.hasUint32) expect(st.uinteger).toBe(fx.interleaved.final_uinteger);
  });

  it('nextDouble is (u64 >> 11) * 2^-53 of the same word', () => {
    const a = new PCG64(5);
    const b = new PCG64(5);
    for (let i = 0; i < 1000; i++) {
      const u = a.nextUint64();
      expect(b.nextDouble()).toBe(Number(u >> 11n) * 2 ** -53);
    }
  });

  it('getState/setState resume the stream exactly, including a buffered uint32', () => {
    const a = new PCG64(99);
    for (let i = 0; i < 37; i++) a.nextUint64();
    a.nextUint32(); // leaves the high half buffered
    const saved = a.getState();
    expect(saved.hasUint32).toBe(true);
    const b = new PCG64(0);
    b.setState(saved);
    for (let i = 0; i < 50; i++) {
      expect(b.nextUint32()).toBe(a.nextUint32());
      expect(b.nextUint64()).toBe(a.nextUint64());
    }
  });

  it('steps as state * MULT + inc mod 2^128 (BigInt reference) across carries at every limb', () => {
    // Independent check of the limb arithmetic: states with all-ones limbs force every carry.
    const MULT = 0x2360ed051fc65da44385df649fccf645n;
    const MASK = (1n << 128n) - 1n;
    const rot = (x: bigint, r: bigint): bigint => ((x >> r) | (x << ((64n - r) & 63n))) & ((1n << 64n) - 1n);
    const g = new PCG64(0);
    const states = [MASK, MASK - 1n, 1n << 127n, (1n << 64n) - 1n, 0x0123456789abcdef0fedcba987654321n, 0n];
    for (const state of states) {
      for (const inc of [1n, MASK, 0xda3e39cb94b95bdb0000000000000001n]) {
        g.setState({ state, inc, hasUint32: false, uinteger: 0 });
        const next = (state * MULT + inc) & MASK;
        const out = rot((next >> 64n) ^ (next & ((1n << 64n) - 1n)), next >> 122n);
        expect(g.nextUint64()).toBe(out);
        expect(g.getState().state).toBe(next);
      }
    }
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import {
  MAX_HEADER_BYTES,
  parseSafetensors,
  readSafetensors,
  writeSafetensors,
} from '../../src/nn/safetensors.js';
import { makeTensor, type StateDict } from '../../src/nn/state-dict.js';
import { Generator } from '../../src/rng/index.js';

/**
 * Fixtures from scripts/fixtures/nn_safetensors.py, which assembles the files byte by byte
 * from the format spec (struct + json + numpy; the `safetensors` package itself is not
 * available here) and records the expected float32 values in safetensors.json.
 */
const dir = new URL('../fixtures/nn/', import.meta.url);
const load = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, dir)));
const expected = JSON.parse(readFileSync(new URL('safetensors.json', dir), 'utf8')) as Record<
  string,
  { tensors: Record<string, { shape: number[]; data: number[] }>; metadata: Record<string, string> | null }
>;

function expectValidation(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  expect((caught as Error).message).toMatch(message);
}

/** A file from a header (object or raw text) and a data buffer, with an optional forced length field. */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0), lengthField?: bigint): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = Buffer.from(text, 'utf8');
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const f32 = (values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

describe('readSafetensors on spec-built files', () => {
  for (const name of Object.keys(expected)) {
    it(`reads ${name}`, () => {
      const { tensors, metadata } = parseSafetensors(load(name));
      const exp = expected[name];
      expect(metadata).toEqual(exp.metadata);
      expect([...tensors.keys()].sort()).toEqual(Object.keys(exp.tensors).sort());
      for (const [tname, t] of Object.entries(exp.tensors)) {
        const got = tensors.get(tname)!;
        expect(got.shape).toEqual(t.shape);
        expect(Array.from(got.data)).toEqual(t.data.map(Math.fround));
      }
    });
  }

  it('widens F16 (normal, subnormal, max) and BF16 exactly', () => {
    const h = readSafetensors(load('half_f16.safetensors')).get('h')!;
    expect(Array.from(h.data)).toEqual([1, -2.5, 65504, 2 ** -14, 2 ** -24, 0]);
    const b = readSafetensors(load('bf16.safetensors')).get('b')!;
    expect(b.data[0]).toBe(1);
    expect(b.data[1]).toBe(-0.15625);
  });
});

describe('writeSafetensors', () => {
  it('writes the same bytes as the reference layout (F32, and F64 with metadata)', () => {
    const bytes = load('ppo_tiny_f32.safetensors');
    const sd = readSafetensors(bytes);
    expect(Buffer.from(writeSafetensors(sd)).equals(Buffer.from(bytes))).toBe(true);
    const f64 = load('ppo_tiny_f64_meta.safetensors');
    expect(
      Buffer.from(writeSafetensors(sd, { dtype: 'F64', metadata: { format: 'pt' } })).equals(
        Buffer.from(f64),
      ),
    ).toBe(true);
  });

  it('round-trips names, shapes, values and metadata; pads the header to 8 bytes', () => {
    const rng = new Generator(1);
    const sd: StateDict = new Map();
    for (const [name, shape] of [
      ['z', [3, 5]],
      ['a', [7]],
      ['é', [2, 1, 2]],
      ['scalar', []],
      ['empty', [0]],
    ] as [string, number[]][]) {
      const n = shape.reduce((x, y) => x * y, 1);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = rng.uniform(-5, 5);
      sd.set(name, makeTensor(name, shape, data));
    }
    for (const dtype of ['F32', 'F64'] as const) {
      const bytes = writeSafetensors(sd, { dtype, metadata: { b: '2', a: 'x"y' } });
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(n % 8).toBe(0);
      const back = parseSafetensors(bytes);
      expect(back.metadata).toEqual({ a: 'x"y', b: '2' });
      for (const [name, t] of sd) {
        expect(back.tensors.get(name)!.shape).toEqual(t.shape);
        expect(Array.from(back.tensors.get(name)!.data)).toEqual(Array.from(t.data));
      }
    }
  });

  it('rejects tensors whose data does not match the shape, and reserved names', () => {
    const bad: StateDict = new Map([['w', { shape: [2, 2], data: new Float32Array(3) }]]);
    expectValidation(() => writeSafetensors(bad), /tensor "w": shape \[2, 2\] needs 4 elements, data has 3/);
    const reserved: StateDict = new Map([['__metadata__', makeTensor('m', [1], [1])]]);
    expectValidation(() => writeSafetensors(reserved), /cannot store a tensor named "__metadata__"/);
  });
});

describe('readSafetensors rejects malformed files with a ValidationError', () => {
  const good = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const data = f32([1, 2]);

  it('accepts the minimal well-formed file these cases are derived from', () => {
    expect(Array.from(readSafetensors(craft(good, data)).get('w')!.data)).toEqual([1, 2]);
    // Trailing spaces in the header are allowed padding; tensors may be listed out of offset order.
    const two = {
      b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
    };
    const sd = readSafetensors(craft(`${JSON.stringify(two)}   `, data));
    expect(sd.get('a')!.data[0]).toBe(1);
    expect(sd.get('b')!.data[0]).toBe(2);
  });

  it('truncation', () => {
    expectValidation(
      () => readSafetensors(new Uint8Array(5)),
      /truncated: 5 bytes, fewer than the 8-byte header length/,
    );
    const file = craft(good, data);
    expectValidation(
      () => readSafetensors(file.subarray(0, 20)),
      /truncated: header length is \d+ bytes but only 12 bytes follow/,
    );
    expectValidation(
      () => readSafetensors(file.subarray(0, file.length - 1)),
      /tensor "w" data_offsets end at 8 but the byte buffer has only 7 bytes/,
    );
  });

  it('header length limit and header content', () => {
    expectValidation(
      () => readSafetensors(craft(good, data, BigInt(MAX_HEADER_BYTES) + 1n)),
      /header length 100000001 exceeds the limit of 100000000 bytes/,
    );
    expectValidation(() => readSafetensors(craft(good, data, 2n ** 64n - 1n)), /exceeds the limit/);
    expectValidation(
      () => readSafetensors(craft(`[${JSON.stringify(good)}]`, data)),
      /does not start with '\{'/,
    );
    expectValidation(
      () => readSafetensors(craft('{"w": {"dtype": "F32",', data)),
      /header is not valid JSON/,
    );
    expectValidation(
      () => readSafetensors(craft("{'w': 1}", data)),
      /header is not valid JSON: expected a string key/,
    );
    expectValidation(() => readSafetensors(craft('{} x', data)), /trailing characters/);
    const badUtf8 = craft('{"\u00e9":1}');
    badUtf8[10] = 0xff;
    expectValidation(() => readSafetensors(badUtf8), /not valid UTF-8/);
    expectValidation(
      () => readSafetensors(craft(`{"a":${'['.repeat(100)}${']'.repeat(100)}}`)),
      /nesting deeper than 64/,
    );
  });

  it('duplicate names', () => {
    const text =
      '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expectValidation(() => readSafetensors(craft(text, data)), /duplicate name "w"/);
  });

  it('offsets: out of range, overlapping, gaps, uncovered bytes, reversed', () => {
    expectValidation(
      () => readSafetensors(craft({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, data)),
      /gap in the byte buffer before tensor "w" \(bytes 0 to 8 unused\)/,
    );
    expectValidation(
      () => readSafetensors(craft({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, data)),
      /tensor "w" data_offsets end at 16 but the byte buffer has only 8 bytes/,
    );
    expectValidation(
      () =>
        readSafetensors(
          craft(
            {
              a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
              b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
            },
            data,
          ),
        ),
      /tensor "b" overlaps the previous tensor \(begins at 4, previous ends at 8\)/,
    );
    expectValidation(
      () => readSafetensors(craft({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, data)),
      /4 bytes after the last tensor are not covered/,
    );
    expectValidation(
      () => readSafetensors(craft({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, data)),
      /data_offsets \[8, 4\] end before they begin/,
    );
    expectValidation(
      () => readSafetensors(craft({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8.5] } }, data)),
      /data_offsets must be non-negative integers/,
    );
    expectValidation(
      () => readSafetensors(craft({ w: { dtype: 'F32', shape: [2], data_offsets: [0] } }, data)),
      /data_offsets must be \[begin, end\]/,
    );
  });

  it('shape / byte-count mismatch and bad shapes', () => {
    expectValidation(
      () => readSafetensors(craft({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, data)),
      /tensor "w" of shape \[3\] and dtype F32 needs 12 bytes, data_offsets \[0, 8\] give 8/,
    );
    expectValidation(
      () => readSafetensors(craft({ w: { dtype: 'F64', shape: [2], data_offsets: [0, 8] } }, data)),
      /dtype F64 needs 16 bytes/,
    );
    expectValidation(
      () => readSafetensors(craft({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, data)),
      /shape has a dimension that is not a non-negative integer/,
    );
    expectValidation(
      () =>
        readSafetensors(
          craft({ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, data),
        ),
      /needs .* bytes, data_offsets \[0, 8\] give 8/,
    );
    expectValidation(
      () => readSafetensors(craft({ w: { dtype: 'F32', data_offsets: [0, 8] } }, data)),
      /has no shape array/,
    );
  });

  it('dtypes: known-but-unsupported, unknown, missing; unknown fields; metadata types', () => {
    expectValidation(
      () => readSafetensors(craft({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, data)),
      /tensor "w" has dtype I64; only F32, F64, F16 and BF16 can be loaded/,
    );
    expectValidation(
      () => readSafetensors(craft({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 8] } }, data)),
      /tensor "w" has unknown dtype "F128"/,
    );
    expectValidation(
      () => readSafetensors(craft({ w: { shape: [2], data_offsets: [0, 8] } }, data)),
      /has no string dtype/,
    );
    expectValidation(
      () => readSafetensors(craft({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8], extra: 1 } }, data)),
      /unknown field "extra"/,
    );
    expectValidation(
      () => readSafetensors(craft({ __metadata__: { a: 1 }, ...good }, data)),
      /__metadata__ value of "a" is not a string/,
    );
    expectValidation(() => readSafetensors(craft({ w: [1, 2] }, data)), /tensor "w" must be an object/);
  });

  it('non-finite values and float32 overflow (unless allowed), and the size limit', () => {
    const nan = craft(good, f32([1, Number.NaN]));
    expectValidation(() => readSafetensors(nan), /tensor "w" element 1 is not finite/);
    expect(Number.isNaN(readSafetensors(nan, { allowNonFinite: true }).get('w')!.data[1])).toBe(true);
    const big = new Uint8Array(new Float64Array([1e39]).buffer);
    expectValidation(
      () => readSafetensors(craft({ w: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, big)),
      /element 0 \(1e\+39\) is outside the float32 range/,
    );
    expectValidation(
      () => readSafetensors(craft(good, data), { maxBytes: 16 }),
      /exceeds the limit of 16 bytes/,
    );
  });

  it('never throws anything but ValidationError on randomly corrupted input (fuzz)', () => {
    const rng = new Generator(2024);
    const seeds = [load('ppo_tiny_f32.safetensors'), load('mixed_meta_f64.safetensors'), craft(good, data)];
    const alphabet = Buffer.from('{}[]",: 0123456789-+eE.tfnul\\"F32I64shapedtypedata_offsets__metadata__');
    let accepted = 0;
    let rejected = 0;
    for (let iter = 0; iter < 3000; iter++) {
      const base = seeds[iter % seeds.length];
      let bytes = new Uint8Array(base);
      const mode = rng.integers(0, 6);
      if (mode === 0) {
        bytes = bytes.subarray(0, rng.integers(0, bytes.length + 1)); // truncate
      } else if (mode === 1) {
        const k = rng.integers(1, 9); // random bytes anywhere
        for (let j = 0; j < k; j++) bytes[rng.integers(0, bytes.length)] = rng.integers(0, 256);
      } else if (mode === 2) {
        const n = Number(new DataView(bytes.buffer).getBigUint64(0, true)); // header-only edits from a JSON-ish alphabet
        const k = rng.integers(1, 5);
        for (let j = 0; j < k; j++)
          bytes[8 + rng.integers(0, n)] = alphabet[rng.integers(0, alphabet.length)];
      } else if (mode === 3) {
        new DataView(bytes.buffer).setBigUint64(0, BigInt(rng.integers(0, 2 ** 40)), true); // random length
      } else if (mode === 4) {
        const extra = new Uint8Array(rng.integers(1, 16)); // appended junk
        const grown = new Uint8Array(bytes.length + extra.length);
        grown.set(bytes);
        bytes = grown;
      } else {
        const n = Number(new DataView(bytes.buffer).getBigUint64(0, true)); // delete one header byte
        const cut = 8 + rng.integers(0, n);
        const shorter = new Uint8Array(bytes.length - 1);
        shorter.set(bytes.subarray(0, cut));
        shorter.set(bytes.subarray(cut + 1), cut);
        bytes = shorter;
      }
      try {
        readSafetensors(bytes, { allowNonFinite: rng.random() < 0.5 });
        accepted++;
      } catch (err) {
        if (!(err instanceof ValidationError))
          throw new Error(`mode ${mode}, iteration ${iter}: ${String(err)}`);
        expect(err.message).toMatch(/^invalid safetensors: /);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(1000);
    expect(accepted).toBeGreaterThan(0); // data-only byte flips leave valid files
  });
});

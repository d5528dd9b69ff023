import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import {
  cloneStateDict,
  makeTensor,
  parseStateDictJson,
  type StateDict,
  stateDictToJson,
  toNested,
} from '../../src/nn/state-dict.js';
import { Generator } from '../../src/rng/index.js';

// Base64 strings below were produced by Python: base64.b64encode(struct.pack('<2f', 1.0, -2.0))
// and likewise for the other values named next to them.
const B64_ONE_MINUS_TWO = 'AACAPwAAAMA='; // float32 [1, -2]
const B64_F64_POINT1_1E39 = 'mpmZmZmZuT8dSpz0h4IHSA=='; // float64 [0.1, 1e39]
const B64_F32_NAN = 'AADAfw=='; // float32 [NaN]
const B64_HALF_QUARTER_THREE = 'AAAAPwAAgD4AAEBA'; // float32 [0.5, 0.25, 3]

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

describe('parseStateDictJson: accepted forms', () => {
  it('nested arrays, flat arrays, base64 float32/float64, bare arrays and 0-d values', () => {
    const sd = parseStateDictJson({
      'a.weight': {
        shape: [2, 3],
        data: [
          [1, 2, 3],
          [4, 5, 6],
        ],
      },
      'a.flat': { shape: [3, 2], data: [1, 2, 3, 4, 5, 6] },
      'b.bias': { shape: [2], dtype: 'float32', data_base64: B64_ONE_MINUS_TWO },
      'b.default_dtype': { shape: [3], data_base64: B64_HALF_QUARTER_THREE },
      'c.f64': { shape: [1, 1], dtype: 'float64', data_base64: 'mpmZmZmZuT8=' }, // float64 [0.1]
      log_std: [0, -0.5],
      scalar: 2.5,
      scalar_obj: { shape: [], data: 7 },
      empty: { shape: [0, 4], data: [] },
    });
    expect([...sd.keys()]).toEqual([
      'a.weight',
      'a.flat',
      'b.bias',
      'b.default_dtype',
      'c.f64',
      'log_std',
      'scalar',
      'scalar_obj',
      'empty',
    ]);
    expect(sd.get('a.weight')).toEqual({ shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
    expect(sd.get('a.flat')?.shape).toEqual([3, 2]);
    expect(Array.from(sd.get('b.bias')!.data)).toEqual([1, -2]);
    expect(Array.from(sd.get('b.default_dtype')!.data)).toEqual([0.5, 0.25, 3]);
    expect(sd.get('c.f64')!.data[0]).toBe(Math.fround(0.1));
    expect(sd.get('log_std')).toEqual({ shape: [2], data: Float32Array.from([0, -0.5]) });
    expect(sd.get('scalar')).toEqual({ shape: [], data: Float32Array.from([2.5]) });
    expect(sd.get('scalar_obj')!.data[0]).toBe(7);
    expect(sd.get('empty')!.data.length).toBe(0);
  });

  it('accepts JSON text and keeps a tensor literally named __proto__', () => {
    const sd = parseStateDictJson('{"__proto__": {"shape": [1], "data": [3]}, "x": [[1], [2]]}');
    expect(sd.get('__proto__')!.data[0]).toBe(3);
    expect(sd.get('x')!.shape).toEqual([2, 1]);
    const back = stateDictToJson(sd);
    expect(Object.keys(back)).toEqual(['__proto__', 'x']);
    expect(parseStateDictJson(JSON.stringify(back)).get('__proto__')!.data[0]).toBe(3);
  });
});

describe('round trips', () => {
  const rng = new Generator(3);
  const sd: StateDict = new Map();
  for (const [name, shape] of [
    ['mlp.0.weight', [64, 4]],
    ['mlp.0.bias', [64]],
    ['log_std', [2]],
    ['zero_d', []],
  ] as [string, number[]][]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rng.uniform(-3, 3) * 10 ** rng.integers(-30, 30);
    sd.set(name, makeTensor(name, shape, data));
  }

  it('base64 (default) and nested encodings give back bit-identical float32 values', () => {
    for (const encoding of ['base64', 'nested'] as const) {
      const text = JSON.stringify(stateDictToJson(sd, { encoding }));
      const back = parseStateDictJson(text);
      expect([...back.keys()]).toEqual([...sd.keys()]);
      for (const [name, t] of sd) {
        expect(back.get(name)!.shape).toEqual(t.shape);
        expect(Array.from(back.get(name)!.data)).toEqual(Array.from(t.data));
      }
    }
  });

  it('writes the documented forms', () => {
    const one: StateDict = new Map([['b', makeTensor('b', [2], [1, -2])]]);
    expect(stateDictToJson(one)).toEqual({
      b: { shape: [2], dtype: 'float32', data_base64: B64_ONE_MINUS_TWO },
    });
    const m: StateDict = new Map([['w', makeTensor('w', [2, 2], [1, 2, 3, 4])]]);
    expect(stateDictToJson(m, { encoding: 'nested' })).toEqual({
      w: {
        shape: [2, 2],
        data: [
          [1, 2],
          [3, 4],
        ],
      },
    });
    expect(toNested([], Float32Array.from([5]))).toBe(5);
  });

  it('cloneStateDict copies the data', () => {
    const c = cloneStateDict(sd);
    c.get('log_std')!.data[0] = 123;
    expect(sd.get('log_std')!.data[0]).not.toBe(123);
  });
});

describe('parseStateDictJson: rejections name the tensor and the problem', () => {
  it('not an object, not JSON, empty names', () => {
    expectValidation(() => parseStateDictJson('{"a": '), /not valid JSON/);
    expectValidation(() => parseStateDictJson([1, 2]), /must be a JSON object/);
    expectValidation(() => parseStateDictJson(null), /must be a JSON object/);
    expectValidation(() => parseStateDictJson({ '': [1] }), /empty name/);
  });

  it('bad shapes', () => {
    expectValidation(
      () => parseStateDictJson({ w: { shape: 3, data: [1, 2, 3] } }),
      /tensor "w": shape must be an array/,
    );
    expectValidation(
      () => parseStateDictJson({ w: { shape: [2, -1], data: [] } }),
      /tensor "w": shape\[1\] must be a non-negative integer/,
    );
    expectValidation(
      () => parseStateDictJson({ w: { shape: [1.5], data: [1] } }),
      /shape\[0\] must be a non-negative integer, got number 1.5/,
    );
    expectValidation(() => parseStateDictJson({ w: { data: [1] } }), /tensor "w": missing "shape"/);
    expectValidation(
      () => parseStateDictJson({ w: { shape: new Array(17).fill(1), data: [1] } }),
      /rank 17 exceeds 16/,
    );
  });

  it('wrong element counts and ragged nesting', () => {
    expectValidation(
      () =>
        parseStateDictJson({
          'pi.0.weight': {
            shape: [2, 3],
            data: [
              [1, 2, 3],
              [4, 5],
            ],
          },
        }),
      /tensor "pi.0.weight": data\[1\] has length 2, shape \[2, 3\] needs 3 at dimension 1/,
    );
    expectValidation(
      () => parseStateDictJson({ w: { shape: [2, 3], data: [1, 2, 3, 4, 5] } }),
      /tensor "w": data has length 5, shape \[2, 3\] needs 2 at dimension 0/,
    );
    expectValidation(
      () => parseStateDictJson({ w: { shape: [2, 2], data: [[1, 2], 3] } }),
      /data\[1\] must be an array of length 2/,
    );
    expectValidation(() => parseStateDictJson({ w: [[1, 2], [3]] }), /tensor "w": data\[1\] has length 1/);
    expectValidation(
      () => parseStateDictJson({ b: { shape: [3], dtype: 'float32', data_base64: B64_ONE_MINUS_TWO } }),
      /tensor "b": data_base64 holds 8 bytes, shape \[3\] of float32 needs 12/,
    );
  });

  it('non-numeric and non-finite values', () => {
    expectValidation(
      () => parseStateDictJson({ w: { shape: [2], data: [1, 'x'] } }),
      /tensor "w": data\[1\] is not a number \(got string "x"\)/,
    );
    expectValidation(
      () => parseStateDictJson({ w: { shape: [2, 1], data: [[1], [null]] } }),
      /data\[1\]\[0\] is not a number \(got null\)/,
    );
    expectValidation(
      () => parseStateDictJson({ w: { shape: [1], data: [Number.POSITIVE_INFINITY] } }),
      /data\[0\] is not finite/,
    );
    expectValidation(
      () => parseStateDictJson({ w: { shape: [1], data_base64: B64_F32_NAN } }),
      /tensor "w": element 0 is not finite/,
    );
    expectValidation(
      () => parseStateDictJson({ w: { shape: [2], dtype: 'float64', data_base64: B64_F64_POINT1_1E39 } }),
      /element 1 \(1e\+39\) is outside the float32 range/,
    );
    expectValidation(
      () => parseStateDictJson({ w: { shape: [1], data: [1e39] } }),
      /outside the float32 range/,
    );
    expectValidation(
      () => parseStateDictJson({ w: { shape: [], data: 'abc' } }),
      /the value is not a number/,
    );
  });

  it('bad encodings and fields', () => {
    expectValidation(
      () => parseStateDictJson({ b: { shape: [2], data_base64: 'AACAPwAAAMA' } }),
      /not valid padded base64/,
    );
    expectValidation(
      () => parseStateDictJson({ b: { shape: [2], data_base64: 'AACA*wAAAMA=' } }),
      /not valid padded base64/,
    );
    expectValidation(
      () => parseStateDictJson({ b: { shape: [2], data_base64: 5 } }),
      /data_base64 must be a string/,
    );
    expectValidation(
      () => parseStateDictJson({ b: { shape: [2], dtype: 'int64', data: [1, 2] } }),
      /dtype must be "float32" or "float64"/,
    );
    expectValidation(
      () => parseStateDictJson({ b: { shape: [2], data: [1, 2], data_base64: B64_ONE_MINUS_TWO } }),
      /exactly one of "data" and "data_base64"/,
    );
    expectValidation(() => parseStateDictJson({ b: { shape: [2] } }), /exactly one of/);
    expectValidation(
      () => parseStateDictJson({ b: { shape: [2], values: [1, 2] } }),
      /unknown field "values"/,
    );
    expectValidation(() => parseStateDictJson({ b: 'abc' }), /tensor "b": must be an object/);
  });

  it('enforces the element budget across tensors', () => {
    const input = { a: { shape: [3], data: [1, 2, 3] }, b: { shape: [2], data: [1, 2] } };
    expect(parseStateDictJson(input, { maxElements: 5 }).size).toBe(2);
    expectValidation(() => parseStateDictJson(input, { maxElements: 4 }), /tensor "b": too many elements/);
  });

  it('the error carries the tensor name in its details', () => {
    try {
      parseStateDictJson({ 'q_net.q_net.0.bias': [1, Number.NaN] });
      expect.unreachable();
    } catch (err) {
      expect((err as ValidationError).details).toEqual({
        field: 'q_net.q_net.0.bias',
        tensor: 'q_net.q_net.0.bias',
      });
    }
  });
});

describe('makeTensor', () => {
  it('checks the element count and finiteness', () => {
    expect(makeTensor('t', [2], [1, 2]).data).toEqual(Float32Array.from([1, 2]));
    expectValidation(
      () => makeTensor('t', [2, 2], new Float32Array(3)),
      /tensor "t": shape \[2, 2\] needs 4 elements, data has 3/,
    );
    expectValidation(() => makeTensor('t', [1], Float32Array.from([Number.NaN])), /not finite/);
  });
});

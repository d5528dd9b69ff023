/**
 * PyTorch-style state dicts: named float32 tensors, row-major, with torch's shapes (a Linear
 * weight is [out, in]). This is how trained agents enter and leave tars-eval; key names follow
 * SB3's MlpPolicy (see sb3-layout.ts).
 *
 * JSON form accepted by `parseStateDictJson` — an object mapping each tensor name to one of:
 *
 * 1. `{ "shape": [2, 3], "data": [[1, 2, 3], [4, 5, 6]] }` — nested arrays whose nesting
 *    matches `shape` exactly (`torch.Tensor.tolist()`), or a flat array of prod(shape)
 *    numbers in row-major order. A 0-d tensor (`shape: []`) takes a number or a 1-element array.
 *    An optional `"dtype"` of `"float32"` or `"float64"` is allowed and ignored.
 * 2. `{ "shape": [2, 3], "dtype": "float32", "data_base64": "..." }` — standard base64 (RFC 4648
 *    alphabet, padded) of the little-endian element bytes: 4 per element for `"float32"`
 *    (the default when `dtype` is omitted), 8 for `"float64"` (rounded to float32 on load).
 * 3. A bare number or (nested) array, e.g. `"log_std": [0, 0]` — the shape is inferred and
 *    the array must be rectangular.
 *
 * Every value must be a finite number representable as float32 (|x| ≤ 3.4028234663852886e38).
 * Any violation throws a ValidationError naming the tensor and what is wrong. JSON text with
 * a duplicated name cannot be detected after `JSON.parse` (the last one wins, as in any JSON
 * parser); the safetensors reader, which parses its own header, does reject duplicates.
 *
 * `stateDictToJson` writes form 2 (base64, compact and exact) by default, or form 1 with
 * nested arrays.
 */
import { ValidationError } from '../errors.js';

/** A dense float32 tensor in row-major order. `data.length` equals the product of `shape`. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/** Named tensors, in insertion order (torch's `state_dict()` order when built from SB3's layout). */
export type StateDict = Map<string, Tensor>;

/** One tensor of the JSON form written by `stateDictToJson`. */
export type JsonTensor =
  | { shape: number[]; dtype: 'float32'; data_base64: string }
  | { shape: number[]; data: NestedNumbers };

/** A number or arbitrarily nested arrays of numbers, as `torch.Tensor.tolist()` returns. */
export type NestedNumbers = number | NestedNumbers[];

export interface ParseStateDictOptions {
  /** Largest accepted element count over all tensors (default 2^26 = 67,108,864, 256 MiB of float32). */
  maxElements?: number;
}

/** Tensors of higher rank than this are rejected (torch itself caps dims at 64; SB3's are ≤ 2-d). */
export const MAX_TENSOR_RANK = 16;
const DEFAULT_MAX_ELEMENTS = 2 ** 26;
const FLOAT32_MAX = 3.4028234663852886e38;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function fail(name: string, what: string): never {
  throw new ValidationError(`tensor "${name}": ${what}`, { field: name, tensor: name });
}

/** Product of the dimensions; 1 for a 0-d tensor. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[a, b]` as torch prints sizes, for messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Checks that `shape` is an array of non-negative safe integers of rank ≤ MAX_TENSOR_RANK and
 * returns a copy. `name` is used in the error message.
 */
export function validateShape(name: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) fail(name, `shape must be an array of integers, got ${describe(shape)}`);
  if (shape.length > MAX_TENSOR_RANK) fail(name, `rank ${shape.length} exceeds ${MAX_TENSOR_RANK}`);
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      fail(name, `shape[${i}] must be a non-negative integer, got ${describe(d)}`);
    }
    out.push(d);
  }
  if (!Number.isSafeInteger(numel(out))) fail(name, `shape ${formatShape(out)} has too many elements`);
  return out;
}

/**
 * Builds a tensor after checking that `data` has exactly prod(shape) elements, all finite.
 * `data` is used as is (not copied) when it is already a Float32Array.
 */
export function makeTensor(name: string, shape: readonly number[], data: ArrayLike<number>): Tensor {
  const s = validateShape(name, [...shape]);
  const n = numel(s);
  if (data.length !== n) {
    fail(name, `shape ${formatShape(s)} needs ${n} elements, data has ${data.length}`);
  }
  const f = data instanceof Float32Array ? data : toFloat32(name, data);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(f[i])) fail(name, `element ${i} is not finite (${f[i]})`);
  }
  return { shape: s, data: f };
}

function toFloat32(name: string, data: ArrayLike<number>): Float32Array {
  const f = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    checkValue(name, v, () => `element ${i}`);
    f[i] = v;
  }
  return f;
}

function checkValue(name: string, v: unknown, where: () => string): asserts v is number {
  if (typeof v !== 'number') fail(name, `${where()} is not a number (got ${describe(v)})`);
  if (!Number.isFinite(v)) fail(name, `${where()} is not finite (${v})`);
  if (Math.abs(v) > FLOAT32_MAX) fail(name, `${where()} (${v}) is outside the float32 range`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses a JSON state dict (text, or the value `JSON.parse` gave) in any of the forms listed
 * at the top of this file. Names keep their order of appearance.
 */
export function parseStateDictJson(input: unknown, options: ParseStateDictOptions = {}): StateDict {
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new ValidationError(`state dict is not valid JSON: ${(err as Error).message}`, {
        field: 'state_dict',
      });
    }
  }
  if (!isPlainObject(value)) {
    throw new ValidationError(`state dict must be a JSON object of named tensors, got ${describe(value)}`, {
      field: 'state_dict',
    });
  }
  const sd: StateDict = new Map();
  let total = 0;
  for (const name of Object.keys(value)) {
    if (name.length === 0) {
      throw new ValidationError('state dict has a tensor with an empty name', { field: 'state_dict' });
    }
    const t = parseJsonTensor(name, value[name], maxElements - total);
    total += t.data.length;
    sd.set(name, t);
  }
  return sd;
}

function parseJsonTensor(name: string, v: unknown, budget: number): Tensor {
  if (typeof v === 'number' || Array.isArray(v)) {
    const shape = inferShape(name, v);
    return fromNested(name, shape, v, budget);
  }
  if (!isPlainObject(v)) {
    fail(
      name,
      `must be an object {shape, data} or {shape, dtype, data_base64}, or an array; got ${describe(v)}`,
    );
  }
  for (const key of Object.keys(v)) {
    if (key !== 'shape' && key !== 'data' && key !== 'dtype' && key !== 'data_base64') {
      fail(name, `unknown field "${key}" (expected shape, data or data_base64, and optionally dtype)`);
    }
  }
  if (!('shape' in v)) fail(name, 'missing "shape"');
  const shape = validateShape(name, v.shape);
  const dtype = v.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') {
    fail(name, `dtype must be "float32" or "float64", got ${describe(dtype)}`);
  }
  const hasData = 'data' in v;
  const hasB64 = 'data_base64' in v;
  if (hasData === hasB64) fail(name, 'needs exactly one of "data" and "data_base64"');
  if (hasB64) return fromBase64(name, shape, dtype, v.data_base64, budget);
  return fromNested(name, shape, v.data, budget);
}

function inferShape(name: string, v: unknown): number[] {
  const shape: number[] = [];
  let cur = v;
  while (Array.isArray(cur)) {
    if (shape.length >= MAX_TENSOR_RANK) fail(name, `nesting deeper than ${MAX_TENSOR_RANK}`);
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

function checkBudget(name: string, n: number, budget: number): void {
  if (n > budget) fail(name, `too many elements (${n}); the state dict limit would be exceeded`);
}

function fromNested(name: string, shape: number[], data: unknown, budget: number): Tensor {
  const n = numel(shape);
  checkBudget(name, n, budget);
  const out = new Float32Array(n);
  if (shape.length === 0) {
    // 0-d: a number, or a one-element array.
    const x = Array.isArray(data) && data.length === 1 ? data[0] : data;
    checkValue(name, x, () => 'the value');
    out[0] = x;
    return { shape, data: out };
  }
  if (!Array.isArray(data)) fail(name, `data must be an array, got ${describe(data)}`);
  // A flat array of prod(shape) numbers is accepted for any rank.
  if (shape.length > 1 && data.length === n && !data.some((x) => Array.isArray(x))) {
    for (let i = 0; i < n; i++) {
      checkValue(name, data[i], () => `data[${i}]`);
      out[i] = data[i];
    }
    return { shape, data: out };
  }
  let k = 0;
  const walk = (node: unknown, depth: number, path: string): void => {
    if (!Array.isArray(node)) {
      fail(
        name,
        `${path} must be an array of length ${shape[depth]} for shape ${formatShape(shape)}, got ${describe(node)}`,
      );
    }
    if (node.length !== shape[depth]) {
      fail(
        name,
        `${path} has length ${node.length}, shape ${formatShape(shape)} needs ${shape[depth]} at dimension ${depth}`,
      );
    }
    if (depth === shape.length - 1) {
      for (let i = 0; i < node.length; i++) {
        const x = node[i];
        checkValue(name, x, () => `${path}[${i}]`);
        out[k++] = x;
      }
      return;
    }
    for (let i = 0; i < node.length; i++) walk(node[i], depth + 1, `${path}[${i}]`);
  };
  walk(data, 0, 'data');
  return { shape, data: out };
}

function fromBase64(
  name: string,
  shape: number[],
  dtype: 'float32' | 'float64',
  b64: unknown,
  budget: number,
): Tensor {
  if (typeof b64 !== 'string') fail(name, `data_base64 must be a string, got ${describe(b64)}`);
  if (b64.length % 4 !== 0 || !BASE64_RE.test(b64)) fail(name, 'data_base64 is not valid padded base64');
  const n = numel(shape);
  checkBudget(name, n, budget);
  const width = dtype === 'float32' ? 4 : 8;
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length !== n * width) {
    fail(
      name,
      `data_base64 holds ${bytes.length} bytes, shape ${formatShape(shape)} of ${dtype} needs ${n * width}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = width === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
    checkValue(name, x, () => `element ${i}`);
    out[i] = x;
  }
  return { shape, data: out };
}

/** Little-endian float32 bytes of a tensor's data as padded base64. */
export function float32ToBase64(data: Float32Array): string {
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Row-major data as nested arrays following `shape` (a number for a 0-d tensor). */
export function toNested(shape: readonly number[], data: Float32Array): NestedNumbers {
  if (shape.length === 0) return data[0];
  let k = 0;
  const build = (depth: number): NestedNumbers[] => {
    const len = shape[depth];
    const arr: NestedNumbers[] = new Array(len);
    if (depth === shape.length - 1) for (let i = 0; i < len; i++) arr[i] = data[k++];
    else for (let i = 0; i < len; i++) arr[i] = build(depth + 1);
    return arr;
  };
  return build(0);
}

/**
 * A JSON-ready object for `JSON.stringify`: base64 little-endian float32 (default) or
 * nested arrays. `parseStateDictJson` reads either back to identical float32 values.
 */
export function stateDictToJson(
  sd: StateDict,
  options: { encoding?: 'base64' | 'nested' } = {},
): Record<string, JsonTensor> {
  const encoding = options.encoding ?? 'base64';
  // Entries + fromEntries define own properties, so even a tensor named "__proto__" survives.
  const entries: [string, JsonTensor][] = [];
  for (const [name, t] of sd) {
    if (t.data.length !== numel(t.shape)) {
      fail(name, `shape ${formatShape(t.shape)} needs ${numel(t.shape)} elements, data has ${t.data.length}`);
    }
    entries.push([
      name,
      encoding === 'base64'
        ? { shape: [...t.shape], dtype: 'float32', data_base64: float32ToBase64(t.data) }
        : { shape: [...t.shape], data: toNested(t.shape, t.data) },
    ]);
  }
  return Object.fromEntries(entries);
}

/** A deep copy (new Float32Arrays), e.g. to seed target networks from online ones. */
export function cloneStateDict(sd: StateDict): StateDict {
  const out: StateDict = new Map();
  for (const [name, t] of sd) out.set(name, { shape: [...t.shape], data: new Float32Array(t.data) });
  return out;
}

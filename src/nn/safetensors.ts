/**
 * Reader and writer of the safetensors format (huggingface/safetensors, README "Format"):
 *
 *   8 bytes   N, unsigned little-endian 64-bit: the header length
 *   N bytes   UTF-8 JSON header, starting with '{', optionally padded with spaces:
 *             { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, …,
 *               "__metadata__": { "<key>": "<string value>", … } (optional) }
 *   rest      the byte buffer; offsets are relative to its start, tensors are little-endian,
 *             row-major, and must tile the buffer exactly (no gaps, no overlaps, nothing left
 *             over), which the reference implementation enforces to rule out polyglot files.
 *
 * Reading accepts F32 and F64 (rounded to float32), plus F16 and BF16 (widened exactly);
 * every other dtype is rejected. Limits follow the reference reader: a header of at most
 * 100,000,000 bytes; and a configurable total size. Duplicate names are rejected (the
 * format forbids them; `JSON.parse` would silently keep the last one, so the header is
 * parsed by a small strict JSON parser below). Non-finite values are rejected unless
 * `allowNonFinite` is set: the format allows them, but an agent with NaN weights is broken.
 *
 * Writing follows the reference serializer so files match byte for byte: tensors ordered
 * by name (the reference orders by dtype alignment, then name; one dtype per file here),
 * compact JSON with `__metadata__` first, header padded with spaces to a multiple of 8.
 *
 * Every malformed input raises a ValidationError saying what is wrong; nothing else escapes.
 */
import { ValidationError } from '../errors.js';
import { formatShape, MAX_TENSOR_RANK, numel, type StateDict, type Tensor } from './state-dict.js';

/** The reference implementation's `MAX_HEADER_SIZE`. */
export const MAX_HEADER_BYTES = 100_000_000;
/** Default cap on the whole file (512 MiB); raise it with `maxBytes`. */
export const DEFAULT_MAX_SAFETENSORS_BYTES = 512 * 1024 * 1024;
const MAX_JSON_DEPTH = 64;
const FLOAT32_MAX = 3.4028234663852886e38;

/** Element sizes of the dtypes this reader converts to float32. */
const READABLE_DTYPES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };
/** The other dtypes of the format (safetensors `Dtype`), known but not accepted for weights. */
const OTHER_KNOWN_DTYPES = new Set([
  'BOOL',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'F8_E4M3FNUZ',
  'F8_E5M2FNUZ',
  'I16',
  'U16',
  'I32',
  'U32',
  'C64',
  'I64',
  'U64',
]);

export interface ReadSafetensorsOptions {
  /** Largest accepted file size in bytes (default 512 MiB). */
  maxBytes?: number;
  /** Accept NaN and ±Inf values (the format allows them); default false. */
  allowNonFinite?: boolean;
}

export interface WriteSafetensorsOptions {
  /** Storage dtype (default F32). F64 widens each float32 exactly. */
  dtype?: 'F32' | 'F64';
  /** String-to-string `__metadata__` (e.g. {format: 'pt'}); omitted when undefined. */
  metadata?: Record<string, string>;
}

export interface SafetensorsContents {
  tensors: StateDict;
  /** The `__metadata__` map, or null when the header has none. */
  metadata: Record<string, string> | null;
}

function invalid(message: string, tensor?: string): never {
  throw new ValidationError(`invalid safetensors: ${message}`, {
    field: 'safetensors',
    ...(tensor === undefined ? {} : { tensor }),
  });
}

/** Reads a safetensors file into a float32 state dict (header order). */
export function readSafetensors(bytes: Uint8Array, options: ReadSafetensorsOptions = {}): StateDict {
  return parseSafetensors(bytes, options).tensors;
}

/** Reads a safetensors file: tensors as float32 (header order) and the `__metadata__` map. */
export function parseSafetensors(
  bytes: Uint8Array,
  options: ReadSafetensorsOptions = {},
): SafetensorsContents {
  if (!(bytes instanceof Uint8Array)) invalid('input is not a byte array');
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SAFETENSORS_BYTES;
  if (bytes.length > maxBytes)
    invalid(`file of ${bytes.length} bytes exceeds the limit of ${maxBytes} bytes`);
  if (bytes.length < 8) invalid(`truncated: ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    invalid(`header length ${n64} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  }
  const n = Number(n64);
  if (8 + n > bytes.length) {
    invalid(`truncated: header length is ${n} bytes but only ${bytes.length - 8} bytes follow`);
  }
  if (n === 0 || bytes[8] !== 0x7b) invalid("header does not start with '{'");

  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    invalid('header is not valid UTF-8');
  }
  const header = parseStrictJson(headerText);
  if (!(header instanceof Map)) invalid('header is not a JSON object');

  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> | null = null;
  const infos: TensorInfo[] = [];
  for (const [name, value] of header) {
    if (name === '__metadata__') {
      metadata = parseMetadata(value);
      continue;
    }
    infos.push(parseTensorInfo(name, value));
  }

  // The offsets must tile [0, dataLength) exactly: sorted by begin, each tensor starts where
  // the previous one ended (the reference `Metadata::validate` plus the full-coverage check).
  const byOffset = [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const info of byOffset) {
    if (info.begin < cursor)
      invalid(
        `tensor "${info.name}" overlaps the previous tensor (begins at ${info.begin}, previous ends at ${cursor})`,
        info.name,
      );
    if (info.begin > cursor)
      invalid(
        `gap in the byte buffer before tensor "${info.name}" (bytes ${cursor} to ${info.begin} unused)`,
        info.name,
      );
    if (info.end > dataLength) {
      invalid(
        `tensor "${info.name}" data_offsets end at ${info.end} but the byte buffer has only ${dataLength} bytes (truncated?)`,
        info.name,
      );
    }
    cursor = info.end;
  }
  if (cursor !== dataLength) {
    invalid(`${dataLength - cursor} bytes after the last tensor are not covered by any tensor`);
  }

  const tensors: StateDict = new Map();
  for (const info of infos) {
    tensors.set(info.name, decodeTensor(info, view, dataStart, options.allowNonFinite ?? false));
  }
  return { tensors, metadata };
}

interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function parseMetadata(value: JsonValue): Record<string, string> {
  if (!(value instanceof Map)) invalid('__metadata__ must be an object of strings');
  const entries: [string, string][] = [];
  for (const [k, v] of value) {
    if (typeof v !== 'string') invalid(`__metadata__ value of "${k}" is not a string`);
    entries.push([k, v]);
  }
  return Object.fromEntries(entries);
}

function parseTensorInfo(name: string, value: JsonValue): TensorInfo {
  if (!(value instanceof Map))
    invalid(`tensor "${name}" must be an object {dtype, shape, data_offsets}`, name);
  for (const key of value.keys()) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') {
      invalid(`tensor "${name}" has an unknown field "${key}"`, name);
    }
  }
  const dtype = value.get('dtype');
  if (typeof dtype !== 'string') invalid(`tensor "${name}" has no string dtype`, name);
  if (!(dtype in READABLE_DTYPES)) {
    if (OTHER_KNOWN_DTYPES.has(dtype)) {
      invalid(
        `tensor "${name}" has dtype ${dtype}; only F32, F64, F16 and BF16 can be loaded as weights`,
        name,
      );
    }
    invalid(`tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`, name);
  }
  const shapeValue = value.get('shape');
  if (!Array.isArray(shapeValue)) invalid(`tensor "${name}" has no shape array`, name);
  if (shapeValue.length > MAX_TENSOR_RANK)
    invalid(`tensor "${name}" has rank ${shapeValue.length} > ${MAX_TENSOR_RANK}`, name);
  const shape: number[] = [];
  for (const d of shapeValue) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      invalid(`tensor "${name}" shape has a dimension that is not a non-negative integer`, name);
    }
    shape.push(d);
  }
  const offsets = value.get('data_offsets');
  if (!Array.isArray(offsets) || offsets.length !== 2)
    invalid(`tensor "${name}" data_offsets must be [begin, end]`, name);
  const [begin, end] = offsets;
  if (
    typeof begin !== 'number' ||
    typeof end !== 'number' ||
    !Number.isSafeInteger(begin) ||
    !Number.isSafeInteger(end) ||
    begin < 0 ||
    end < 0
  ) {
    invalid(`tensor "${name}" data_offsets must be non-negative integers`, name);
  }
  if (end < begin) invalid(`tensor "${name}" data_offsets [${begin}, ${end}] end before they begin`, name);
  const count = numel(shape);
  const expected = count * READABLE_DTYPES[dtype];
  if (!Number.isSafeInteger(expected) || expected !== end - begin) {
    invalid(
      `tensor "${name}" of shape ${formatShape(shape)} and dtype ${dtype} needs ${expected} bytes, data_offsets [${begin}, ${end}] give ${end - begin}`,
      name,
    );
  }
  return { name, dtype, shape, begin, end };
}

function decodeTensor(info: TensorInfo, view: DataView, dataStart: number, allowNonFinite: boolean): Tensor {
  const count = numel(info.shape);
  const out = new Float32Array(count);
  const base = dataStart + info.begin;
  for (let i = 0; i < count; i++) {
    let x: number;
    switch (info.dtype) {
      case 'F32':
        x = view.getFloat32(base + 4 * i, true);
        break;
      case 'F64':
        x = view.getFloat64(base + 8 * i, true);
        if (Number.isFinite(x) && Math.abs(x) > FLOAT32_MAX && !allowNonFinite) {
          invalid(`tensor "${info.name}" element ${i} (${x}) is outside the float32 range`, info.name);
        }
        break;
      case 'F16':
        x = halfToFloat(view.getUint16(base + 2 * i, true));
        break;
      default: // BF16: the high half of a float32
        x = bfloat16ToFloat(view.getUint16(base + 2 * i, true));
    }
    if (!allowNonFinite && !Number.isFinite(x))
      invalid(`tensor "${info.name}" element ${i} is not finite (${x})`, info.name);
    out[i] = x;
  }
  return { shape: info.shape, data: out };
}

/** IEEE 754 binary16 to a number: 1 sign, 5 exponent (bias 15), 10 mantissa bits. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return frac === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const bf16Scratch = new DataView(new ArrayBuffer(4));
/** bfloat16 is the upper 16 bits of a float32. */
function bfloat16ToFloat(b: number): number {
  bf16Scratch.setUint32(0, b << 16, false);
  return bf16Scratch.getFloat32(0, false);
}

/** UTF-8 bytewise order, as Rust's `String` `Ord` (JavaScript's `<` compares UTF-16 units). */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Writes a state dict as a safetensors file. */
export function writeSafetensors(sd: StateDict, options: WriteSafetensorsOptions = {}): Uint8Array {
  const dtype = options.dtype ?? 'F32';
  if (dtype !== 'F32' && dtype !== 'F64') {
    throw new ValidationError(`safetensors dtype must be F32 or F64, got ${String(dtype)}`, {
      field: 'dtype',
    });
  }
  const width = dtype === 'F32' ? 4 : 8;
  const names = [...sd.keys()].sort(compareUtf8);
  const header: string[] = [];
  if (options.metadata !== undefined) {
    const meta = options.metadata;
    const parts: string[] = [];
    for (const k of Object.keys(meta).sort(compareUtf8)) {
      if (typeof meta[k] !== 'string') {
        throw new ValidationError(`safetensors metadata value of "${k}" must be a string`, {
          field: 'metadata',
        });
      }
      parts.push(`${JSON.stringify(k)}:${JSON.stringify(meta[k])}`);
    }
    header.push(`"__metadata__":{${parts.join(',')}}`);
  }
  let offset = 0;
  for (const name of names) {
    const t = sd.get(name)!;
    if (name === '__metadata__' || name.length === 0) {
      throw new ValidationError(`cannot store a tensor named ${JSON.stringify(name)} in safetensors`, {
        field: name,
        tensor: name,
      });
    }
    const count = numel(t.shape);
    if (t.data.length !== count) {
      throw new ValidationError(
        `tensor "${name}": shape ${formatShape(t.shape)} needs ${count} elements, data has ${t.data.length}`,
        {
          field: name,
          tensor: name,
        },
      );
    }
    const size = count * width;
    header.push(
      `${JSON.stringify(name)}:{"dtype":"${dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + size}]}`,
    );
    offset += size;
  }
  const headerBytes = Buffer.from(`{${header.join(',')}}`, 'utf8');
  const padded = Math.ceil(headerBytes.length / 8) * 8; // reference: align the buffer start to 8 bytes
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(headerBytes, 8);
  out.fill(0x20, 8 + headerBytes.length, 8 + padded);
  let pos = 8 + padded;
  for (const name of names) {
    const data = sd.get(name)!.data;
    if (width === 4) for (let i = 0; i < data.length; i++, pos += 4) view.setFloat32(pos, data[i], true);
    else for (let i = 0; i < data.length; i++, pos += 8) view.setFloat64(pos, data[i], true);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Strict JSON (RFC 8259) with duplicate-key detection; objects become Maps so that no key,
// "__proto__" included, is special.
// ---------------------------------------------------------------------------------------

type JsonValue = null | boolean | number | string | JsonValue[] | Map<string, JsonValue>;

function parseStrictJson(text: string): JsonValue {
  let pos = 0;
  const fail: (what: string) => never = (what) =>
    invalid(`header is not valid JSON: ${what} at character ${pos}`);
  const skipWs = (): void => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else return;
    }
  };
  const parseString = (): string => {
    // pos is at the opening quote
    pos++;
    let out = '';
    let runStart = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(runStart, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(runStart, pos);
      const e = text[pos + 1];
      pos += 2;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = text.slice(pos, pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
          out += String.fromCharCode(Number.parseInt(hex, 16));
          pos += 4;
          break;
        }
        default:
          pos -= 1;
          fail('bad escape');
      }
      runStart = pos;
    }
  };
  const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    skipWs();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const map = new Map<string, JsonValue>();
      skipWs();
      if (text[pos] === '}') {
        pos++;
        return map;
      }
      for (;;) {
        skipWs();
        if (text[pos] !== '"') fail('expected a string key');
        const key = parseString();
        if (map.has(key)) invalid(`duplicate name ${JSON.stringify(key)} in the header`, key);
        skipWs();
        if (text[pos] !== ':') fail("expected ':'");
        pos++;
        map.set(key, parseValue(depth + 1));
        skipWs();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return map;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      pos++;
      const arr: JsonValue[] = [];
      skipWs();
      if (text[pos] === ']') {
        pos++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(depth + 1));
        skipWs();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return parseString();
    if (text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    NUMBER_RE.lastIndex = pos;
    const m = NUMBER_RE.exec(text);
    if (m === null || m[0].length === 0) fail('unexpected character');
    pos += m[0].length;
    return Number(m[0]);
  };
  const value = parseValue(0);
  skipWs();
  if (pos !== text.length) fail('trailing characters after the header object');
  return value;
}

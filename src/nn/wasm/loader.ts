/**
 * Loads the WebAssembly SIMD kernels (built from src/nn/assembly/kernels.ts by
 * `npm run build:wasm`) once, synchronously, when this module is first imported. The .wasm
 * sits beside this file both in the sources (src/nn/wasm/) and in the build (dist/nn/wasm/,
 * copied by scripts/copy-assets.mjs), so the same URL works from either.
 *
 * Each arena instantiates the module against its own linear memory (instantiation of a
 * compiled module is cheap), so every kernel call works on pointers into that arena.
 *
 * Backend selection: `TARS_NN_BACKEND=ref` makes the plain-TypeScript kernels the default
 * (and then a missing .wasm is not an error); `wasm` or unset selects the SIMD kernels.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UnavailableError, ValidationError } from '../../errors.js';

export type Backend = 'wasm' | 'ref';

// The WebAssembly JS API types ship only with TypeScript's DOM library, which this Node
// package does not load; the few members used here are declared locally instead.

/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}

interface WasmModule {
  readonly __brand: 'WebAssembly.Module';
}

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (
    module: WasmModule,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
}

const WA = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** A new linear memory of `initial` 64 KiB pages that may grow up to `maximum` pages. */
export function createMemory(initial: number, maximum: number): WasmMemory {
  return new WA.Memory({ initial, maximum });
}

/** The raw exports of kernels.wasm; pointers are byte offsets into the imported memory. */
export interface KernelExports {
  heapBase(): number;
  uniform_batch_from(): number;
  activation_forward(x: number, n: number, act: number): void;
  activation_backward(y: number, dy: number, n: number, act: number): void;
  gemm(
    a: number,
    sam: number,
    sak: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    m: number,
    n: number,
    k: number,
    bias: number,
    mode: number,
    act: number,
    pack: number,
  ): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  scratch_floats(batch: number, nin: number, nout: number): number;
  linear_forward(
    x: number,
    w: number,
    bias: number,
    y: number,
    batch: number,
    nin: number,
    nout: number,
    act: number,
    scratch: number,
  ): void;
  linear_backward_input(
    dy: number,
    w: number,
    dx: number,
    batch: number,
    nin: number,
    nout: number,
    scratch: number,
  ): void;
  linear_backward_params(
    dy: number,
    x: number,
    dw: number,
    db: number,
    batch: number,
    nin: number,
    nout: number,
    scratch: number,
  ): void;
  column_sums(dy: number, db: number, batch: number, nout: number): void;
  adam_step(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    stepSize: number,
    bc2Sqrt: number,
    eps: number,
    wd: number,
  ): void;
  rmsprop_step(
    p: number,
    g: number,
    sq: number,
    ga: number,
    buf: number,
    n: number,
    lr: number,
    alpha: number,
    oneMinusAlpha: number,
    eps: number,
    wd: number,
    momentum: number,
    centered: number,
    epsInside: number,
  ): void;
  sum_squares(x: number, n: number): number;
  scale(x: number, n: number, s: number): void;
  polyak(target: number, source: number, n: number, keep: number, tau: number): void;
}

const WASM_URL = new URL('./kernels.wasm', import.meta.url);

function parseBackend(value: string | undefined): Backend {
  if (value === undefined || value === '' || value === 'wasm') return 'wasm';
  if (value === 'ref') return 'ref';
  throw new ValidationError(`TARS_NN_BACKEND must be 'wasm' or 'ref', got '${value}'`, {
    field: 'TARS_NN_BACKEND',
  });
}

/** The backend new arenas use unless told otherwise (from TARS_NN_BACKEND, read once). */
export const DEFAULT_BACKEND: Backend = parseBackend(process.env['TARS_NN_BACKEND']);

function missingWasm(): UnavailableError {
  return new UnavailableError(
    `WebAssembly kernels not found at ${fileURLToPath(WASM_URL)}: run \`npm run build:wasm\` ` +
      '(or set TARS_NN_BACKEND=ref to use the plain-TypeScript kernels)',
  );
}

function compile(): WasmModule | null {
  const path = fileURLToPath(WASM_URL);
  if (!existsSync(path)) {
    if (DEFAULT_BACKEND === 'wasm') throw missingWasm();
    return null;
  }
  return new WA.Module(readFileSync(path));
}

const kernelModule: WasmModule | null = compile();

/** Whether the compiled SIMD kernels are available in this process. */
export function wasmAvailable(): boolean {
  return kernelModule !== null;
}

/** Instantiates the kernels against `memory` (which the caller owns and may grow). */
export function instantiateKernels(memory: WasmMemory): KernelExports {
  if (kernelModule === null) throw missingWasm();
  const instance = new WA.Instance(kernelModule, { env: { memory } });
  return instance.exports as unknown as KernelExports;
}

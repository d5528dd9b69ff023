/**
 * Float32 tensors in a WebAssembly linear memory.
 *
 * An `Arena` owns one WebAssembly memory and a bump allocator over it; it hands out
 * `Tensor`s (a byte offset, a length and a shape) and the kernels bound to that memory
 * (`arena.kernels`, SIMD or plain TypeScript). Several networks, their gradients, optimiser
 * state and activation buffers share one arena, so a kernel can combine any of them.
 *
 * Growing a WebAssembly memory detaches every view of its old ArrayBuffer. Tensors therefore
 * do not keep a fixed view: `tensor.data` re-derives its Float32Array when the arena has grown
 * since the view was made (a generation counter), and costs a field compare otherwise. Keep
 * `Tensor`/`Param` objects, not their `.data` arrays, across anything that may allocate.
 * Allocation only happens when networks, optimisers or larger batch buffers are created.
 */
import { ValidationError } from '../errors.js';
import { createKernels, type DenseKernels } from './kernels.js';
import { type Backend, createMemory, DEFAULT_BACKEND, type WasmMemory } from './wasm/loader.js';

export type { Backend } from './wasm/loader.js';

const PAGE_BYTES = 65536;
/** Tensors start on a cache-line boundary, which also suits 16-byte SIMD loads. */
const ALIGN = 64;
/** 2 GiB: keeps every byte offset a positive int32, as the kernels take them. */
const MAX_PAGES = 32768;

function checkShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ValidationError(`tensor shape must be non-negative integers, got [${shape.join(', ')}]`, {
        field: 'shape',
      });
    }
    n *= d;
  }
  return n;
}

export interface ArenaOptions {
  /** Kernel implementation; default from TARS_NN_BACKEND ('wasm' unless set to 'ref'). */
  backend?: Backend;
  /** Bytes to reserve up front (the memory grows by doubling when exceeded). Default 1 MiB. */
  initialBytes?: number;
}

export class Arena {
  readonly backend: Backend;
  readonly memory: WasmMemory;
  readonly kernels: DenseKernels;
  #buffer: ArrayBuffer;
  #generation = 0;
  #top: number;

  constructor(options: ArenaOptions = {}) {
    this.backend = options.backend ?? DEFAULT_BACKEND;
    const initialBytes = options.initialBytes ?? 1 << 20;
    if (!Number.isFinite(initialBytes) || initialBytes < 0) {
      throw new ValidationError(`initialBytes must be a non-negative number, got ${initialBytes}`, {
        field: 'initialBytes',
      });
    }
    const pages = Math.min(MAX_PAGES, Math.max(1, Math.ceil(initialBytes / PAGE_BYTES) + 1));
    this.memory = createMemory(pages, MAX_PAGES);
    this.#buffer = this.memory.buffer;
    const { kernels, heapBase } = createKernels(this.backend, this);
    this.kernels = kernels;
    // The wasm module's own static data (constant tables) lies below heapBase.
    this.#top = Math.ceil(Math.max(heapBase, ALIGN) / ALIGN) * ALIGN;
  }

  /** Incremented each time the memory grows (and old views are detached). */
  get generation(): number {
    return this.#generation;
  }

  /** The memory's current ArrayBuffer. */
  get buffer(): ArrayBuffer {
    return this.#buffer;
  }

  /** Bytes handed out so far (including the module's static area). */
  get bytesUsed(): number {
    return this.#top;
  }

  /** Makes sure `bytes` more can be allocated without growing later (one growth now, if any). */
  reserve(bytes: number): void {
    this.#ensure(this.#top + bytes);
  }

  /** A zero-filled float32 tensor of the given shape. */
  alloc(shape: readonly number[]): Tensor {
    const length = checkShape(shape);
    const offset = this.#top;
    const end = offset + Math.ceil((length * 4) / ALIGN) * ALIGN;
    this.#ensure(end);
    this.#top = end;
    // A bump allocator never reuses memory and fresh WebAssembly pages are zero, so the
    // tensor is already zero-filled.
    return new Tensor(this, offset, length, shape);
  }

  /** A trainable parameter: a value tensor and its gradient, both zero-filled. */
  param(name: string, shape: readonly number[]): Param {
    return new Param(name, this.alloc(shape), this.alloc(shape));
  }

  /** A Float32Array over [byteOffset, byteOffset + 4·length) of the current buffer. */
  view(byteOffset: number, length: number): Float32Array {
    return new Float32Array(this.#buffer, byteOffset, length);
  }

  #ensure(end: number): void {
    const have = this.#buffer.byteLength;
    if (end <= have) return;
    const needPages = Math.ceil(end / PAGE_BYTES);
    const havePages = have / PAGE_BYTES;
    if (needPages > MAX_PAGES) {
      throw new ValidationError(`arena would exceed ${MAX_PAGES * PAGE_BYTES} bytes (needs ${end})`, {
        field: 'arena',
      });
    }
    const target = Math.min(MAX_PAGES, Math.max(needPages, havePages * 2));
    this.memory.grow(target - havePages);
    this.#buffer = this.memory.buffer;
    this.#generation++;
  }
}

/** A float32 tensor living in an arena. */
export class Tensor {
  readonly arena: Arena;
  /** Byte offset in the arena's memory (what the wasm kernels take as a pointer). */
  readonly byteOffset: number;
  readonly length: number;
  readonly shape: readonly number[];
  #view: Float32Array;
  #generation: number;

  constructor(arena: Arena, byteOffset: number, length: number, shape: readonly number[]) {
    this.arena = arena;
    this.byteOffset = byteOffset;
    this.length = length;
    this.shape = Object.freeze([...shape]);
    this.#view = arena.view(byteOffset, length);
    this.#generation = arena.generation;
  }

  /** The tensor's elements (a view into the arena; re-derived after the arena grows). */
  get data(): Float32Array {
    if (this.#generation !== this.arena.generation) {
      this.#view = this.arena.view(this.byteOffset, this.length);
      this.#generation = this.arena.generation;
    }
    return this.#view;
  }
}

/** A named trainable tensor and its gradient (same shape, same arena). */
export class Param {
  readonly name: string;
  readonly value: Tensor;
  readonly gradient: Tensor;

  constructor(name: string, value: Tensor, gradient: Tensor) {
    if (value.length !== gradient.length || value.arena !== gradient.arena) {
      throw new ValidationError(`parameter ${name}: value and gradient must match in size and arena`, {
        field: name,
      });
    }
    this.name = name;
    this.value = value;
    this.gradient = gradient;
  }

  get shape(): readonly number[] {
    return this.value.shape;
  }

  get size(): number {
    return this.value.length;
  }

  get arena(): Arena {
    return this.value.arena;
  }

  /** The parameter's values (torch layout: Linear weight [out, in] row-major, bias [out]). */
  get data(): Float32Array {
    return this.value.data;
  }

  /** The accumulated gradient, same layout as `data`. */
  get grad(): Float32Array {
    return this.gradient.data;
  }
}

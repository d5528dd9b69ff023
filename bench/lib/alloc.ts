/**
 * Heap allocation per operation. V8 does not expose a running total of allocated bytes, so
 * we measure `heapUsed` growth across a run that is short enough to complete without any
 * garbage collection: a full GC first (via `gc()`, exposed with `--expose-gc` or enabled
 * at run time through `v8.setFlagsFromString`), then the run, then a check with a
 * PerformanceObserver that no GC fired in between. If one did, the run is repeated with half
 * the operations. The figure is an upper bound: JIT metadata and inline caches allocated
 * during the run count too, so we warm the code up before measuring.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFn = () => void;

let cachedGc: GcFn | null | undefined;

/** The `gc()` function, exposing it at run time when Node was started without `--expose-gc`. */
export function exposeGc(): GcFn | null {
  if (cachedGc !== undefined) return cachedGc;
  const g = (globalThis as { gc?: GcFn }).gc;
  if (typeof g === 'function') {
    cachedGc = g;
    return g;
  }
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    cachedGc = typeof fn === 'function' ? (fn as GcFn) : null;
  } catch {
    cachedGc = null;
  }
  return cachedGc;
}

export interface AllocationMeasurement {
  /** Heap bytes retained or allocated per operation (≥ 0 up to measurement noise). */
  bytesPerOp: number;
  /** Operations in the GC-free run that produced the figure. */
  ops: number;
  /** Whether the figure is trustworthy: gc() was available and no GC interrupted the run. */
  exact: boolean;
}

/** Lets pending GC performance entries arrive (they are delivered a few ticks late). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * Heap bytes allocated per operation by `fn(count)` (which performs `count` operations).
 * Calls `fn(initialOps)` once beforehand so that the measured run executes optimised code.
 */
export async function measureAllocation(
  fn: (count: number) => void,
  initialOps = 200_000,
): Promise<AllocationMeasurement> {
  const gc = exposeGc();
  let gcCount = 0;
  const obs = new PerformanceObserver((list) => {
    gcCount += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  try {
    fn(initialOps);
    let ops = initialOps;
    let last: AllocationMeasurement = { bytesPerOp: Number.NaN, ops, exact: false };
    for (let attempt = 0; attempt < 16 && ops >= 10; attempt++) {
      gc?.();
      await settle();
      gcCount = 0;
      const before = process.memoryUsage().heapUsed;
      fn(ops);
      const after = process.memoryUsage().heapUsed;
      await settle();
      last = { bytesPerOp: Math.max(0, after - before) / ops, ops, exact: gc !== null && gcCount === 0 };
      if (gcCount === 0) return last;
      ops = Math.floor(ops / 2);
    }
    return last;
  } finally {
    obs.disconnect();
  }
}

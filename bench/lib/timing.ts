/**
 * CPU-time measurement. The reference figures we compare against (Gymnasium's steps per
 * second) were measured in CPU time, so we measure the same: user + system microseconds
 * of this process from `process.cpuUsage`, which is insensitive to the wall-clock stalls a
 * shared machine causes while the process is descheduled.
 */

export interface CpuMeasurement {
  /** CPU seconds (user + system) spent in `fn`. */
  cpuSeconds: number;
  /** Wall-clock seconds spent in `fn`. */
  wallSeconds: number;
}

/** Measures the CPU and wall time of one call of `fn`. */
export function measureCpu(fn: () => void): CpuMeasurement {
  const wall0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  fn();
  const cpu = process.cpuUsage(cpu0);
  const wall1 = process.hrtime.bigint();
  return { cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: Number(wall1 - wall0) / 1e9 };
}

/**
 * Operations per CPU second of `fn(count)`, which must perform `count` operations.
 * `count` is chosen so that one run lasts about `targetSeconds` (calibrated once, growing
 * from `initialCount`), because `process.cpuUsage` has a coarse granularity on some systems
 * and very short runs would be dominated by it.
 */
export function calibrateCount(
  fn: (count: number) => void,
  targetSeconds: number,
  initialCount = 1000,
): number {
  let count = initialCount;
  for (;;) {
    const { cpuSeconds } = measureCpu(() => fn(count));
    if (cpuSeconds >= targetSeconds / 4 || count >= 2 ** 30) {
      const scaled = Math.round((count * targetSeconds) / Math.max(cpuSeconds, 1e-6));
      return Math.max(1, Math.min(scaled, 2 ** 30));
    }
    count *= 4;
  }
}

/**
 * One line naming the machine a benchmark ran on: CPU model (with family/model and the widest
 * x86 SIMD on Linux), clock, core count, Node version. The reference figures the benchmarks
 * compare against were measured on one machine; a ratio printed on another CPU reads in the
 * light of this line.
 */
import { readFileSync } from 'node:fs';
import { cpus, platform } from 'node:os';

/** `cpu family`, `model` and the widest SIMD flag from /proc/cpuinfo, when it can be read. */
function linuxCpuDetails(): string | null {
  let text: string;
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const simd = ['avx512f', 'avx2', 'avx', 'sse4_2'].find((f) => flags.has(f));
  const family = field('cpu family');
  const model = field('model');
  const parts = [
    family === undefined ? null : `family ${family}`,
    model === undefined ? null : `model ${model}`,
    simd === undefined ? null : simd.toUpperCase().replace('_', '.'),
  ].filter((p): p is string => p !== null);
  return parts.length === 0 ? null : parts.join(', ');
}

export function describeMachine(): string {
  const list = cpus();
  const model = list[0]?.model.trim() || 'unknown CPU';
  const mhz = list[0]?.speed ?? 0;
  const details = platform() === 'linux' ? linuxCpuDetails() : null;
  return [
    `${model}${details === null ? '' : ` (${details})`}`,
    mhz > 0 ? `${mhz} MHz` : null,
    `${list.length} cores`,
    `Node ${process.version}`,
  ]
    .filter((p): p is string => p !== null)
    .join(', ');
}

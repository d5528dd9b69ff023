import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const FIXTURES = fileURLToPath(new URL('../fixtures/stats/', import.meta.url));

/**
 * Reads a fixture written by scripts/fixtures/stats_fixtures.py. JSON has no NaN or
 * Infinity, so the script writes NaN as null and ±Infinity as strings; they are restored here.
 */
export function loadFixture<T>(name: string): T {
  const text = readFileSync(FIXTURES + name, 'utf8');
  return JSON.parse(text, (_key, value: unknown) => {
    if (value === null) return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    return value;
  }) as T;
}

/**
 * Asserts |actual − expected| ≤ abs + rel·|expected|, treating NaN as equal to NaN and
 * infinities as equal only to themselves.
 */
export function expectClose(actual: number, expected: number, rel: number, abs = 0, label = ''): void {
  if (Number.isNaN(expected) || !Number.isFinite(expected)) {
    expect(actual, label).toBe(expected);
    return;
  }
  const tol = abs + rel * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(
      `${label}: expected ${expected}, got ${actual} (|diff| ${Math.abs(actual - expected)} > tolerance ${tol})`,
    );
  }
}

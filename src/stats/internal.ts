/**
 * Shared building blocks of the statistics library: input validation, compensated
 * summation and in-place selection. Not part of the public API.
 */
import { ValidationError } from '../errors.js';

/** A sample of observations: a plain array or any typed array of numbers. */
export type Sample = ArrayLike<number>;

/**
 * Throws a ValidationError naming `name` if `x` holds a NaN (NaN has no rank and no
 * meaningful mean; silently propagating it would hide a bug upstream). ±Infinity passes.
 */
export function checkSample(x: Sample, name: string): void {
  if (x === null || typeof x !== 'object' || typeof x.length !== 'number') {
    throw new ValidationError(`${name} must be an array of numbers`, { field: name });
  }
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new ValidationError(
        `${name}[${i}] is ${typeof v === 'number' ? 'NaN' : typeof v}; samples must be numbers`,
        {
          field: name,
          index: i,
        },
      );
    }
  }
}

/** Throws unless `x` is a non-empty sample without NaN. */
export function checkNonEmpty(x: Sample, name: string): void {
  checkSample(x, name);
  if (x.length === 0) throw new ValidationError(`${name} must not be empty`, { field: name });
}

/**
 * Σ x[i] for i in [start, end) by Neumaier's variant of Kahan summation (Neumaier 1974):
 * the rounding error of every addition is carried in a separate term, so the result is
 * as if summed in twice the precision, whatever the order or magnitudes.
 */
export function neumaierSum(x: ArrayLike<number>, start = 0, end = x.length): number {
  let s = 0;
  let c = 0;
  for (let i = start; i < end; i++) {
    const v = x[i];
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  const total = s + c;
  // With ±Infinity among the terms the compensation is NaN (∞ − ∞); the plain sum is then right.
  return Number.isNaN(total) ? s : total;
}

/** Insertion sort of a[lo..hi] (inclusive); the base case of the selection below. */
function insertionSort(a: Float64Array, lo: number, hi: number): void {
  for (let i = lo + 1; i <= hi; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= lo && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

/**
 * Rearranges a[lo..hi] (inclusive) in place so that a[k] holds the value it would have if
 * the range were sorted, everything in [lo, k) is ≤ a[k] and everything in (k, hi] is
 * ≥ a[k] (Hoare's FIND / quickselect, median-of-three pivots). Expected O(n); after
 * 2·log2(n) + 8 partition rounds it sorts the remaining range, bounding the worst case at
 * O(n log n) (introselect). `a` must not contain NaN.
 */
export function selectInPlace(a: Float64Array, k: number, lo = 0, hi = a.length - 1): void {
  let budget = 2 * Math.ceil(Math.log2(hi - lo + 2)) + 8;
  while (hi - lo > 16) {
    if (budget-- === 0) {
      a.subarray(lo, hi + 1).sort();
      return;
    }
    // Median of three, moved to a[lo] as the pivot.
    const mid = (lo + hi) >>> 1;
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    swap(a, lo, mid);
    const pivot = a[lo];
    // Hoare partition of (lo, hi]; a[hi] ≥ pivot acts as a sentinel.
    let i = lo;
    let j = hi + 1;
    for (;;) {
      do i++;
      while (a[i] < pivot);
      do j--;
      while (a[j] > pivot);
      if (i >= j) break;
      swap(a, i, j);
    }
    swap(a, lo, j); // pivot to its final place j
    if (j === k) return;
    if (k < j) hi = j - 1;
    else lo = j + 1;
  }
  insertionSort(a, lo, hi);
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * Mean of the order statistics g … n−1−g of buf[0..n), rearranging buf: the trimmed mean
 * with g values cut from each end. Requires 0 ≤ g and 2g < n.
 */
export function trimmedMeanInPlace(buf: Float64Array, n: number, g: number): number {
  if (g > 0) {
    selectInPlace(buf, g, 0, n - 1); // [0, g) now holds the g smallest
    selectInPlace(buf, n - 1 - g, g, n - 1); // (n−1−g, n) now holds the g largest
  }
  return neumaierSum(buf, g, n - g) / (n - 2 * g);
}

import { InvalidDataError } from '../errors.js';
import { kolmogorovSf } from './kolmogorov.js';
import { probOutsideBand, probOutsideSquare } from './ks-exact.js';
import type { KsTailMemo } from './ks-tail-memo.js';
import { sortedCopy } from './sorted.js';

/** The outcome of {@link ksTwoSample}: scipy's `KstestResult.statistic` and `.pvalue`. */
export interface KsResult {
  readonly statistic: number;
  readonly pValue: number;
  /** 'exact' (lattice paths) or 'asymp' (scipy's kstwo distribution), as scipy's method='auto' chose. */
  readonly method: 'exact' | 'asymp';
}

/** Above this many values in either sample scipy's method='auto' stops attempting the exact p-value. */
const MAX_EXACT_SIZE = 10_000;

/** `scipy.stats.ks_2samp(reference, current)` with its defaults (two-sided, method='auto'); inputs in any order. */
export function ksTwoSample(reference: ArrayLike<number>, current: ArrayLike<number>): KsResult {
  return ksTwoSampleSorted(sortedCopy(reference, 'reference'), sortedCopy(current, 'current'));
}

/**
 * {@link ksTwoSample} on samples already sorted ascending (not checked): the monitor sorts its reference once. The
 * statistic is the largest gap between the two empirical CDFs at any observed value (ties counted on the right, as
 * scipy's searchsorted). Like scipy, 'exact' (either sample ≤ 10,000 values) rounds it to h/lcm(n1, n2) and counts
 * lattice paths; if that fails (a probability outside [0, 1]) it falls back to the kstwo distribution at
 * n = round(n1·n2/(n1 + n2)), which is also the method for larger samples. With a `memo`, an exact tail already
 * counted for the same sizes and statistic is looked up instead (the same number).
 */
export function ksTwoSampleSorted(reference: Float64Array, current: Float64Array, memo?: KsTailMemo): KsResult {
  const n1 = reference.length;
  const n2 = current.length;
  if (n1 === 0 || n2 === 0) throw new InvalidDataError('ks_2samp needs two non-empty samples');
  const d = largestCdfGap(reference, current);
  if (Math.max(n1, n2) <= MAX_EXACT_SIZE) {
    const exact = exactPValue(n1, n2, d, memo);
    if (exact.pValue >= 0 && exact.pValue <= 1) return { ...exact, method: 'exact' };
    return { statistic: exact.statistic, pValue: asymptoticPValue(n1, n2, exact.statistic), method: 'asymp' };
  }
  return { statistic: d, pValue: asymptoticPValue(n1, n2, d), method: 'asymp' };
}

/** max(max(cdf1 − cdf2), clip(−min(cdf1 − cdf2), 0, 1)) over every observed value, both CDFs as count/size. */
function largestCdfGap(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxDiff = Number.NEGATIVE_INFINITY;
  let minDiff = Number.POSITIVE_INFINITY;
  while (i < n1 || j < n2) {
    const value = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < n1 && a[i]! <= value) i++;
    while (j < n2 && b[j]! <= value) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) maxDiff = diff;
    if (diff < minDiff) minDiff = diff;
  }
  const minS = Math.min(Math.max(-minDiff, 0), 1);
  return minS > maxDiff ? minS : maxDiff;
}

function exactPValue(n1: number, n2: number, d: number, memo?: KsTailMemo): { statistic: number; pValue: number } {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const statistic = h / lcm;
  if (h === 0) return { statistic, pValue: 1 };
  const count = () => (n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h));
  return { statistic, pValue: memo === undefined ? count() : memo.tail(n1, n2, h, count) };
}

function asymptoticPValue(n1: number, n2: number, d: number): number {
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const pValue = kolmogorovSf(roundHalfEven((m * n) / (m + n)), d);
  return Math.min(Math.max(pValue, 0), 1);
}

/** numpy's `round`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

import { InvalidDataError } from '../errors.js';
import { upperRegularizedGamma } from './incomplete-gamma.js';
import { pairwiseSum } from './numpy-reductions.js';

/** The outcome of {@link chiSquareTest}. */
export interface ChiSquareResult {
  readonly statistic: number;
  readonly pValue: number;
  /** Bins compared − 1 (bins empty on both sides are left out). */
  readonly degreesOfFreedom: number;
}

/** `scipy.stats.chi2.sf(x, df)` for an integer df ≥ 1: Q(df/2, x/2). */
export function chiSquareSf(x: number, degreesOfFreedom: number): number {
  if (!Number.isInteger(degreesOfFreedom) || degreesOfFreedom < 1) return Number.NaN;
  if (Number.isNaN(x)) return Number.NaN;
  return upperRegularizedGamma(degreesOfFreedom / 2, x / 2);
}

/**
 * Evidently's chi-square stattest on binned counts (`evidentlyai/evidently: src/evidently/legacy/calculations/
 * stattests/chisquare_stattest.py`): `scipy.stats.chisquare(f_obs = current counts, f_exp = reference counts ·
 * (current total / reference total))`, df = bins − 1. Bins empty on both sides are dropped, as Evidently only keeps
 * values seen on one side or the other; a bin empty in the reference but not in the window makes the statistic
 * infinite and the p-value 0, as scipy's.
 */
export function chiSquareTest(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): ChiSquareResult {
  if (referenceCounts.length !== currentCounts.length) {
    throw new InvalidDataError(`${referenceCounts.length} reference bins vs ${currentCounts.length} current bins`);
  }
  const kept: number[] = [];
  for (let i = 0; i < referenceCounts.length; i++) {
    if (referenceCounts[i]! > 0 || currentCounts[i]! > 0) kept.push(i);
  }
  if (kept.length < 2) throw new InvalidDataError('chi-square needs at least 2 bins with values');
  const observed = kept.map((i) => currentCounts[i]!);
  const expectedShares = kept.map((i) => referenceCounts[i]!);
  const scale = pairwiseSum(observed) / pairwiseSum(expectedShares);
  const terms = observed.map((o, k) => {
    const expected = expectedShares[k]! * scale;
    return (o - expected) ** 2 / expected;
  });
  const statistic = pairwiseSum(terms);
  const degreesOfFreedom = kept.length - 1;
  return { statistic, pValue: chiSquareSf(statistic, degreesOfFreedom), degreesOfFreedom };
}

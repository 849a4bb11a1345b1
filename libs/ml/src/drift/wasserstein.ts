import { InvalidDataError } from '../errors.js';
import { numpyStd } from './numpy-reductions.js';
import { sortedCopy } from './sorted.js';

/** Evidently's floor on the reference standard deviation in the normed Wasserstein distance. */
const NORM_FLOOR = 0.001;

/** `scipy.stats.wasserstein_distance(reference, current)` (unweighted W1: the area between the two empirical CDFs). */
export function wassersteinDistance(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  return wassersteinDistanceSorted(sortedCopy(reference, 'reference'), sortedCopy(current, 'current'));
}

/**
 * {@link wassersteinDistance} on samples already sorted ascending (not checked): one merge over both samples,
 * Σ |F_ref − F_cur| · (next value − value) between consecutive pooled values, each CDF as count/size as scipy's.
 */
export function wassersteinDistanceSorted(reference: Float64Array, current: Float64Array): number {
  const n1 = reference.length;
  const n2 = current.length;
  if (n1 === 0 || n2 === 0) throw new InvalidDataError('wasserstein_distance needs two non-empty samples');
  let i = 0;
  let j = 0;
  let previous = Math.min(reference[0]!, current[0]!);
  let area = 0;
  while (i < n1 || j < n2) {
    const fromReference = j >= n2 || (i < n1 && reference[i]! <= current[j]!);
    const value = fromReference ? reference[i]! : current[j]!;
    // Everything below `value` is consumed: i and j count the values ≤ previous.
    if (value > previous) {
      area += Math.abs(i / n1 - j / n2) * (value - previous);
      previous = value;
    }
    if (fromReference) i++;
    else j++;
  }
  return area;
}

/** Evidently's normed Wasserstein distance: W1 / max(std(reference), 0.001), std as numpy's (ddof 0). */
export function normedWassersteinDistance(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  return wassersteinDistance(reference, current) / Math.max(numpyStd(reference), NORM_FLOOR);
}

/** {@link normedWassersteinDistance} from sorted samples and the reference's standard deviation computed once. */
export function normedWassersteinSorted(reference: Float64Array, current: Float64Array, referenceStd: number): number {
  return wassersteinDistanceSorted(reference, current) / Math.max(referenceStd, NORM_FLOOR);
}

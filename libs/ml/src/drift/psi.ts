import { InvalidDataError, InvalidParameterError } from '../errors.js';
import { pairwiseSum } from './numpy-reductions.js';

/** Options of {@link populationStabilityIndex}. */
export interface PsiOptions {
  /** What an empty bin's fraction becomes (Evidently's 0.0001). @defaultValue 0.0001 */
  readonly epsilon?: number;
}

/**
 * Population stability index of two binnings of the same bins: Σ (ref% − cur%)·ln(ref%/cur%), which equals
 * Σ (cur% − ref%)·ln(cur%/ref%). Empty bins are filled as Evidently's psi stattest fills them
 * (`evidentlyai/evidently: src/evidently/legacy/calculations/stattests/utils.py`, `get_binned_data`, used by
 * `psi.py`): a zero fraction becomes epsilon, or the side's smallest non-zero fraction / 10⁶ when that fraction is
 * itself ≤ epsilon. Fractions are counts over the side's total; the sum is numpy's.
 */
export function populationStabilityIndex(
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
  options: PsiOptions = {},
): number {
  const epsilon = options.epsilon ?? 0.0001;
  if (!(epsilon > 0 && epsilon < 1)) throw new InvalidParameterError('epsilon', epsilon, 'a number in (0, 1)');
  if (referenceCounts.length !== currentCounts.length) {
    throw new InvalidDataError(`${referenceCounts.length} reference bins vs ${currentCounts.length} current bins`);
  }
  const reference = filledFractions(referenceCounts, epsilon, 'reference');
  const current = filledFractions(currentCounts, epsilon, 'current');
  const terms = new Float64Array(reference.length);
  for (let i = 0; i < terms.length; i++) {
    terms[i] = (reference[i]! - current[i]!) * Math.log(reference[i]! / current[i]!);
  }
  return pairwiseSum(terms);
}

/** Counts as fractions of their total, zeros filled as Evidently fills them. */
export function filledFractions(counts: ArrayLike<number>, epsilon: number, what: string): Float64Array {
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (!(c >= 0 && Number.isFinite(c))) throw new InvalidDataError(`${what} count ${i} = ${c} is not a count`);
    total += c;
  }
  if (total === 0) throw new InvalidDataError(`${what} counts are all zero`);
  const fractions = new Float64Array(counts.length);
  let smallest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < counts.length; i++) {
    fractions[i] = counts[i]! / total;
    if (fractions[i]! > 0 && fractions[i]! < smallest) smallest = fractions[i]!;
  }
  const fill = smallest <= epsilon ? smallest / 10 ** 6 : epsilon;
  for (let i = 0; i < fractions.length; i++) if (fractions[i] === 0) fractions[i] = fill;
  return fractions;
}

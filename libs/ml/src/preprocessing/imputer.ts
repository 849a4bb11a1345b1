import { InvalidDataError } from '../errors.js';
import { type Category, categoryAt, compareCategories, type RawColumn } from './raw-table.js';

/** SimpleImputer strategies for numeric columns (scikit-learn's names). */
export const NUMERIC_IMPUTE_STRATEGIES = ['mean', 'median', 'most_frequent', 'constant'] as const;
/** One of {@link NUMERIC_IMPUTE_STRATEGIES}. */
export type NumericImputeStrategy = (typeof NUMERIC_IMPUTE_STRATEGIES)[number];

/**
 * SimpleImputer's statistic for one numeric column: the mean or median of the present values, the most frequent
 * (ties: the smallest, as scipy.stats.mode), or `fill` for `constant`. A column with no present value is refused
 * (scikit-learn would drop it silently).
 */
export function numericImputeValue(
  name: string,
  values: Float64Array,
  strategy: NumericImputeStrategy,
  fill = 0,
): number {
  if (strategy === 'constant') return fill;
  const present = presentSorted(values);
  if (present.length === 0) throw new InvalidDataError(`column "${name}" has no value in any row`);
  if (strategy === 'mean') return meanOf(values, present.length);
  if (strategy === 'median') return medianOfSorted(present);
  return mostFrequentSorted(present);
}

/**
 * SimpleImputer(strategy="most_frequent") for a categorical column: the most frequent present category, ties to the
 * smallest in scikit-learn's order.
 */
export function mostFrequentCategory(column: RawColumn): Category {
  const counts = new Map<Category, number>();
  for (let i = 0; i < column.values.length; i++) {
    const value = categoryAt(column, i);
    if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  let best: Category = null;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount || (count === bestCount && compareCategories(value, best) < 0)) {
      best = value;
      bestCount = count;
    }
  }
  if (best === null) throw new InvalidDataError(`column "${column.name}" has no value in any row`);
  return best;
}

function presentSorted(values: Float64Array): Float64Array {
  let n = 0;
  const present = new Float64Array(values.length);
  for (const value of values) if (!Number.isNaN(value)) present[n++] = value;
  return present.subarray(0, n).sort();
}

function meanOf(values: Float64Array, count: number): number {
  let sum = 0;
  for (const value of values) if (!Number.isNaN(value)) sum += value;
  return sum / count;
}

function medianOfSorted(sorted: Float64Array): number {
  const h = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[h]! : (sorted[h - 1]! + sorted[h]!) / 2;
}

function mostFrequentSorted(sorted: Float64Array): number {
  let best = sorted[0]!;
  let bestCount = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    if (j - i > bestCount) {
      best = sorted[i]!;
      bestCount = j - i;
    }
    i = j;
  }
  return best;
}

import { InvalidDataError } from '../errors.js';

/**
 * Counts values into the bins of a profile feature's edges e₀ < e₁ < … < e_B: bin k holds eₖ ≤ v < eₖ₊₁, except that
 * the first bin is open below and the last open above (bin = `numpy.searchsorted(edges[1:-1], v, side='right')`).
 * For the training column, whose values all lie in [e₀, e_B], that is exactly `numpy.histogram(column, edges)`
 * (whose last bin is closed); a window value below the training minimum or above the maximum lands in the first or
 * last bin, so a shift is counted rather than dropped. One edge (a constant column) makes one bin.
 */
export function countIntoBins(edges: ArrayLike<number>, values: ArrayLike<number>): number[] {
  if (edges.length === 0) throw new InvalidDataError('bin edges are empty');
  const bins = Math.max(edges.length - 1, 1);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) counts[binOf(edges, values[i]!)]!++;
  return counts;
}

/** The bin of one value: how many interior edges e₁ … e_{B−1} are ≤ it (binary search). */
export function binOf(edges: ArrayLike<number>, value: number): number {
  let low = 1;
  let high = edges.length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (edges[mid]! <= value) low = mid + 1;
    else high = mid;
  }
  return low - 1;
}

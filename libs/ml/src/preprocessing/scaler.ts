/** What StandardScaler learned about one column. */
export interface ScalerStatistics {
  readonly mean: number;
  /** The population standard deviation, or 1 for a (numerically) constant column, as scikit-learn sets it. */
  readonly scale: number;
}

/**
 * StandardScaler's mean_ and scale_ for one column without missing values: the two-pass variance with scikit-learn's
 * correction term, and its constant-feature test (variance within the algorithm's rounding error ⇒ scale 1).
 */
export function standardScalerStatistics(values: ArrayLike<number>): ScalerStatistics {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let correction = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    correction += d;
    squares += d * d;
  }
  const variance = (squares - (correction * correction) / n) / n;
  const eps = Number.EPSILON;
  const constant = variance <= n * eps * variance + (n * mean * eps) ** 2;
  return { mean, scale: constant ? 1 : Math.sqrt(variance) };
}

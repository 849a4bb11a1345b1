import { InvalidDataError, InvalidParameterError } from '../errors.js';
import { RandomState } from '../random/random-state.js';

/** A metric of one model on some rows: labels and that model's positive-class probabilities in, a number out. */
export type RowMetric = (yTrue: ArrayLike<number>, probability: ArrayLike<number>) => number;

/** Options of {@link pairedBootstrap}. */
export interface PairedBootstrapOptions {
  readonly yTrue: ArrayLike<number>;
  /** Probabilities of the baseline model (e.g. the champion), row for row with yTrue. */
  readonly baseline: ArrayLike<number>;
  /** Probabilities of the candidate model (e.g. the challenger). */
  readonly candidate: ArrayLike<number>;
  readonly metric: RowMetric;
  /** @defaultValue 1000 */
  readonly resamples?: number;
  /** @defaultValue 0 */
  readonly randomState?: number;
  /** Two-sided: the interval covers 1 − alpha. @defaultValue 0.05 */
  readonly alpha?: number;
}

/** The difference candidate − baseline on all rows, and its percentile bootstrap interval. */
export interface PairedBootstrapResult {
  readonly difference: number;
  readonly low: number;
  readonly high: number;
  /** Resamples on which the metric was defined (ROC AUC needs both classes in a resample). */
  readonly resamples: number;
}

/**
 * Paired percentile bootstrap of a metric difference: each resample draws row indices once (numpy's legacy
 * `randint` stream for the seed) and scores both models on the same rows, so the interval reflects only how the
 * two models differ, not how the rows vary. Resamples where the metric is undefined are skipped and not counted.
 */
export function pairedBootstrap(options: PairedBootstrapOptions): PairedBootstrapResult {
  const { yTrue, baseline, candidate, metric } = options;
  const n = checkPaired(yTrue, baseline, candidate);
  const resamples = options.resamples ?? 1000;
  const alpha = options.alpha ?? 0.05;
  if (!Number.isInteger(resamples) || resamples < 1)
    throw new InvalidParameterError('resamples', resamples, 'an integer ≥ 1');
  if (!(alpha > 0 && alpha < 1)) throw new InvalidParameterError('alpha', alpha, 'a number in (0, 1)');
  const rng = new RandomState(options.randomState ?? 0);
  const y = new Float64Array(n);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const differences: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      const k = rng.randint(0, n);
      y[i] = yTrue[k]!;
      a[i] = baseline[k]!;
      b[i] = candidate[k]!;
    }
    const d = definedOrNaN(() => metric(y, b) - metric(y, a));
    if (Number.isFinite(d)) differences.push(d);
  }
  if (differences.length === 0) throw new InvalidDataError('the metric is undefined on every bootstrap resample');
  differences.sort((p, q) => p - q);
  return {
    difference: metric(yTrue, candidate) - metric(yTrue, baseline),
    low: percentile(differences, (100 * alpha) / 2),
    high: percentile(differences, 100 * (1 - alpha / 2)),
    resamples: differences.length,
  };
}

/** The outcome of {@link mcnemarTest}. */
export interface McNemarResult {
  /** Rows only the baseline got right. */
  readonly baselineOnly: number;
  /** Rows only the candidate got right. */
  readonly candidateOnly: number;
  /** Two-sided exact binomial p-value (statsmodels' `mcnemar(exact=True)`); 1 when the models never disagree. */
  readonly pValue: number;
}

/** McNemar's exact test of two classifiers' accuracies on the same rows (discordant pairs only). */
export function mcnemarTest(
  yTrue: ArrayLike<number>,
  baselinePredictions: ArrayLike<number>,
  candidatePredictions: ArrayLike<number>,
): McNemarResult {
  const n = checkPaired(yTrue, baselinePredictions, candidatePredictions);
  let baselineOnly = 0;
  let candidateOnly = 0;
  for (let i = 0; i < n; i++) {
    const baselineRight = baselinePredictions[i] === yTrue[i];
    const candidateRight = candidatePredictions[i] === yTrue[i];
    if (baselineRight && !candidateRight) baselineOnly++;
    else if (candidateRight && !baselineRight) candidateOnly++;
  }
  return { baselineOnly, candidateOnly, pValue: twoSidedBinomial(baselineOnly, candidateOnly) };
}

/** P(X ≤ min(b, c)) doubled and capped at 1, X ~ Binomial(b + c, 1/2), summed in log space. */
function twoSidedBinomial(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  let logTerm = -n * Math.LN2; // log C(n, 0) / 2^n
  let tail = Math.exp(logTerm);
  for (let i = 1; i <= k; i++) {
    logTerm += Math.log((n - i + 1) / i);
    tail += Math.exp(logTerm);
  }
  return Math.min(1, 2 * tail);
}

/** numpy's default (linear) percentile of sorted values, q in [0, 100]. */
export function percentile(sorted: readonly number[], q: number): number {
  const position = ((sorted.length - 1) * q) / 100;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const low = sorted[below]!;
  return low + (sorted[above]! - low) * (position - below);
}

function checkPaired(y: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (y.length === 0) throw new InvalidDataError('no rows to compare on');
  if (a.length !== y.length || b.length !== y.length) {
    throw new InvalidDataError(`inconsistent lengths: ${y.length} labels, ${a.length} and ${b.length} scores`);
  }
  return y.length;
}

function definedOrNaN(compute: () => number): number {
  try {
    return compute();
  } catch (err) {
    if (err instanceof InvalidDataError) return Number.NaN;
    throw err;
  }
}

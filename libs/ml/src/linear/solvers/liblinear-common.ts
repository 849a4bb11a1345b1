import { InvalidDataError, InvalidParameterError } from '../../errors.js';
import type { DenseMatrix } from '../../matrix.js';
import type { SolverOptions, SolverResult } from '../solver-types.js';

/** scikit-learn's ConvergenceWarning text for liblinear (emitted when n_iter_ >= max_iter). */
export const LIBLINEAR_CONVERGENCE_WARNING = 'Liblinear failed to converge, increase the number of iterations.';

/** scikit-learn refuses liblinear when np.max(X) exceeds this (the fit would freeze). */
const LARGEST_SUPPORTED_VALUE = 1e30;

/** liblinear's samples grouped by class (group_classes): class-0 rows in input order, then class-1 rows. */
export interface ClassGroups {
  readonly order: Int32Array;
  readonly negatives: number;
  readonly positives: number;
}

/** The checks scikit-learn and liblinear's `check_parameter` make before training. */
export function checkLiblinearOptions(options: SolverOptions): void {
  const { C, tol, maxIter, interceptScaling, fitIntercept, l1Ratio, classWeights } = options;
  if (!(C > 0) || !Number.isFinite(C)) {
    throw new InvalidParameterError('C', C, 'liblinear needs a finite C > 0: C=inf (no penalty) is not supported');
  }
  if (!(tol > 0)) {
    throw new InvalidParameterError('tol', tol, 'liblinear needs tol > 0 (scikit-learn raises "eps <= 0")');
  }
  if (!Number.isInteger(maxIter) || maxIter < 0) {
    throw new InvalidParameterError('max_iter', maxIter, 'must be an integer >= 0');
  }
  if (fitIntercept && !(interceptScaling > 0)) {
    throw new InvalidParameterError('intercept_scaling', interceptScaling, 'must be > 0 when fitting an intercept');
  }
  if (l1Ratio !== 0 && l1Ratio !== 1) {
    throw new InvalidParameterError('l1_ratio', l1Ratio, 'liblinear fits l2 (0) or l1 (1) only');
  }
  if (!classWeights.every((weight) => weight > 0 && Number.isFinite(weight))) {
    throw new InvalidParameterError('class_weight', classWeights, 'class weights must be finite numbers > 0');
  }
}

/** `np.max(X) > 1e30` check of `LogisticRegression.fit` for liblinear (signed maximum, as scikit-learn does). */
export function checkLargestValue(X: DenseMatrix): void {
  const { data } = X;
  let largest = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < data.length; k++) if (data[k]! > largest) largest = data[k]!;
  if (largest > LARGEST_SUPPORTED_VALUE) {
    throw new InvalidDataError(
      "Using the 'liblinear' solver while X contains a maximum value > 1e30 results in a frozen fit. " +
        'Please choose another solver or rescale the input X.',
    );
  }
}

/** liblinear's group_classes for labels 0/1; throws when a class is missing. */
export function groupByClass(y: Float64Array): ClassGroups {
  let negatives = 0;
  for (let i = 0; i < y.length; i++) if (y[i] !== 1) negatives++;
  const positives = y.length - negatives;
  if (negatives === 0 || positives === 0) {
    throw new InvalidDataError(
      'This solver needs samples of at least 2 classes in the data, but the data contains only one class',
    );
  }
  const order = new Int32Array(y.length);
  let nextNegative = 0;
  let nextPositive = negatives;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === 1) order[nextPositive++] = i;
    else order[nextNegative++] = i;
  }
  return { order, negatives, positives };
}

/** train_one's primal stopping tolerance: eps · max(min(#pos, #neg), 1) / l. */
export function primalTolerance(tol: number, groups: ClassGroups): number {
  const { negatives, positives } = groups;
  return (tol * Math.max(Math.min(positives, negatives), 1)) / (negatives + positives);
}

/** train's weighted C per class (C · class weight), as [C for class 0 (label −1), C for class 1 (label +1)]. */
export function weightedC(options: SolverOptions): readonly [number, number] {
  return [options.C * options.classWeights[0], options.C * options.classWeights[1]];
}

/** Splits liblinear's weights [w, w_b] into coef and intercept (intercept_scaling · w_b) and flags non-convergence. */
export function liblinearResult(
  weights: Float64Array,
  nIter: number,
  cols: number,
  options: SolverOptions,
): SolverResult {
  const coef = weights.slice(0, cols);
  const intercept = options.fitIntercept ? options.interceptScaling * weights[cols]! : 0;
  const converged = nIter < options.maxIter;
  if (converged) return { coef, intercept, nIter, converged };
  return { coef, intercept, nIter, converged, warning: LIBLINEAR_CONVERGENCE_WARNING };
}

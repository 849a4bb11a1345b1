import type { DenseMatrix } from '../matrix.js';

/** A binary problem as every solver sees it: X row-major, y already encoded as 0 (classes_[0]) or 1 (classes_[1]). */
export interface BinaryProblem {
  readonly X: DenseMatrix;
  readonly y: Float64Array;
}

/** The solver-facing subset of LogisticRegression's parameters, already validated by the estimator. */
export interface SolverOptions {
  /** Inverse regularisation strength; `Infinity` means no penalty (penalty=None). */
  readonly C: number;
  readonly tol: number;
  readonly maxIter: number;
  readonly fitIntercept: boolean;
  /** liblinear only: the synthetic feature's value; the intercept is penalised through it. */
  readonly interceptScaling: number;
  /** saga's sampling and liblinear's l1 coordinate order, seeded as scikit-learn does; undefined = not reproducible. */
  readonly randomState: number | undefined;
  /** The L1 share of the penalty: 0 = l2 (or none when C = ∞), 1 = l1, in between = elasticnet (saga only). */
  readonly l1Ratio: number;
  /** scikit-learn's `class_weight_`: the weights of class 0 and class 1 ([1, 1] when class_weight is None). */
  readonly classWeights: ClassWeights;
}

/** Per-class weights of a binary problem, indexed by the 0/1 encoded label. */
export type ClassWeights = readonly [negative: number, positive: number];

/** The weights of class_weight=None. */
export const UNIT_CLASS_WEIGHTS: ClassWeights = [1, 1];

/** What a solver returns: weights for the original features, the intercept, and how the run ended. */
export interface SolverResult {
  readonly coef: Float64Array;
  readonly intercept: number;
  /** scikit-learn's `n_iter_` for this solver. */
  readonly nIter: number;
  /** False exactly when scikit-learn would emit a ConvergenceWarning. */
  readonly converged: boolean;
  /** scikit-learn's ConvergenceWarning text when not converged. */
  readonly warning?: string;
}

/** The shape each of liblinear, lbfgs and saga implements. */
export type Solver = (problem: BinaryProblem, options: SolverOptions) => SolverResult;

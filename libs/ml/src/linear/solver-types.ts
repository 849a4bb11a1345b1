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
  /** saga only: seeds the sampling exactly as scikit-learn's `make_dataset` does; undefined = not reproducible. */
  readonly randomState: number | undefined;
}

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

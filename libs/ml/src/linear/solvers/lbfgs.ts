import { InvalidParameterError } from '../../errors.js';
import type { BinaryProblem, ClassWeights, Solver, SolverOptions, SolverResult } from '../solver-types.js';
import { binomialLossGradient, pairwiseSum, withScratch } from './binomial-loss.js';
import { type LbfgsResult, minimizeLbfgsb } from './lbfgs-core.js';

/** What scikit-learn 1.8 passes to scipy's L-BFGS-B besides maxiter and gtol. */
const SKLEARN_LBFGS = { maxcor: 10, maxls: 50, ftol: 64 * 2.220446049250313e-16, maxfun: 15000 } as const;

const SCALING_HINT =
  '\nYou might also want to scale the data as shown in:\n    https://scikit-learn.org/stable/modules/preprocessing.html';
const SOLVER_HINT =
  '\nPlease also refer to the documentation for alternative solver options:\n' +
  '    https://scikit-learn.org/stable/modules/linear_model.html#logistic-regression';

/**
 * scikit-learn's lbfgs solver for binary logistic regression: minimises the mean half-binomial loss plus
 * ½·‖w‖²/(C·n) (intercept unpenalised; C = ∞ means no penalty) from zero with L-BFGS-B, memory 10, at most 50
 * line-search evaluations, gtol = tol, ftol = 64·ε. `nIter` = min(nit, maxIter); not converged iff scipy's status ≠ 0.
 * Class weights enter as scikit-learn's sample weights: the loss is their weighted mean and λ = 1/(C·Σ weights).
 */
export const fitLbfgs: Solver = (problem: BinaryProblem, options: SolverOptions): SolverResult => {
  if (options.l1Ratio !== 0) {
    throw new InvalidParameterError('l1_ratio', options.l1Ratio, "Solver lbfgs supports only 'l2' or None penalties");
  }
  const { X, y } = problem;
  const sampleWeight = classSampleWeights(y, options.classWeights);
  const weightSum = sampleWeight === undefined ? X.rows : pairwiseSum(sampleWeight, 0, sampleWeight.length);
  const l2 = 1 / (options.C * weightSum);
  const objective = withScratch({ X, y, fitIntercept: options.fitIntercept, l2, sampleWeight, weightSum });
  const start = new Float64Array(X.cols + (options.fitIntercept ? 1 : 0));
  const result = minimizeLbfgsb((params, grad) => binomialLossGradient(objective, params, grad), start, {
    ...SKLEARN_LBFGS,
    gtol: options.tol,
    maxiter: options.maxIter,
  });
  const nIter = Math.min(result.nit, options.maxIter);
  const coef = result.x.slice(0, X.cols);
  const intercept = options.fitIntercept ? result.x[X.cols]! : 0;
  if (result.status === 0) return { coef, intercept, nIter, converged: true };
  return { coef, intercept, nIter, converged: false, warning: convergenceWarning(result, nIter, options.maxIter) };
};

/** sample_weight = class_weight_[y] as `_logistic_regression_path` builds it; undefined for unit class weights. */
function classSampleWeights(y: Float64Array, classWeights: ClassWeights): Float64Array | undefined {
  const [negative, positive] = classWeights;
  if (negative === 1 && positive === 1) return undefined;
  const weights = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) weights[i] = y[i] === 1 ? positive : negative;
  return weights;
}

/** The ConvergenceWarning text of scikit-learn's `_check_optimize_result` for lbfgs. */
function convergenceWarning(result: LbfgsResult, nIter: number, maxIter: number): string {
  let text = `lbfgs failed to converge after ${nIter} iteration(s) (status=${result.status}):\n${result.message}\n`;
  if (nIter === maxIter) {
    text += `\nIncrease the number of iterations to improve the convergence (max_iter=${maxIter}).`;
  }
  return text + SCALING_HINT + SOLVER_HINT;
}

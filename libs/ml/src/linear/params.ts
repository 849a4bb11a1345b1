import { InvalidParameterError } from '../errors.js';
import { type ClassWeight, checkClassWeight } from './class-weight.js';
import { type PenaltyName, resolvePenalty } from './penalty.js';
import type { SolverOptions } from './solver-types.js';

/** The solvers this library implements, by scikit-learn's names. */
export const SOLVERS = ['liblinear', 'lbfgs', 'saga'] as const;
/** One of {@link SOLVERS}. */
export type SolverName = (typeof SOLVERS)[number];

/** LogisticRegression's hyperparameters with scikit-learn's names camel-cased; all optional. */
export interface LogisticRegressionParams {
  /**
   * `'l2'`, `'l1'` (liblinear, saga), `'elasticnet'` (saga, needs `l1Ratio`) or `null` (no penalty, same as
   * C = Infinity). Unset: chosen by `l1Ratio` as scikit-learn 1.8 does (unset or 0: l2, 1: l1, in between: elasticnet).
   */
  penalty?: PenaltyName | null;
  /** The elasticnet mixing parameter in [0, 1]: the L1 share of the penalty. */
  l1Ratio?: number;
  /** `'balanced'` or a weight per class label (`{ 0: 1, 1: 3 }`); unset = every class weighs 1. */
  classWeight?: ClassWeight | null;
  /** @defaultValue 1 */
  C?: number;
  /** @defaultValue 1e-4 */
  tol?: number;
  /** @defaultValue 100 */
  maxIter?: number;
  /** @defaultValue true */
  fitIntercept?: boolean;
  /** liblinear only. @defaultValue 1 */
  interceptScaling?: number;
  /** @defaultValue 'lbfgs' */
  solver?: SolverName;
  /** Seeds saga's sampling and liblinear's l1 coordinate order (liblinear's l2 solver and lbfgs are deterministic). */
  randomState?: number;
  /** Only `false` is supported (scikit-learn allows `true` with liblinear + l2). */
  dual?: boolean;
}

/** Parameters after defaults and validation: what `fit` actually used (`l1Ratio` is the L1 share applied). */
export interface ResolvedParams extends Omit<SolverOptions, 'classWeights'> {
  readonly penalty: PenaltyName | null;
  readonly solver: SolverName;
  /** The requested class_weight; the weights it gave are in the fit summary. */
  readonly classWeight: ClassWeight | null;
}

/** Applies scikit-learn's defaults and `_check_solver` rules; throws InvalidParameterError naming the bad value. */
export function resolveParams(params: LogisticRegressionParams, warn: (message: string) => void): ResolvedParams {
  const solver = params.solver ?? 'lbfgs';
  if (!SOLVERS.includes(solver)) {
    throw new InvalidParameterError('solver', solver, `must be one of ${SOLVERS.map((s) => `'${s}'`).join(', ')}`);
  }
  const { penalty, l1Ratio } = resolvePenalty(solver, params.penalty, params.l1Ratio, warn);
  const C = params.C ?? 1.0;
  if (typeof C !== 'number' || Number.isNaN(C) || !(C > 0)) {
    throw new InvalidParameterError('C', C, 'must be a number > 0 (Infinity means no penalty)');
  }
  if (penalty === null && C !== 1.0) warn('Setting penalty=None will ignore the C and l1_ratio parameters');
  const effectiveC = penalty === null ? Number.POSITIVE_INFINITY : C;
  if (solver === 'liblinear' && effectiveC === Number.POSITIVE_INFINITY) {
    throw new InvalidParameterError(
      penalty === null ? 'penalty' : 'C',
      penalty === null ? null : C,
      "C=np.inf as well as penalty=None is not supported for the liblinear solver; use 'lbfgs' or 'saga'",
    );
  }
  const tol = checkNonNegative('tol', params.tol ?? 1e-4);
  if (solver === 'liblinear' && tol === 0) {
    throw new InvalidParameterError('tol', 0, 'liblinear needs tol > 0 (its stopping rule is relative to tol)');
  }
  if (params.dual === true) {
    throw new InvalidParameterError('dual', true, 'only the primal formulation (dual=false) is implemented');
  }
  return {
    solver,
    penalty,
    l1Ratio,
    classWeight: checkClassWeight(params.classWeight),
    C: effectiveC,
    tol,
    maxIter: checkMaxIter(params.maxIter ?? 100),
    fitIntercept: checkBoolean('fit_intercept', params.fitIntercept ?? true),
    interceptScaling: checkInterceptScaling(params.interceptScaling ?? 1),
    randomState: checkRandomState(params.randomState),
  };
}

function checkNonNegative(name: string, value: number): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new InvalidParameterError(name, value, 'must be a finite number >= 0');
  }
  return value;
}

function checkMaxIter(value: number): number {
  if (!Number.isInteger(value) || value < 0)
    throw new InvalidParameterError('max_iter', value, 'must be an integer >= 0');
  return value;
}

function checkBoolean(name: string, value: boolean): boolean {
  if (typeof value !== 'boolean') throw new InvalidParameterError(name, value, 'must be true or false');
  return value;
}

function checkInterceptScaling(value: number): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new InvalidParameterError('intercept_scaling', value, 'must be a finite number > 0');
  }
  return value;
}

function checkRandomState(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidParameterError('random_state', value, 'must be an integer between 0 and 2**32 - 1');
  }
  return value;
}

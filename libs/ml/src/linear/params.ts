import { InvalidParameterError } from '../errors.js';
import type { SolverOptions } from './solver-types.js';

/** The solvers this library implements, by scikit-learn's names. */
export const SOLVERS = ['liblinear', 'lbfgs', 'saga'] as const;
/** One of {@link SOLVERS}. */
export type SolverName = (typeof SOLVERS)[number];

/** LogisticRegression's hyperparameters with scikit-learn's names camel-cased; all optional. */
export interface LogisticRegressionParams {
  /** `'l2'` or `null` (no penalty, same as C = Infinity). `'l1'`/`'elasticnet'` are not implemented yet. */
  penalty?: 'l2' | null;
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
  /** saga's sampling seed (liblinear's primal solver and lbfgs are deterministic). */
  randomState?: number;
  /** Only `false` is supported (scikit-learn allows `true` with liblinear + l2). */
  dual?: boolean;
}

/** Parameters after defaults and validation: what `fit` actually used. */
export interface ResolvedParams extends SolverOptions {
  readonly penalty: 'l2' | null;
  readonly solver: SolverName;
}

/** Applies scikit-learn's defaults and `_check_solver` rules; throws InvalidParameterError naming the bad value. */
export function resolveParams(params: LogisticRegressionParams, warn: (message: string) => void): ResolvedParams {
  const solver = params.solver ?? 'lbfgs';
  if (!SOLVERS.includes(solver)) {
    throw new InvalidParameterError('solver', solver, `must be one of ${SOLVERS.map((s) => `'${s}'`).join(', ')}`);
  }
  const penalty = checkPenalty(params.penalty === undefined ? 'l2' : params.penalty);
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
    C: effectiveC,
    tol,
    maxIter: checkMaxIter(params.maxIter ?? 100),
    fitIntercept: checkBoolean('fit_intercept', params.fitIntercept ?? true),
    interceptScaling: checkInterceptScaling(params.interceptScaling ?? 1),
    randomState: checkRandomState(params.randomState),
  };
}

function checkPenalty(penalty: unknown): 'l2' | null {
  if (penalty === 'l2' || penalty === null) return penalty;
  if (penalty === 'l1' || penalty === 'elasticnet') {
    throw new InvalidParameterError('penalty', penalty, "not implemented yet: use 'l2' or null");
  }
  throw new InvalidParameterError('penalty', penalty, "must be 'l2' or null (no penalty)");
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

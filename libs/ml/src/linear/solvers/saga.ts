import { NumericalError } from '../../errors.js';
import type { BinaryProblem, Solver, SolverOptions, SolverResult } from '../solver-types.js';
import { createSagaState, drawIndex, type SagaState } from './saga-state.js';
import { correct, correctStepAndDot, flushPendingAndRescale, rowDot, stepAndDot } from './saga-updates.js';

export { maxSquaredRowNorm, sagaPenalty, sagaSamplerSeed, sagaStepSize } from './saga-state.js';

/*
 * scikit-learn 1.8.0's saga for binary logistic regression on dense data (sklearn/linear_model/_sag.py and
 * _sag_fast.pyx.tp), reproduced operation for operation so the iterates match to the last bits:
 * - the L2 shrinkage is kept in a scalar `wscale` (true weights = wscale * weights);
 * - the averaged-gradient step is applied just in time through cumulative sums of step / (wscale * seen), and the
 *   l1 part (l1, elasticnet) as a soft-threshold through cumulative sums of step * beta / wscale (saga-updates.ts);
 * - each sample's gradient is scaled by its class weight (scikit-learn's sample_weight = class_weight_[y]);
 * - every epoch ends by applying the pending step, folding wscale into the weights and testing
 *   max |Δw| / max |w| <= tol on the feature weights only.
 * Samples are drawn with replacement by scikit-learn's xorshift32 generator (`our_rand_r`), seeded like `make_dataset`.
 */

const MAX_ITER_WARNING = 'The max_iter was reached which means the coef_ did not converge';
const RESCALE_THRESHOLD = 1e-9;
/** Dense datasets use no intercept decay (sparse ones use 0.01); kept to mirror the update formula. */
const DENSE_INTERCEPT_DECAY = 1.0;

/** `CyHalfBinomialLoss.cy_gradient`: expit(raw) - y, in scikit-learn's branch form. */
function binomialGradient(y: number, raw: number): number {
  if (raw > -37) {
    const e = Math.exp(-raw);
    return (1 - y - y * e) / (1 + e);
  }
  return Math.exp(raw) - y;
}

/**
 * One pass of n random draws; returns false on a non-finite intercept or weight (scikit-learn's status -1).
 * Sample s's SAGA correction is fused with sample s+1's just-in-time step and dot product (one pass over the
 * features per draw); each element still sees exactly the operations of `_sag_fast.pyx.tp`, in the same order.
 */
function runEpoch(state: SagaState): boolean {
  const { y, n, p, step, wscaleUpdate, fitIntercept, gradientMemory, seen, classWeights } = state;
  let { intercept, interceptSumGradient, numSeen, wscale } = state;
  let i = drawIndex(state);
  let dot = rowDot(state, i * p);
  for (let s = 0; s < n; s++) {
    if (seen[i] === 0) {
      numSeen += 1;
      seen[i] = 1;
    }
    const row = i * p;
    const label = y[i]!;
    const gradient = binomialGradient(label, wscale * dot + intercept) * classWeights[label === 1 ? 1 : 0];
    wscale *= wscaleUpdate;
    const delta = gradient - gradientMemory[i]!;
    const unbias = 1 - 1 / numSeen;
    if (fitIntercept) {
      interceptSumGradient += delta;
      intercept -= ((step * interceptSumGradient) / numSeen) * DENSE_INTERCEPT_DECAY + delta * (step * unbias);
      if (!Number.isFinite(intercept)) return false;
    }
    gradientMemory[i] = gradient;
    recordCumulativeSums(state, s, wscale, numSeen);
    const isLast = s === n - 1;
    if (!isLast) i = drawIndex(state);
    if (!isLast && !(wscale < RESCALE_THRESHOLD)) {
      dot = correctStepAndDot(state, row, i * p, delta, unbias, wscale, s + 1);
      continue;
    }
    correct(state, row, delta, unbias, wscale);
    if (wscale < RESCALE_THRESHOLD) {
      state.wscale = wscale;
      if (!flushPendingAndRescale(state, s + 1)) return false;
      wscale = state.wscale;
    }
    if (!isLast) dot = stepAndDot(state, i * p, s + 1);
  }
  state.intercept = intercept;
  state.interceptSumGradient = interceptSumGradient;
  state.numSeen = numSeen;
  state.wscale = wscale;
  return flushPendingAndRescale(state, n);
}

/** Appends draw s to `cumulative_sums` (step / (wscale · seen)) and, with prox, `cumulative_sums_prox`. */
function recordCumulativeSums(state: SagaState, s: number, wscale: number, numSeen: number): void {
  const { cumulativeSums, cumulativeSumsProx, step } = state;
  const increment = step / (wscale * numSeen);
  cumulativeSums[s] = s === 0 ? increment : cumulativeSums[s - 1]! + increment;
  if (!state.prox) return;
  const proxIncrement = state.proxStep / wscale;
  cumulativeSumsProx[s] = s === 0 ? proxIncrement : cumulativeSumsProx[s - 1]! + proxIncrement;
}

/** The epoch-end test: max |w - w_prev| / max |w| <= tol (or both zero); also stores w as the new previous. */
function weightsConverged(state: SagaState, tol: number): boolean {
  const { weights: w, previousWeights: previous, p } = state;
  let maxWeight = 0.0;
  let maxChange = 0.0;
  for (let j = 0; j < p; j++) {
    const wj = w[j]!;
    const magnitude = Math.abs(wj);
    const change = Math.abs(wj - previous[j]!);
    if (!(maxWeight > magnitude)) maxWeight = magnitude;
    if (!(maxChange > change)) maxChange = change;
    previous[j] = wj;
  }
  return (maxWeight !== 0 && maxChange / maxWeight <= tol) || (maxWeight === 0 && maxChange === 0);
}

/**
 * saga as scikit-learn 1.8.0 runs it for binary LogisticRegression (penalty l2, l1 or elasticnet by `l1Ratio`, none
 * when C = Infinity; class weights as sample weights): same sampling, same step size, same iterates, same `n_iter_`
 * and the same ConvergenceWarning / ValueError texts.
 */
export const fitSaga: Solver = (problem: BinaryProblem, options: SolverOptions): SolverResult => {
  const state = createSagaState(problem, options);
  const { maxIter } = options;
  let epochs = 0;
  for (let epoch = 0; epoch < maxIter; epoch++) {
    epochs = epoch;
    if (!runEpoch(state)) {
      throw new NumericalError(
        `Floating-point under-/overflow occurred at epoch #${epoch + 1}. ` +
          'Scaling input data with StandardScaler or MinMaxScaler might help.',
      );
    }
    if (weightsConverged(state, options.tol)) break;
  }
  const nIter = epochs + 1;
  const coef = Float64Array.from(state.weights);
  const intercept = options.fitIntercept ? state.intercept : 0;
  if (nIter === maxIter) return { coef, intercept, nIter, converged: false, warning: MAX_ITER_WARNING };
  return { coef, intercept, nIter, converged: true };
};

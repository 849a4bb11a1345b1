import { NumericalError } from '../../errors.js';
import { RandomState } from '../../random/random-state.js';
import type { BinaryProblem, Solver, SolverOptions, SolverResult } from '../solver-types.js';

/*
 * scikit-learn 1.8.0's saga for binary logistic regression on dense data (sklearn/linear_model/_sag.py and
 * _sag_fast.pyx.tp), reproduced operation for operation so the iterates match to the last bits:
 * - the L2 shrinkage is kept in a scalar `wscale` (true weights = wscale * weights);
 * - the averaged-gradient step is applied just in time through cumulative sums of step / (wscale * seen);
 *   on dense rows every feature is touched by every sample, so one "last update" index serves all features;
 * - every epoch ends by applying the pending step, folding wscale into the weights and testing
 *   max |Δw| / max |w| <= tol on the feature weights only.
 * Samples are drawn with replacement by scikit-learn's xorshift32 generator (`our_rand_r`), seeded like `make_dataset`.
 */

const MAX_ITER_WARNING = 'The max_iter was reached which means the coef_ did not converge';
const RESCALE_THRESHOLD = 1e-9;
const INT32_MAX = 2147483647;
/** Dense datasets use no intercept decay (sparse ones use 0.01); kept to mirror the update formula. */
const DENSE_INTERCEPT_DECAY = 1.0;

/** The first seed `make_dataset` draws for the sample generator: `RandomState(seed).randint(1, 2**31 - 1)`. */
export function sagaSamplerSeed(randomState: number | undefined): number {
  if (randomState === undefined) return 1 + Math.floor(Math.random() * (INT32_MAX - 1));
  return new RandomState(randomState).randint(1, INT32_MAX);
}

/** `row_norms(X, squared=True).max()` with numpy's einsum summation order (two lanes, blocks of eight, reversed pairs). */
export function maxSquaredRowNorm(X: BinaryProblem['X']): number {
  const { rows, cols, data } = X;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < rows; i++) {
    const norm = einsumSquaredNorm(data, i * cols, cols);
    if (norm > max || Number.isNaN(norm)) max = norm;
  }
  return max;
}

/** numpy's SSE2 `sum_of_products_contig_contig_outstride0_two` for x·x: lane 0 sums even, lane 1 odd offsets. */
function einsumSquaredNorm(data: Float64Array, start: number, count: number): number {
  let even = 0;
  let odd = 0;
  let k = start;
  let left = count;
  for (; left >= 8; left -= 8, k += 8) {
    for (let pair = 6; pair >= 0; pair -= 2) {
      const a = data[k + pair]!;
      const b = data[k + pair + 1]!;
      even = a * a + even;
      odd = b * b + odd;
    }
  }
  for (; left > 0; left -= 2, k += 2) {
    const a = data[k]!;
    even = a * a + even;
    if (left > 1) {
      const b = data[k + 1]!;
      odd = b * b + odd;
    }
  }
  return 0 + (even + odd);
}

/** `get_auto_step_size(..., loss="log", is_saga=True)`: 1 / (2L + min(2·n·alpha_scaled, L)). */
export function sagaStepSize(maxSquaredSum: number, alphaScaled: number, fitIntercept: boolean, n: number): number {
  const lipschitz = 0.25 * (maxSquaredSum + (fitIntercept ? 1 : 0)) + alphaScaled;
  const twoNAlpha = 2 * n * alphaScaled;
  const strongConvexity = lipschitz < twoNAlpha ? lipschitz : twoNAlpha;
  return 1.0 / (2 * lipschitz + strongConvexity);
}

/** `CyHalfBinomialLoss.cy_gradient`: expit(raw) - y, in scikit-learn's branch form. */
function binomialGradient(y: number, raw: number): number {
  if (raw > -37) {
    const e = Math.exp(-raw);
    return (1 - y - y * e) / (1 + e);
  }
  return Math.exp(raw) - y;
}

/** Everything the saga loop carries between samples and epochs; scratch is allocated once per fit. */
interface SagaState {
  readonly X: Float64Array;
  readonly y: Float64Array;
  readonly n: number;
  readonly p: number;
  readonly fitIntercept: boolean;
  readonly step: number;
  readonly wscaleUpdate: number;
  readonly weights: Float64Array;
  readonly previousWeights: Float64Array;
  readonly sumGradient: Float64Array;
  readonly gradientMemory: Float64Array;
  readonly seen: Uint8Array;
  readonly cumulativeSums: Float64Array;
  intercept: number;
  interceptSumGradient: number;
  numSeen: number;
  wscale: number;
  /** scikit-learn's `feature_hist`, shared by all features on dense data. */
  lastUpdate: number;
  /** xorshift32 state, kept as an int32 bit pattern. */
  seed: number;
}

function createState(problem: BinaryProblem, options: SolverOptions): SagaState {
  const { X, y } = problem;
  const n = X.rows;
  const p = X.cols;
  const alphaScaled = 1.0 / options.C / n;
  const step = sagaStepSize(maxSquaredRowNorm(X), alphaScaled, options.fitIntercept, n);
  return {
    X: X.data,
    y,
    n,
    p,
    fitIntercept: options.fitIntercept,
    step,
    wscaleUpdate: 1.0 - step * alphaScaled,
    weights: new Float64Array(p),
    previousWeights: new Float64Array(p),
    sumGradient: new Float64Array(p),
    gradientMemory: new Float64Array(n),
    seen: new Uint8Array(n),
    cumulativeSums: new Float64Array(n),
    intercept: 0,
    interceptSumGradient: 0,
    numSeen: 0,
    wscale: 1.0,
    lastUpdate: 0,
    seed: sagaSamplerSeed(options.randomState) | 0,
  };
}

/** scikit-learn's `our_rand_r`: one xorshift32 step on an int32 bit pattern. */
function xorshift32(seed: number): number {
  let s = seed ^ (seed << 13);
  s ^= s >>> 17;
  return s ^ (s << 5);
}

/** `dataset.random()`: the next sample index, `(our_rand_r() mod 2**31) mod n`. */
function drawIndex(state: SagaState): number {
  state.seed = xorshift32(state.seed);
  return (state.seed & INT32_MAX) % state.n;
}

/**
 * One pass of n random draws; returns false on a non-finite intercept or weight (scikit-learn's status -1).
 * Sample s's SAGA correction is fused with sample s+1's just-in-time step and dot product (one pass over the
 * features per draw); each element still sees exactly the operations of `_sag_fast.pyx.tp`, in the same order.
 */
function runEpoch(state: SagaState): boolean {
  const { y, n, p, step, wscaleUpdate, fitIntercept, gradientMemory, seen, cumulativeSums } = state;
  let { intercept, interceptSumGradient, numSeen, wscale } = state;
  let i = drawIndex(state);
  let dot = rowDot(state, i * p);
  for (let s = 0; s < n; s++) {
    if (seen[i] === 0) {
      numSeen += 1;
      seen[i] = 1;
    }
    const row = i * p;
    const gradient = binomialGradient(y[i]!, wscale * dot + intercept);
    wscale *= wscaleUpdate;
    const delta = gradient - gradientMemory[i]!;
    const unbias = 1 - 1 / numSeen;
    if (fitIntercept) {
      interceptSumGradient += delta;
      intercept -= ((step * interceptSumGradient) / numSeen) * DENSE_INTERCEPT_DECAY + delta * (step * unbias);
      if (!Number.isFinite(intercept)) return false;
    }
    gradientMemory[i] = gradient;
    const increment = step / (wscale * numSeen);
    cumulativeSums[s] = s === 0 ? increment : cumulativeSums[s - 1]! + increment;
    const isLast = s === n - 1;
    if (!isLast) i = drawIndex(state);
    if (!isLast && !(wscale < RESCALE_THRESHOLD)) {
      dot = correctStepAndDot(state, row, i * p, delta, unbias, wscale, takePendingStep(state, s + 1));
      continue;
    }
    correct(state, row, delta, unbias, wscale);
    if (wscale < RESCALE_THRESHOLD) {
      state.wscale = wscale;
      if (!flushPendingAndRescale(state, s + 1)) return false;
      wscale = state.wscale;
    }
    if (!isLast) dot = stepAndDot(state, i * p, takePendingStep(state, s + 1));
  }
  state.intercept = intercept;
  state.interceptSumGradient = interceptSumGradient;
  state.numSeen = numSeen;
  state.wscale = wscale;
  return flushPendingAndRescale(state, n);
}

/** `lagged_update` bookkeeping before draw `sampleItr`: the averaged-gradient multiplier still owed to every feature. */
function takePendingStep(state: SagaState, sampleItr: number): number {
  const { cumulativeSums, lastUpdate } = state;
  let pending = cumulativeSums[sampleItr - 1]!;
  if (lastUpdate !== 0) pending -= cumulativeSums[lastUpdate - 1]!;
  state.lastUpdate = sampleItr;
  return pending;
}

/** w·x_row for the first draw of an epoch, where scikit-learn has no pending step to apply. */
function rowDot(state: SagaState, row: number): number {
  const { X, weights: w, p } = state;
  let dot = 0.0;
  for (let j = 0; j < p; j++) dot += w[j]! * X[row + j]!;
  return dot;
}

/** Applies the pending step to every weight and returns w·x_row with the updated weights. */
function stepAndDot(state: SagaState, row: number, pending: number): number {
  const { X, weights: w, sumGradient: g, p } = state;
  let dot = 0.0;
  for (let j = 0; j < p; j++) {
    const wj = w[j]! - pending * g[j]!;
    w[j] = wj;
    dot += wj * X[row + j]!;
  }
  return dot;
}

/** The SAGA correction of one draw: w -= x·δ·step·(1 - 1/seen) / wscale and G += x·δ. */
function correct(state: SagaState, row: number, delta: number, unbias: number, wscale: number): void {
  const { X, weights: w, sumGradient: g, p, step } = state;
  for (let j = 0; j < p; j++) {
    const correction = X[row + j]! * delta;
    w[j] = w[j]! - (correction * step * unbias) / wscale;
    g[j] = g[j]! + correction;
  }
}

/** `correct` for this draw, then `stepAndDot` for the next one, in a single pass over the features. */
function correctStepAndDot(
  state: SagaState,
  row: number,
  nextRow: number,
  delta: number,
  unbias: number,
  wscale: number,
  pending: number,
): number {
  const { X, weights: w, sumGradient: g, p, step } = state;
  let dot = 0.0;
  for (let j = 0; j < p; j++) {
    const correction = X[row + j]! * delta;
    const gj = g[j]! + correction;
    g[j] = gj;
    const wj = w[j]! - (correction * step * unbias) / wscale - pending * gj;
    w[j] = wj;
    dot += wj * X[nextRow + j]!;
  }
  return dot;
}

/** `scale_weights`: apply the pending step up to draw `upTo`, fold wscale into the weights, restart the sums. */
function flushPendingAndRescale(state: SagaState, upTo: number): boolean {
  const { weights: w, sumGradient: g, cumulativeSums, p, wscale } = state;
  let pending = cumulativeSums[upTo - 1]!;
  if (state.lastUpdate !== 0) pending -= cumulativeSums[state.lastUpdate - 1]!;
  for (let j = 0; j < p; j++) {
    const wj = (w[j]! - pending * g[j]!) * wscale;
    w[j] = wj;
    if (!Number.isFinite(wj)) return false;
  }
  state.lastUpdate = upTo % state.n;
  cumulativeSums[upTo - 1] = 0.0;
  state.wscale = 1.0;
  return true;
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
 * saga as scikit-learn 1.8.0 runs it for binary LogisticRegression (penalty l2, or none when C = Infinity):
 * same sampling, same step size, same iterates, same `n_iter_` and the same ConvergenceWarning / ValueError texts.
 */
export const fitSaga: Solver = (problem: BinaryProblem, options: SolverOptions): SolverResult => {
  const state = createState(problem, options);
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

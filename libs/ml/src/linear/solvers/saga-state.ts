import { RandomState } from '../../random/random-state.js';
import type { BinaryProblem, SolverOptions } from '../solver-types.js';

const INT32_MAX = 2147483647;

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

/**
 * `_logistic_regression_path`'s saga penalty split, divided by n as `sag_solver` does: alpha (L2) = (1/C)·(1 − r),
 * beta (L1) = (1/C)·r with r = l1_ratio (l2: r = 0, l1: r = 1; the same floats as scikit-learn's three branches).
 */
export function sagaPenalty(C: number, l1Ratio: number, n: number): { alphaScaled: number; betaScaled: number } {
  const inverseC = 1.0 / C;
  return { alphaScaled: (inverseC * (1 - l1Ratio)) / n, betaScaled: (inverseC * l1Ratio) / n };
}

/** Everything the saga loop carries between samples and epochs; scratch is allocated once per fit. */
export interface SagaState {
  readonly X: Float64Array;
  readonly y: Float64Array;
  readonly n: number;
  readonly p: number;
  readonly fitIntercept: boolean;
  readonly step: number;
  readonly wscaleUpdate: number;
  /** step · beta_scaled: the soft-threshold owed per draw (before dividing by wscale); 0 without an l1 part. */
  readonly proxStep: number;
  /** scikit-learn's `prox = beta > 0 and saga`. */
  readonly prox: boolean;
  /** sample_weight = class_weight_[y]: the weights of class 0 and class 1. */
  readonly classWeights: SolverOptions['classWeights'];
  readonly weights: Float64Array;
  readonly previousWeights: Float64Array;
  readonly sumGradient: Float64Array;
  readonly gradientMemory: Float64Array;
  readonly seen: Uint8Array;
  readonly cumulativeSums: Float64Array;
  /** `cumulative_sums_prox`; length 0 without prox. */
  readonly cumulativeSumsProx: Float64Array;
  intercept: number;
  interceptSumGradient: number;
  numSeen: number;
  wscale: number;
  /** scikit-learn's `feature_hist`, shared by all features on dense data. */
  lastUpdate: number;
  /** The soft-threshold owed with the pending step last taken by `takePendingStep` (prox only). */
  pendingProx: number;
  /** xorshift32 state, kept as an int32 bit pattern. */
  seed: number;
}

/** Step size, penalty split and zeroed scratch for one fit, as `sag_solver` prepares them. */
export function createSagaState(problem: BinaryProblem, options: SolverOptions): SagaState {
  const { X, y } = problem;
  const n = X.rows;
  const p = X.cols;
  const { alphaScaled, betaScaled } = sagaPenalty(options.C, options.l1Ratio, n);
  const step = sagaStepSize(maxSquaredRowNorm(X), alphaScaled, options.fitIntercept, n);
  const prox = betaScaled > 0;
  return {
    X: X.data,
    y,
    n,
    p,
    fitIntercept: options.fitIntercept,
    step,
    wscaleUpdate: 1.0 - step * alphaScaled,
    proxStep: step * betaScaled,
    prox,
    classWeights: options.classWeights,
    weights: new Float64Array(p),
    previousWeights: new Float64Array(p),
    sumGradient: new Float64Array(p),
    gradientMemory: new Float64Array(n),
    seen: new Uint8Array(n),
    cumulativeSums: new Float64Array(n),
    cumulativeSumsProx: new Float64Array(prox ? n : 0),
    intercept: 0,
    interceptSumGradient: 0,
    numSeen: 0,
    wscale: 1.0,
    lastUpdate: 0,
    pendingProx: 0,
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
export function drawIndex(state: SagaState): number {
  state.seed = xorshift32(state.seed);
  return (state.seed & INT32_MAX) % state.n;
}

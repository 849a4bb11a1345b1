import type { DenseMatrix } from '../../matrix.js';
import { createRowKernels, type RowKernels } from './row-kernels.js';

/**
 * The binary logistic objective scikit-learn's lbfgs minimises (`LinearModelLoss` with `HalfBinomialLoss`):
 * (1/S)·Σ s_i·ℓ(y_i, x_i·w + b) + ½·λ·‖w‖², the intercept b not penalised; s_i = 1 and S = number of rows without
 * sample weights, else S = Σ s_i (numpy's pairwise sum).
 */
export interface BinomialObjective {
  readonly X: DenseMatrix;
  /** Targets encoded 0/1. */
  readonly y: Float64Array;
  /** When true the parameter vector is [w, b] (length cols + 1), else just w. */
  readonly fitIntercept: boolean;
  /** λ of the ½·λ·‖w‖² penalty: 1 / (C·S), 0 when unpenalised. */
  readonly l2: number;
  /** Per-row sample weights (class weights by label), or undefined for scikit-learn's sample_weight=None. */
  readonly sampleWeight: Float64Array | undefined;
  /** S: the row count, or the pairwise sum of the sample weights. */
  readonly weightSum: number;
}

/** The objective plus the per-row scratch its evaluations reuse (allocated once per fit). */
export interface BinomialObjectiveWithScratch extends BinomialObjective {
  /** s_i·ℓ(y_i, z_i), summed pairwise as numpy's `sum` does. */
  readonly pointLoss: Float64Array;
  /** s_i·(σ(z_i) − y_i) / S, the weights of the gradient's row combination. */
  readonly pointGrad: Float64Array;
  /** The WebAssembly SIMD row kernels with their block buffers; undefined where unavailable (scalar loops then). */
  readonly kernels: RowKernels | undefined;
}

/** Attaches the per-row scratch buffers and the row kernels (unless `useKernels` is false); call once per fit. */
export function withScratch(objective: BinomialObjective, useKernels = true): BinomialObjectiveWithScratch {
  const { rows, cols } = objective.X;
  return {
    ...objective,
    pointLoss: new Float64Array(rows),
    pointGrad: new Float64Array(rows),
    kernels: useKernels ? createRowKernels(rows, cols) : undefined,
  };
}

/**
 * Loss and gradient of the objective at `params`, in one pass over the rows of X: each row's raw prediction is
 * formed and its gradient contribution accumulated while the row is hot in cache. Writes the gradient into `grad`
 * (same length as `params`) and returns the loss. Follows `LinearModelLoss.loss_gradient`: scikit-learn's
 * numerically stable log1pexp branches, pointwise gradients divided by S before they are combined, and numpy's
 * pairwise summation for the loss and intercept sums. With the row kernels, the pass goes block by block (each
 * block copied into wasm memory, dot products, pointwise terms, then the gradient's row combination); the result
 * is bit for bit that of the scalar loops.
 */
export function binomialLossGradient(
  objective: BinomialObjectiveWithScratch,
  params: Float64Array,
  grad: Float64Array,
): number {
  if (objective.kernels !== undefined) return blockedLossGradient(objective, objective.kernels, params, grad);
  const { X, y, fitIntercept, pointLoss, pointGrad, sampleWeight, weightSum } = objective;
  const { rows, cols, data } = X;
  const intercept = fitIntercept ? params[cols]! : 0;
  grad.fill(0);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    const z = rowDot(data, offset, params, cols) + intercept;
    const weight = sampleWeight === undefined ? 1 : sampleWeight[i]!;
    const scaled = pointTerms(z, y[i]!, weight, weightSum, pointLoss, pointGrad, i);
    rowAxpy(data, offset, scaled, grad, cols);
  }
  return addPenalty(objective, params, grad);
}

/** The fused pass block by block through the WebAssembly kernels; same operations in the same order. */
function blockedLossGradient(
  objective: BinomialObjectiveWithScratch,
  kernels: RowKernels,
  params: Float64Array,
  grad: Float64Array,
): number {
  const { X, y, fitIntercept, pointLoss, pointGrad, sampleWeight, weightSum } = objective;
  const { rows, cols, data } = X;
  const { blockRows, x, w, z, g, acc } = kernels;
  const intercept = fitIntercept ? params[cols]! : 0;
  w.set(params.subarray(0, cols));
  acc.fill(0);
  for (let start = 0; start < rows; start += blockRows) {
    const n = Math.min(blockRows, rows - start);
    x.set(data.subarray(start * cols, (start + n) * cols));
    kernels.dots(n);
    for (let k = 0; k < n; k++) {
      const i = start + k;
      const weight = sampleWeight === undefined ? 1 : sampleWeight[i]!;
      g[k] = pointTerms(z[k]! + intercept, y[i]!, weight, weightSum, pointLoss, pointGrad, i);
    }
    kernels.axpys(n);
  }
  grad.set(acc);
  return addPenalty(objective, params, grad);
}

/**
 * Row i's pointwise terms at raw prediction z: stores s_i·ℓ(y_i, z) in pointLoss[i] and s_i·∂ℓ/∂z / S in
 * pointGrad[i], and returns the latter (scikit-learn's `HalfBinomialLoss` branches).
 */
function pointTerms(
  z: number,
  yi: number,
  weight: number,
  weightSum: number,
  pointLoss: Float64Array,
  pointGrad: Float64Array,
  i: number,
): number {
  let loss: number;
  let gradient: number;
  if (z <= -37) {
    const e = Math.exp(z);
    loss = e - yi * z;
    gradient = e - yi;
  } else if (z <= -2) {
    const e = Math.exp(z);
    loss = Math.log1p(e) - yi * z;
    gradient = ((1 - yi) * e - yi) / (1 + e);
  } else if (z <= 18) {
    const e = Math.exp(-z);
    loss = Math.log1p(e) + (1 - yi) * z;
    gradient = (1 - yi - yi * e) / (1 + e);
  } else {
    const e = Math.exp(-z);
    loss = e + (1 - yi) * z;
    gradient = (1 - yi - yi * e) / (1 + e);
  }
  const scaled = (weight * gradient) / weightSum;
  pointLoss[i] = weight * loss;
  pointGrad[i] = scaled;
  return scaled;
}

/** Weighted mean loss plus ½λ‖w‖²; adds λw to the weight gradient and sets the intercept gradient. */
function addPenalty(objective: BinomialObjectiveWithScratch, params: Float64Array, grad: Float64Array): number {
  const { X, l2, pointLoss, pointGrad, weightSum } = objective;
  const { rows, cols } = X;
  let normSquared = 0;
  for (let j = 0; j < cols; j++) {
    const w = params[j]!;
    normSquared += w * w;
    grad[j] = grad[j]! + l2 * w;
  }
  if (objective.fitIntercept) grad[cols] = pairwiseSum(pointGrad, 0, rows);
  return pairwiseSum(pointLoss, 0, rows) / weightSum + 0.5 * l2 * normSquared;
}

/** numpy's pairwise summation of `values[start, start + n)` (8 accumulators, blocks of 128), bit for bit. */
export function pairwiseSum(values: Float64Array, start: number, n: number): number {
  if (n < 8) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[start + i]!;
    return sum;
  }
  if (n <= 128) {
    let r0 = values[start]!;
    let r1 = values[start + 1]!;
    let r2 = values[start + 2]!;
    let r3 = values[start + 3]!;
    let r4 = values[start + 4]!;
    let r5 = values[start + 5]!;
    let r6 = values[start + 6]!;
    let r7 = values[start + 7]!;
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const k = start + i;
      r0 += values[k]!;
      r1 += values[k + 1]!;
      r2 += values[k + 2]!;
      r3 += values[k + 3]!;
      r4 += values[k + 4]!;
      r5 += values[k + 5]!;
      r6 += values[k + 6]!;
      r7 += values[k + 7]!;
    }
    let sum = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) sum += values[start + i]!;
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(values, start, half) + pairwiseSum(values, start + half, n - half);
}

/** x_row · w with four independent accumulators, so the loop is not bound by add latency. */
function rowDot(data: Float64Array, offset: number, w: Float64Array, cols: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < cols; j += 4) {
    s0 += data[offset + j]! * w[j]!;
    s1 += data[offset + j + 1]! * w[j + 1]!;
    s2 += data[offset + j + 2]! * w[j + 2]!;
    s3 += data[offset + j + 3]! * w[j + 3]!;
  }
  for (; j < cols; j++) s0 += data[offset + j]! * w[j]!;
  return s0 + s1 + (s2 + s3);
}

/** acc += scale · x_row, unrolled like `rowDot`. */
function rowAxpy(data: Float64Array, offset: number, scale: number, acc: Float64Array, cols: number): void {
  let j = 0;
  for (; j + 3 < cols; j += 4) {
    acc[j] = acc[j]! + scale * data[offset + j]!;
    acc[j + 1] = acc[j + 1]! + scale * data[offset + j + 1]!;
    acc[j + 2] = acc[j + 2]! + scale * data[offset + j + 2]!;
    acc[j + 3] = acc[j + 3]! + scale * data[offset + j + 3]!;
  }
  for (; j < cols; j++) acc[j] = acc[j]! + scale * data[offset + j]!;
}

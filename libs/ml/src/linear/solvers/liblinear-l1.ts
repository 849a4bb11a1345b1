import { boundedRandInt, liblinearSeed } from '../../random/bounded-rand.js';
import { RandomState } from '../../random/random-state.js';
import type { BinaryProblem, SolverOptions } from '../solver-types.js';
import { type ClassGroups, weightedC } from './liblinear-common.js';

/*
 * scikit-learn 1.8.0's vendored liblinear, solver type 6 (L1R_LR): newGLMNET (solve_l1r_lr in
 * sklearn/svm/src/liblinear/linear.cpp; Yuan, Ho & Lin 2012) on
 *   f(w̃) = ‖w̃‖₁ + Σ_i C_i·log(1 + exp(−y_i·w̃·x̃_i)),  x̃_i = [x_i, interceptScaling] when fitting an intercept,
 * so the bias weight is L1-penalised too. Each outer (Newton) iteration builds the gradient and the diagonal of the
 * Hessian, shrinks the zero coordinates whose subgradient is well inside [−1, 1], solves the quadratic model by
 * coordinate descent in a random order (liblinear's `bounded_rand_int` on scikit-learn's seeded mt19937), then line
 * searches on the true objective. Reproduced operation by operation: liblinear works on the transposed problem
 * (columns of X in class-grouped row order, the bias column last), so every per-feature sum below runs over that
 * column from the first class-0 row to the last class-1 row. liblinear skips the zeros of X; adding them instead
 * changes no sum (x·… = ±0). `n_iter_` is the number of Newton iterations.
 */

/** Curvature floor added to every Hessian diagonal entry (liblinear's `nu`). */
const NU = 1e-12;
/** Armijo constant of the line search. */
const SIGMA = 0.01;
const MAX_INNER_ITERATIONS = 1000;
const MAX_LINE_SEARCH_STEPS = 20;
/** Coordinate steps smaller than this are skipped. */
const SMALLEST_STEP = 1e-12;
/** Coordinate steps are clipped to [−10, 10]. */
const LARGEST_STEP = 10;
/** Stop after this many Newton iterations in a row whose quadratic step changed nothing. */
const MAX_UNCHANGED_ITERATIONS = 10;

/** Everything solve_l1r_lr keeps between phases; per-feature arrays have `size` entries, per-sample ones `l`. */
interface L1State {
  readonly l: number;
  readonly size: number;
  /** Column-major copy of [X, bias]: feature j of grouped sample k at `j * l + k`. */
  readonly columns: Float64Array;
  readonly negatives: number;
  /** C_k = C · class weight, by grouped position. */
  readonly C: Float64Array;
  readonly w: Float64Array;
  /** The trial point w + d of the quadratic model. */
  readonly wpd: Float64Array;
  readonly hessianDiagonal: Float64Array;
  readonly gradient: Float64Array;
  /** Σ over class-0 samples of C_k·x_kj (liblinear's xjneg_sum). */
  readonly negativeSums: Float64Array;
  readonly index: Int32Array;
  /** x̃_k·d for the current direction d. */
  readonly xTd: Float64Array;
  readonly expWTx: Float64Array;
  readonly expWTxNew: Float64Array;
  /** C_k / (1 + e^{w·x_k}). */
  readonly tau: Float64Array;
  /** C_k·e^{w·x_k} / (1 + e^{w·x_k})². */
  readonly D: Float64Array;
  readonly engine: RandomState;
  wNorm: number;
}

/** The outer gradient pass: the active (unshrunk) coordinates and the largest and summed optimality violations. */
interface OuterPass {
  readonly activeSize: number;
  readonly largestViolation: number;
  readonly totalViolation: number;
}

/** Runs solve_l1r_lr; returns the weights [w, w_b] and the Newton iterations (scikit-learn's `n_iter_`). */
export function solveL1Logistic(
  problem: BinaryProblem,
  groups: ClassGroups,
  options: SolverOptions,
  eps: number,
): { weights: Float64Array; nIter: number } {
  const state = createState(problem, groups, options);
  let newtonIter = 0;
  let initialViolation = -1;
  let previousLargest = Number.POSITIVE_INFINITY;
  let innerEps = 1;
  let unchanged = 0;
  while (newtonIter < options.maxIter) {
    const outer = outerGradientPass(state, previousLargest);
    if (newtonIter === 0) initialViolation = outer.totalViolation;
    if (outer.totalViolation <= eps * initialViolation || unchanged >= MAX_UNCHANGED_ITERATIONS) break;
    unchanged++;
    const inner = solveQuadraticModel(state, outer.activeSize, innerEps * initialViolation);
    if (inner.updated) unchanged = 0;
    if (!lineSearch(state)) recomputeExpWTx(state);
    if (inner.iterations === 1) innerEps *= 0.25;
    newtonIter++;
    previousLargest = outer.largestViolation;
  }
  return { weights: state.w, nIter: newtonIter };
}

function createState(problem: BinaryProblem, groups: ClassGroups, options: SolverOptions): L1State {
  const { X } = problem;
  const l = X.rows;
  const size = X.cols + (options.fitIntercept ? 1 : 0);
  const [cNegative, cPositive] = weightedC(options);
  const C = new Float64Array(l);
  for (let k = 0; k < l; k++) C[k] = k < groups.negatives ? cNegative : cPositive;
  const columns = transposeGrouped(X, groups.order, size, options.interceptScaling);
  const state: L1State = {
    l,
    size,
    columns,
    negatives: groups.negatives,
    C,
    w: new Float64Array(size),
    wpd: new Float64Array(size),
    hessianDiagonal: new Float64Array(size),
    gradient: new Float64Array(size),
    negativeSums: negativeColumnSums(columns, C, l, size, groups.negatives),
    index: Int32Array.from({ length: size }, (_, j) => j),
    xTd: new Float64Array(l),
    expWTx: new Float64Array(l).fill(1),
    expWTxNew: new Float64Array(l),
    tau: new Float64Array(l),
    D: new Float64Array(l),
    engine: new RandomState(liblinearSeed(options.randomState)),
    wNorm: 0,
  };
  updateSampleTerms(state);
  return state;
}

/** liblinear's transpose of the class-grouped rows, with the bias column (all `bias`) last when there is one. */
function transposeGrouped(X: BinaryProblem['X'], order: Int32Array, size: number, bias: number): Float64Array {
  const { data, cols } = X;
  const l = order.length;
  const columns = new Float64Array(size * l);
  for (let k = 0; k < l; k++) {
    const row = order[k]! * cols;
    for (let j = 0; j < cols; j++) columns[j * l + k] = data[row + j]!;
  }
  if (size > cols) columns.fill(bias, cols * l);
  return columns;
}

function negativeColumnSums(columns: Float64Array, C: Float64Array, l: number, size: number, negatives: number) {
  const sums = new Float64Array(size);
  for (let j = 0; j < size; j++) {
    const base = j * l;
    let sum = 0;
    for (let k = 0; k < negatives; k++) sum += C[k]! * columns[base + k]!;
    sums[j] = sum;
  }
  return sums;
}

/** tau and D from exp(w·x) (initially exp(0) = 1 everywhere). */
function updateSampleTerms(state: L1State): void {
  const { l, C, expWTx, tau, D } = state;
  for (let k = 0; k < l; k++) {
    const e = expWTx[k]!;
    const tauTmp = 1 / (1 + e);
    tau[k] = C[k]! * tauTmp;
    D[k] = C[k]! * e * tauTmp * tauTmp;
  }
}

/** liblinear's `max` template: the first argument unless the second is strictly larger. */
function larger(a: number, b: number): number {
  return a > b ? a : b;
}

function swap(index: Int32Array, a: number, b: number): void {
  const t = index[a]!;
  index[a] = index[b]!;
  index[b] = t;
}

/** Gradient, Hessian diagonal and violations over all coordinates; shrinks zeros well inside the subdifferential. */
function outerGradientPass(state: L1State, previousLargest: number): OuterPass {
  const { l, size, columns, tau, D, w, index, gradient, hessianDiagonal, negativeSums } = state;
  const shrinkBound = previousLargest / l;
  let activeSize = size;
  let largestViolation = 0;
  let totalViolation = 0;
  for (let s = 0; s < activeSize; s++) {
    const j = index[s]!;
    const base = j * l;
    let h = NU;
    let tmp = 0;
    for (let k = 0; k < l; k++) {
      const x = columns[base + k]!;
      h += x * x * D[k]!;
      tmp += x * tau[k]!;
    }
    hessianDiagonal[j] = h;
    const g = -tmp + negativeSums[j]!;
    gradient[j] = g;
    const violation = coordinateViolation(w[j]!, g + 1, g - 1, shrinkBound);
    if (violation < 0) {
      activeSize--;
      swap(index, s, activeSize);
      s--;
      continue;
    }
    largestViolation = larger(largestViolation, violation);
    totalViolation += violation;
  }
  return { activeSize, largestViolation, totalViolation };
}

/** How far 0 ∉ g + ∂|w_j| (≥ 0), or −1 when w_j = 0 and the subgradient is deep enough inside to shrink j. */
function coordinateViolation(wj: number, gp: number, gn: number, shrinkBound: number): number {
  if (wj === 0) {
    if (gp < 0) return -gp;
    if (gn > 0) return gn;
    if (gp > shrinkBound && gn < -shrinkBound) return -1;
    return 0;
  }
  return wj > 0 ? Math.abs(gp) : Math.abs(gn);
}

/** Coordinate descent on the quadratic model over wpd (liblinear's QP loop); xTd ends as X̃·(wpd − w). */
function solveQuadraticModel(
  state: L1State,
  activeSize: number,
  tolerance: number,
): { iterations: number; updated: boolean } {
  state.xTd.fill(0);
  let iterations = 0;
  let updated = false;
  let previousLargest = Number.POSITIVE_INFINITY;
  let qpActiveSize = activeSize;
  while (iterations < MAX_INNER_ITERATIONS) {
    shuffleActive(state, qpActiveSize);
    const sweep = coordinateSweep(state, qpActiveSize, previousLargest / state.l);
    qpActiveSize = sweep.activeSize;
    updated ||= sweep.updated;
    iterations++;
    if (sweep.totalViolation <= tolerance) {
      if (qpActiveSize === activeSize) break;
      qpActiveSize = activeSize;
      previousLargest = Number.POSITIVE_INFINITY;
      continue;
    }
    previousLargest = sweep.largestViolation;
  }
  return { iterations, updated };
}

/** liblinear's in-place shuffle of the first `count` indices: swap j with j + bounded_rand_int(count − j). */
function shuffleActive(state: L1State, count: number): void {
  const { index, engine } = state;
  for (let j = 0; j < count; j++) swap(index, j + boundedRandInt(engine, count - j), j);
}

/**
 * One pass of single-coordinate Newton steps over the active coordinates, in index order. A step's xTd update is
 * deferred and fused with the next coordinate's gradient pass (each xTd[k] is updated before it is read, as in
 * liblinear), and the last one is applied at the end of the sweep.
 */
function coordinateSweep(state: L1State, activeSize: number, shrinkBound: number): OuterPass & { updated: boolean } {
  const { l, columns, xTd, w, wpd, index, gradient, hessianDiagonal } = state;
  let largestViolation = 0;
  let totalViolation = 0;
  let updated = false;
  let pendingBase = -1;
  let pendingStep = 0;
  for (let s = 0; s < activeSize; s++) {
    const j = index[s]!;
    const base = j * l;
    const start = gradient[j]! + (wpd[j]! - w[j]!) * NU;
    const G =
      pendingBase < 0
        ? modelGradient(state, base, start)
        : stepThenModelGradient(state, pendingBase, pendingStep, base, start);
    pendingBase = -1;
    const wj = wpd[j]!;
    const violation = coordinateViolation(wj, G + 1, G - 1, shrinkBound);
    if (violation < 0) {
      activeSize--;
      swap(index, s, activeSize);
      s--;
      continue;
    }
    const z = coordinateStep(wj, G + 1, G - 1, hessianDiagonal[j]!);
    if (Math.abs(z) < SMALLEST_STEP) continue;
    updated = true;
    largestViolation = larger(largestViolation, violation);
    totalViolation += violation;
    pendingStep = clipStep(z);
    wpd[j] = wj + pendingStep;
    pendingBase = base;
  }
  if (pendingBase >= 0) for (let k = 0; k < l; k++) xTd[k] = xTd[k]! + columns[pendingBase + k]! * pendingStep;
  return { activeSize, largestViolation, totalViolation, updated };
}

/** G = start + Σ_k x_kj·D_k·xTd_k over the column at `base`, in row order. */
function modelGradient(state: L1State, base: number, start: number): number {
  const { l, columns, D, xTd } = state;
  let G = start;
  for (let k = 0; k < l; k++) G += columns[base + k]! * D[k]! * xTd[k]!;
  return G;
}

/** Applies xTd += z·(column at `stepBase`), then returns `modelGradient` for the column at `base`, in one pass. */
function stepThenModelGradient(state: L1State, stepBase: number, z: number, base: number, start: number): number {
  const { l, columns, D, xTd } = state;
  let G = start;
  for (let k = 0; k < l; k++) {
    const updated = xTd[k]! + columns[stepBase + k]! * z;
    xTd[k] = updated;
    G += columns[base + k]! * D[k]! * updated;
  }
  return G;
}

/** The minimiser of the one-variable model g·z + ½h·z² + |w_j + z|, as a step from w_j. */
function coordinateStep(wj: number, gp: number, gn: number, h: number): number {
  if (gp < h * wj) return -gp / h;
  if (gn > h * wj) return -gn / h;
  return -wj;
}

/** liblinear's min(max(z, −10), 10). */
function clipStep(z: number): number {
  const atLeast = z > -LARGEST_STEP ? z : -LARGEST_STEP;
  return atLeast < LARGEST_STEP ? atLeast : LARGEST_STEP;
}

/** Backtracking (halving) line search on the true objective; false after 20 rejected steps (w unchanged). */
function lineSearch(state: L1State): boolean {
  const { size, negatives, C, w, wpd, gradient, xTd } = state;
  let delta = 0;
  let wNormNew = 0;
  for (let j = 0; j < size; j++) {
    delta += gradient[j]! * (wpd[j]! - w[j]!);
    if (wpd[j] !== 0) wNormNew += Math.abs(wpd[j]!);
  }
  delta += wNormNew - state.wNorm;
  let negativeSum = 0;
  for (let k = 0; k < negatives; k++) negativeSum += C[k]! * xTd[k]!;
  for (let step = 0; step < MAX_LINE_SEARCH_STEPS; step++) {
    const cond = wNormNew - state.wNorm + negativeSum - SIGMA * delta;
    if (sufficientDecrease(state, cond)) {
      state.wNorm = wNormNew;
      w.set(wpd);
      state.expWTx.set(state.expWTxNew);
      updateSampleTerms(state);
      return true;
    }
    wNormNew = halveStep(state);
    delta *= 0.5;
    negativeSum *= 0.5;
    for (let k = 0; k < state.l; k++) xTd[k] = xTd[k]! * 0.5;
  }
  return false;
}

/** Fills expWTxNew for the trial point and tells whether the Armijo condition holds. */
function sufficientDecrease(state: L1State, start: number): boolean {
  const { l, C, xTd, expWTx, expWTxNew } = state;
  let cond = start;
  for (let k = 0; k < l; k++) {
    const expXTd = Math.exp(xTd[k]!);
    const e = expWTx[k]! * expXTd;
    expWTxNew[k] = e;
    cond += C[k]! * Math.log((1 + e) / (expXTd + e));
  }
  return cond <= 0;
}

/** wpd ← (w + wpd)/2; returns the new ‖wpd‖₁. */
function halveStep(state: L1State): number {
  const { size, w, wpd } = state;
  let norm = 0;
  for (let j = 0; j < size; j++) {
    const value = (w[j]! + wpd[j]!) * 0.5;
    wpd[j] = value;
    if (value !== 0) norm += Math.abs(value);
  }
  return norm;
}

/** After a failed line search liblinear recomputes exp(w·x) from scratch (tau and D are left as they were). */
function recomputeExpWTx(state: L1State): void {
  const { l, size, columns, w, expWTx } = state;
  expWTx.fill(0);
  for (let j = 0; j < size; j++) {
    const wj = w[j]!;
    if (wj === 0) continue;
    const base = j * l;
    for (let k = 0; k < l; k++) expWTx[k] = expWTx[k]! + wj * columns[base + k]!;
  }
  for (let k = 0; k < l; k++) expWTx[k] = Math.exp(expWTx[k]!);
}

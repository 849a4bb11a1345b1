import { InvalidDataError, NumericalError } from '../../errors.js';
import type { BinaryProblem, Solver, SolverOptions, SolverResult } from '../solver-types.js';
import {
  type ClassGroups,
  checkLargestValue,
  checkLiblinearOptions,
  groupByClass,
  liblinearResult,
  primalTolerance,
  weightedC,
} from './liblinear-common.js';
import { solveL1Logistic } from './liblinear-l1.js';

export { LIBLINEAR_CONVERGENCE_WARNING } from './liblinear-common.js';

/*
 * scikit-learn 1.8.0's vendored liblinear, solver type 0 (L2R_LR): trust-region Newton (TRON) on
 *   f(w̃) = ½‖w̃‖² + Σ_i C_i·log(1 + exp(−y_i·w̃·x̃_i)),  y_i = ±1,  x̃_i = [x_i, interceptScaling] when fitting an
 *   intercept, C_i = C · the class weight of sample i (train's weighted_C).
 * Reproduced operation by operation (sklearn/svm/src/liblinear/linear.cpp: train, group_classes, train_one, l2r_lr_fun;
 * tron.cpp: TRON::tron, TRON::trcg), including the order of every floating-point sum:
 *  - liblinear groups the samples by class before training: every class-0 row (label −1) in input order, then every
 *    class-1 row (label +1); all per-sample sums (loss, Xᵀv) run in that order;
 *  - Xv sums the features of a row left to right, the bias feature last.
 * Scratch is O(n + d) and allocated once per fit; X is never copied: the bias column is implicit. The loss and its
 * gradient are evaluated in one pass over X (liblinear's fun then grad), each Hessian-vector product in another.
 * The l1 penalty (solver type 6, L1R_LR) is in liblinear-l1.ts.
 */

// TRON's constants (tron.cpp): step acceptance thresholds and trust-region radius factors.
const ETA0 = 1e-4;
const ETA1 = 0.25;
const ETA2 = 0.75;
const SIGMA1 = 0.25;
const SIGMA2 = 0.5;
const SIGMA3 = 4;

/**
 * Fits binary logistic regression exactly as scikit-learn's `LogisticRegression(solver='liblinear')` (primal):
 * TRON for l2 (`l1Ratio` 0), newGLMNET for l1 (`l1Ratio` 1); per-class C from the class weights.
 */
export const fitLiblinear: Solver = (problem: BinaryProblem, options: SolverOptions): SolverResult => {
  checkLiblinearOptions(options);
  checkLargestValue(problem.X);
  if (problem.y.length !== problem.X.rows) {
    throw new InvalidDataError(`y has ${problem.y.length} labels, X has ${problem.X.rows} rows`);
  }
  const groups = groupByClass(problem.y);
  const tolerance = primalTolerance(options.tol, groups);
  if (options.l1Ratio === 1) {
    const { weights, nIter } = solveL1Logistic(problem, groups, options, tolerance);
    return liblinearResult(weights, nIter, problem.X.cols, options);
  }
  const objective = new LogisticObjective(problem, groups, options);
  const weights = new Float64Array(objective.size);
  const nIter = trustRegionNewton(objective, weights, tolerance, options.maxIter);
  return liblinearResult(weights, nIter, problem.X.cols, options);
};

/**
 * liblinear's l2r_lr_fun over the class-grouped samples. `evaluate` is fun + grad at a trial point (the gradient and
 * curvature go to pending buffers); `accept` makes them current, as TRON only calls grad after accepting a step.
 */
class LogisticObjective {
  readonly size: number;
  readonly negatives: number;
  /** ∇f at the current (accepted) point. */
  gradient: Float64Array;
  private pendingGradient: Float64Array;
  /** C·D_i = C·σ_i(1 − σ_i) at the current point, by grouped position. */
  private curvature: Float64Array;
  private pendingCurvature: Float64Array;
  private readonly data: Float64Array;
  private readonly cols: number;
  private readonly order: Int32Array;
  /** C · class weight for class 0 (label −1) and class 1 (label +1). */
  private readonly cNegative: number;
  private readonly cPositive: number;
  /** The implicit last feature's value, or 0 when there is none. */
  private readonly bias: number;

  constructor(problem: BinaryProblem, groups: ClassGroups, options: SolverOptions) {
    const { X, y } = problem;
    this.data = X.data;
    this.cols = X.cols;
    [this.cNegative, this.cPositive] = weightedC(options);
    this.bias = options.fitIntercept ? options.interceptScaling : 0;
    this.size = X.cols + (options.fitIntercept ? 1 : 0);
    this.order = groups.order;
    this.negatives = groups.negatives;
    this.gradient = new Float64Array(this.size);
    this.pendingGradient = new Float64Array(this.size);
    this.curvature = new Float64Array(y.length);
    this.pendingCurvature = new Float64Array(y.length);
  }

  /** f(w); also prepares ∇f(w) and the Hessian weights for `accept`. Rows go four at a time, each sum in order. */
  evaluate(w: Float64Array): number {
    const data = this.data;
    const cols = this.cols;
    const order = this.order;
    const bias = this.bias;
    const g = this.pendingGradient;
    const hasBias = bias !== 0;
    const biasTerm = hasBias ? w[cols]! * bias : 0;
    let f = 0;
    for (let j = 0; j < w.length; j++) f += w[j]! * w[j]!;
    f /= 2.0;
    g.fill(0);
    const blocked = order.length - (order.length % 4);
    for (let k = 0; k < blocked; k += 4) {
      const b0 = order[k]! * cols;
      const b1 = order[k + 1]! * cols;
      const b2 = order[k + 2]! * cols;
      const b3 = order[k + 3]! * cols;
      let z0 = 0;
      let z1 = 0;
      let z2 = 0;
      let z3 = 0;
      for (let j = 0; j < cols; j++) {
        const wj = w[j]!;
        z0 += wj * data[b0 + j]!;
        z1 += wj * data[b1 + j]!;
        z2 += wj * data[b2 + j]!;
        z3 += wj * data[b3 + j]!;
      }
      if (hasBias) {
        z0 += biasTerm;
        z1 += biasTerm;
        z2 += biasTerm;
        z3 += biasTerm;
      }
      f += this.lossTerm(k, z0);
      f += this.lossTerm(k + 1, z1);
      f += this.lossTerm(k + 2, z2);
      f += this.lossTerm(k + 3, z3);
      const c0 = this.prepareSample(k, z0);
      const c1 = this.prepareSample(k + 1, z1);
      const c2 = this.prepareSample(k + 2, z2);
      const c3 = this.prepareSample(k + 3, z3);
      for (let j = 0; j < cols; j++) {
        g[j] = g[j]! + c0 * data[b0 + j]! + c1 * data[b1 + j]! + c2 * data[b2 + j]! + c3 * data[b3 + j]!;
      }
      if (hasBias) g[cols] = g[cols]! + c0 * bias + c1 * bias + c2 * bias + c3 * bias;
    }
    for (let k = blocked; k < order.length; k++) {
      const base = order[k]! * cols;
      let z = 0;
      for (let j = 0; j < cols; j++) z += w[j]! * data[base + j]!;
      if (hasBias) z += biasTerm;
      f += this.lossTerm(k, z);
      const c = this.prepareSample(k, z);
      for (let j = 0; j < cols; j++) g[j] = g[j]! + c * data[base + j]!;
      if (hasBias) g[cols] = g[cols]! + c * bias;
    }
    for (let j = 0; j < w.length; j++) g[j] = w[j]! + g[j]!;
    return f;
  }

  /** C_k·log(1 + exp(−y·z)) for the sample at grouped position k, in liblinear's overflow-safe form. */
  private lossTerm(k: number, z: number): number {
    const negative = k < this.negatives;
    const yz = negative ? -z : z;
    const C = negative ? this.cNegative : this.cPositive;
    if (yz >= 0) return C * Math.log(1 + Math.exp(-yz));
    return C * (-yz + Math.log(1 + Math.exp(yz)));
  }

  /** Records C_k·σ(1 − σ) for position k and returns its gradient coefficient C_k·(σ − 1)·y (σ = 1/(1 + e^(−y·z))). */
  private prepareSample(k: number, z: number): number {
    const negative = k < this.negatives;
    const y = negative ? -1 : 1;
    const C = negative ? this.cNegative : this.cPositive;
    const sigma = 1 / (1 + Math.exp(-y * z));
    this.pendingCurvature[k] = C * (sigma * (1 - sigma));
    return C * (sigma - 1) * y;
  }

  /** Makes the last evaluated point's gradient and curvature current (TRON accepted the step). */
  accept(): void {
    [this.gradient, this.pendingGradient] = [this.pendingGradient, this.gradient];
    [this.curvature, this.pendingCurvature] = [this.pendingCurvature, this.curvature];
  }

  /** out = (I + Xᵀ·diag(C·D)·X)·v at the current point, in one row-major pass, four rows at a time. */
  hessianTimes(v: Float64Array, out: Float64Array): void {
    const data = this.data;
    const cols = this.cols;
    const order = this.order;
    const bias = this.bias;
    const cd = this.curvature;
    const hasBias = bias !== 0;
    const biasTerm = hasBias ? v[cols]! * bias : 0;
    out.fill(0);
    const blocked = order.length - (order.length % 4);
    for (let k = 0; k < blocked; k += 4) {
      const b0 = order[k]! * cols;
      const b1 = order[k + 1]! * cols;
      const b2 = order[k + 2]! * cols;
      const b3 = order[k + 3]! * cols;
      let t0 = 0;
      let t1 = 0;
      let t2 = 0;
      let t3 = 0;
      for (let j = 0; j < cols; j++) {
        const vj = v[j]!;
        t0 += vj * data[b0 + j]!;
        t1 += vj * data[b1 + j]!;
        t2 += vj * data[b2 + j]!;
        t3 += vj * data[b3 + j]!;
      }
      if (hasBias) {
        t0 += biasTerm;
        t1 += biasTerm;
        t2 += biasTerm;
        t3 += biasTerm;
      }
      const a0 = cd[k]! * t0;
      const a1 = cd[k + 1]! * t1;
      const a2 = cd[k + 2]! * t2;
      const a3 = cd[k + 3]! * t3;
      for (let j = 0; j < cols; j++) {
        out[j] = out[j]! + a0 * data[b0 + j]! + a1 * data[b1 + j]! + a2 * data[b2 + j]! + a3 * data[b3 + j]!;
      }
      if (hasBias) out[cols] = out[cols]! + a0 * bias + a1 * bias + a2 * bias + a3 * bias;
    }
    for (let k = blocked; k < order.length; k++) {
      const base = order[k]! * cols;
      let t = 0;
      for (let j = 0; j < cols; j++) t += v[j]! * data[base + j]!;
      if (hasBias) t += biasTerm;
      const a = cd[k]! * t;
      for (let j = 0; j < cols; j++) out[j] = out[j]! + a * data[base + j]!;
      if (hasBias) out[cols] = out[cols]! + a * bias;
    }
    for (let j = 0; j < v.length; j++) out[j] = v[j]! + out[j]!;
  }
}

const OVERFLOWED =
  'liblinear cannot fit at this C: its trust region became NaN (floating-point over- or underflow, on which liblinear and scikit-learn loop for ever); try a C nearer 1 or scale the data';

/** TRON::tron: returns liblinear's iteration count (accepted steps, at most maxIter); `w` ends at the solution. */
function trustRegionNewton(objective: LogisticObjective, w: Float64Array, eps: number, maxIter: number): number {
  const n = objective.size;
  const step = new Float64Array(n);
  const residual = new Float64Array(n);
  const trial = new Float64Array(n);
  const cg = { direction: new Float64Array(n), product: new Float64Array(n) };
  w.fill(0);
  let f = objective.evaluate(w);
  objective.accept();
  let delta = norm2(objective.gradient);
  const gnorm1 = delta;
  const search = delta > eps * gnorm1;
  let iter = 1;
  while (iter <= maxIter && search) {
    const g = objective.gradient;
    conjugateGradient(objective, delta, g, step, residual, cg);
    trial.set(w);
    axpy(1.0, step, trial);
    const gs = dot(g, step);
    const prered = -0.5 * (gs - dot(step, residual));
    const fnew = objective.evaluate(trial);
    const actred = f - fnew;
    const snorm = norm2(step);
    if (iter === 1) delta = Math.min(delta, snorm);
    const alpha = fnew - f - gs <= 0 ? SIGMA3 : Math.max(SIGMA1, -0.5 * (gs / (fnew - f - gs)));
    delta = nextRadius(delta, alpha, snorm, actred, prered);
    // liblinear (and scikit-learn with it) loops for ever once the radius is NaN: every step is then rejected.
    if (Number.isNaN(delta)) throw new NumericalError(OVERFLOWED);
    if (actred > ETA0 * prered) {
      iter++;
      w.set(trial);
      f = fnew;
      objective.accept();
      if (norm2(objective.gradient) <= eps * gnorm1) break;
    }
    if (f < -1.0e32) break;
    if (Math.abs(actred) <= 0 && prered <= 0) break;
    if (Math.abs(actred) <= 1.0e-12 * Math.abs(f) && Math.abs(prered) <= 1.0e-12 * Math.abs(f)) break;
  }
  return iter - 1;
}

/** TRON's trust-region radius update from the ratio of actual to predicted reduction. */
function nextRadius(delta: number, alpha: number, snorm: number, actred: number, prered: number): number {
  if (actred < ETA0 * prered) return Math.min(Math.max(alpha, SIGMA1) * snorm, SIGMA2 * delta);
  if (actred < ETA1 * prered) return Math.max(SIGMA1 * delta, Math.min(alpha * snorm, SIGMA2 * delta));
  if (actred < ETA2 * prered) return Math.max(SIGMA1 * delta, Math.min(alpha * snorm, SIGMA3 * delta));
  return Math.max(delta, Math.min(alpha * snorm, SIGMA3 * delta));
}

/** TRON::trcg: truncated CG on H·s = −g inside ‖s‖ ≤ delta, to ‖r‖ ≤ 0.1‖g‖; fills s and r = −g − H·s. */
function conjugateGradient(
  objective: LogisticObjective,
  delta: number,
  g: Float64Array,
  s: Float64Array,
  r: Float64Array,
  scratch: { direction: Float64Array; product: Float64Array },
): void {
  const { direction: d, product: Hd } = scratch;
  for (let i = 0; i < g.length; i++) {
    s[i] = 0;
    r[i] = -g[i]!;
    d[i] = r[i]!;
  }
  const cgtol = 0.1 * norm2(g);
  let rTr = dot(r, r);
  while (norm2(r) > cgtol) {
    objective.hessianTimes(d, Hd);
    let alpha = rTr / dot(d, Hd);
    axpy(alpha, d, s);
    if (norm2(s) > delta) {
      axpy(-alpha, d, s);
      alpha = boundaryStep(s, d, delta);
      axpy(alpha, d, s);
      axpy(-alpha, Hd, r);
      return;
    }
    axpy(-alpha, Hd, r);
    const rnewTrnew = dot(r, r);
    const beta = rnewTrnew / rTr;
    for (let i = 0; i < d.length; i++) d[i] = beta * d[i]!;
    axpy(1.0, r, d);
    rTr = rnewTrnew;
  }
}

/** The τ ≥ 0 with ‖s + τ·d‖ = delta, computed as trcg does. */
function boundaryStep(s: Float64Array, d: Float64Array, delta: number): number {
  const std = dot(s, d);
  const sts = dot(s, s);
  const dtd = dot(d, d);
  const dsq = delta * delta;
  const rad = Math.sqrt(std * std + dtd * (dsq - sts));
  return std >= 0 ? (dsq - sts) / (std + rad) : (rad - std) / dtd;
}

/** BLAS ddot. */
function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** BLAS daxpy: y += alpha·x. */
function axpy(alpha: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] = alpha * x[i]! + y[i]!;
}

/** BLAS dnrm2: the Euclidean norm, rescaled when the plain sum of squares would overflow or underflow. */
function norm2(x: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! * x[i]!;
  if (sum > 1e-290 && sum < 1e290) return Math.sqrt(sum);
  let scale = 0;
  for (let i = 0; i < x.length; i++) scale = Math.max(scale, Math.abs(x[i]!));
  if (scale === 0 || !Number.isFinite(scale)) return scale === 0 ? 0 : Math.sqrt(sum);
  let scaled = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]! / scale;
    scaled += v * v;
  }
  return scale * Math.sqrt(scaled);
}

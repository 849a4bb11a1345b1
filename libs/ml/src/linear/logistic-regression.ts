import { InvalidDataError, NotFittedError } from '../errors.js';
import type { DenseMatrix } from '../matrix.js';
import { type BinaryClassificationReport, classificationReport } from '../metrics/classification.js';
import { computeClassWeights } from './class-weight.js';
import { type LogisticRegressionParams, type ResolvedParams, resolveParams, type SolverName } from './params.js';
import type { BinaryProblem, ClassWeights, Solver } from './solver-types.js';
import { fitLbfgs } from './solvers/lbfgs.js';
import { fitLiblinear } from './solvers/liblinear.js';
import { fitSaga } from './solvers/saga.js';

const SOLVER_IMPLEMENTATIONS: Record<SolverName, Solver> = {
  liblinear: fitLiblinear,
  lbfgs: fitLbfgs,
  saga: fitSaga,
};

/** A fitted binary model in plain JSON form: enough to score, and to rebuild a LogisticRegression for serving. */
export interface LogisticRegressionState {
  readonly classes: readonly [number, number];
  readonly coef: readonly number[];
  readonly intercept: number;
}

/** What one fit produced besides the weights: how the solver ended. */
export interface FitSummary {
  readonly params: ResolvedParams;
  /** scikit-learn's `class_weight_` as applied: the weights of classes[0] and classes[1] ([1, 1] without class_weight). */
  readonly classWeights: ClassWeights;
  readonly nIter: number;
  readonly converged: boolean;
  /** scikit-learn's warnings for this fit (ConvergenceWarning text and parameter warnings), in order. */
  readonly warnings: readonly string[];
}

/** Binary logistic regression with scikit-learn's solvers, objectives, defaults and stopping rules. */
export class LogisticRegression {
  private readonly requested: LogisticRegressionParams;
  private state: { classes: [number, number]; coef: Float64Array; intercept: number } | undefined;
  private summary: FitSummary | undefined;

  /** Parameters are validated at `fit`, as scikit-learn does, so they can be set from untrusted input first. */
  constructor(params: LogisticRegressionParams = {}) {
    this.requested = { ...params };
  }

  /** Rebuilds a fitted model from its JSON state (for serving); such a model has no fit summary. */
  static fromState(state: LogisticRegressionState): LogisticRegression {
    const model = new LogisticRegression();
    if (state.classes.length !== 2 || !state.coef.every(Number.isFinite) || !Number.isFinite(state.intercept)) {
      throw new InvalidDataError('model state needs two classes and finite coefficients and intercept');
    }
    model.state = {
      classes: [state.classes[0], state.classes[1]],
      coef: Float64Array.from(state.coef),
      intercept: state.intercept,
    };
    return model;
  }

  /** Fits on X (rows = samples) and y (two distinct labels); throws InvalidDataError or InvalidParameterError. */
  fit(X: DenseMatrix, y: ArrayLike<number>): this {
    const warnings: string[] = [];
    const params = resolveParams(this.requested, (message) => warnings.push(message));
    checkFeatures(X);
    const { classes, encoded } = encodeLabels(y, X.rows);
    const classWeights = computeClassWeights(params.classWeight, classes, encoded);
    const problem: BinaryProblem = { X, y: encoded };
    const result = SOLVER_IMPLEMENTATIONS[params.solver](problem, { ...params, classWeights });
    if (result.warning !== undefined) warnings.push(result.warning);
    this.state = { classes, coef: result.coef, intercept: params.fitIntercept ? result.intercept : 0 };
    this.summary = { params, classWeights, nIter: result.nIter, converged: result.converged, warnings };
    return this;
  }

  /** The sorted pair of labels seen at fit; `classes[1]` is the positive class. */
  get classes(): readonly [number, number] {
    return this.fitted().classes;
  }

  /** `coef_[0]`: one weight per feature. */
  get coef(): Float64Array {
    return this.fitted().coef;
  }

  /** `intercept_[0]` (0 when fit without intercept). */
  get intercept(): number {
    return this.fitted().intercept;
  }

  /** How the last `fit` ended: resolved parameters, `n_iter_`, convergence and warnings. */
  get fitSummary(): FitSummary {
    if (this.summary === undefined) throw new NotFittedError('LogisticRegression (fit summary)');
    return this.summary;
  }

  /** `decision_function`: X·coef + intercept, one value per row. */
  decisionFunction(X: DenseMatrix): Float64Array {
    const { coef, intercept } = this.fitted();
    if (X.cols !== coef.length) {
      throw new InvalidDataError(`X has ${X.cols} features, but the model was fitted with ${coef.length} features`);
    }
    const out = new Float64Array(X.rows);
    const { data, cols } = X;
    for (let i = 0; i < X.rows; i++) {
      let z = 0;
      const base = i * cols;
      for (let j = 0; j < cols; j++) z += data[base + j]! * coef[j]!;
      out[i] = z + intercept;
    }
    return out;
  }

  /** P(classes[1]) per row: `predict_proba(X)[:, 1]`, the expit of the decision value. */
  predictPositiveProba(X: DenseMatrix): Float64Array {
    const z = this.decisionFunction(X);
    for (let i = 0; i < z.length; i++) z[i] = expit(z[i]!);
    return z;
  }

  /** `predict_proba`: an n×2 matrix of [P(classes[0]), P(classes[1])], the first by subtraction as scikit-learn does. */
  predictProba(X: DenseMatrix): DenseMatrix {
    const p = this.predictPositiveProba(X);
    const data = new Float64Array(p.length * 2);
    for (let i = 0; i < p.length; i++) {
      data[2 * i] = 1 - p[i]!;
      data[2 * i + 1] = p[i]!;
    }
    return { rows: p.length, cols: 2, data };
  }

  /** `predict` and `predict_proba(X)[:, 1]` from one pass over X (serving returns both). */
  predictWithProba(X: DenseMatrix): { labels: Float64Array; probabilities: Float64Array } {
    const [negative, positive] = this.fitted().classes;
    const probabilities = this.decisionFunction(X);
    const labels = new Float64Array(probabilities.length);
    for (let i = 0; i < probabilities.length; i++) {
      const z = probabilities[i]!;
      labels[i] = z > 0 ? positive : negative;
      probabilities[i] = expit(z);
    }
    return { labels, probabilities };
  }

  /** `predict`: classes[1] where the decision value is > 0, else classes[0] (exactly 0 goes to classes[0]). */
  predict(X: DenseMatrix): Float64Array {
    const [negative, positive] = this.fitted().classes;
    return this.decisionFunction(X).map((z) => (z > 0 ? positive : negative));
  }

  /** Every binary metric on held-out rows, with classes[1] as the positive class; unseen labels are refused. */
  evaluate(X: DenseMatrix, y: ArrayLike<number>): BinaryClassificationReport {
    const [negative, positive] = this.fitted().classes;
    const truth = new Float64Array(y.length);
    for (let i = 0; i < y.length; i++) {
      if (y[i] !== negative && y[i] !== positive) {
        throw new InvalidDataError(
          `label ${y[i]} at row ${i} was not seen in training (classes ${negative}, ${positive})`,
        );
      }
      truth[i] = y[i] === positive ? 1 : 0;
    }
    const predicted = this.predict(X).map((label) => (label === positive ? 1 : 0));
    return classificationReport(truth, predicted, this.predictPositiveProba(X));
  }

  /** The fitted weights as JSON, for artifacts and serving. */
  toState(): LogisticRegressionState {
    const { classes, coef, intercept } = this.fitted();
    return { classes, coef: Array.from(coef), intercept };
  }

  private fitted() {
    if (this.state === undefined) throw new NotFittedError('LogisticRegression');
    return this.state;
  }
}

/** scipy's `expit`, in the form that cannot overflow. */
export function expit(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

function checkFeatures(X: DenseMatrix): void {
  if (X.rows === 0 || X.cols === 0) throw new InvalidDataError(`X is empty (${X.rows}x${X.cols})`);
  const { data, cols } = X;
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k]!)) {
      throw new InvalidDataError(`X contains ${data[k]} at row ${Math.floor(k / cols)}, column ${k % cols}`);
    }
  }
}

function encodeLabels(y: ArrayLike<number>, rows: number): { classes: [number, number]; encoded: Float64Array } {
  if (y.length !== rows) throw new InvalidDataError(`X has ${rows} rows but y has ${y.length} labels`);
  const distinct = new Set<number>();
  for (let i = 0; i < y.length; i++) {
    const label = y[i]!;
    if (!Number.isFinite(label)) throw new InvalidDataError(`y contains ${label} at row ${i}`);
    distinct.add(label);
    if (distinct.size > 2) break;
  }
  const classes = [...distinct].sort((a, b) => a - b);
  if (classes.length < 2) {
    throw new InvalidDataError(
      `This solver needs samples of at least 2 classes in the data, but the data contains only one class: ${classes[0]}`,
    );
  }
  if (classes.length > 2) throw new InvalidDataError('only binary targets are supported: y holds more than 2 classes');
  const positive = classes[1]!;
  const encoded = new Float64Array(rows);
  for (let i = 0; i < rows; i++) encoded[i] = y[i] === positive ? 1 : 0;
  return { classes: [classes[0]!, positive], encoded };
}

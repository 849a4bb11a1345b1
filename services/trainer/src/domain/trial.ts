import type { TrialMetrics, TrialParams } from '@mlops/contracts';
import { type BinaryClassificationReport, LogisticRegression, MlError } from '@mlops/ml';
import type { TrainingData } from './dataset.js';

/** What one fitted and evaluated trial produced. */
export interface TrialSuccess {
  readonly ok: true;
  readonly metrics: TrialMetrics;
  readonly model: { classes: [number, number]; coef: number[]; intercept: number; feature_names: string[] };
  readonly nIter: number;
  readonly converged: boolean;
  readonly warnings: string[];
  readonly fitTimeMs: number;
}

/** A trial the library refused (bad parameter combination, unusable data): the reason, never a crash. */
export interface TrialFailure {
  readonly ok: false;
  readonly reason: string;
}

/** Fits one grid point on the train side and scores it on the test side. */
export function runTrial(data: TrainingData, params: TrialParams): TrialSuccess | TrialFailure {
  const model = new LogisticRegression({
    solver: params.solver,
    C: params.C,
    tol: params.tol,
    maxIter: params.max_iter,
    fitIntercept: params.fit_intercept,
    interceptScaling: params.intercept_scaling,
    penalty: params.penalty,
    randomState: params.random_state,
  });
  const started = performance.now();
  try {
    model.fit(data.train.X, data.train.y);
  } catch (err) {
    if (err instanceof MlError) return { ok: false, reason: err.message };
    throw err;
  }
  const fitTimeMs = performance.now() - started;
  const [negative, positive] = model.classes;
  let report: BinaryClassificationReport;
  try {
    report = model.evaluate(data.test.X, data.test.y);
  } catch (err) {
    if (err instanceof MlError) return { ok: false, reason: err.message };
    throw err;
  }
  const { nIter, converged, warnings } = model.fitSummary;
  return {
    ok: true,
    metrics: {
      accuracy: report.accuracy,
      precision: report.precision,
      recall: report.recall,
      f1: report.f1,
      roc_auc: report.rocAuc,
      log_loss: report.logLoss,
    },
    model: {
      classes: [negative, positive],
      coef: Array.from(model.coef),
      intercept: model.intercept,
      feature_names: data.summary.feature_names,
    },
    nIter,
    converged,
    warnings: [...warnings],
    fitTimeMs,
  };
}

import type { EventData, FittedPreprocessorData, TrialMetrics, TrialParams } from '@mlops/contracts';
import {
  type BinaryClassificationReport,
  type FittedPreprocessor,
  LogisticRegression,
  type LogisticRegressionParams,
  MlError,
} from '@mlops/ml';
import { fitClassWeight } from './class-weight.js';
import type { TrainingData } from './dataset.js';
import type { TrialInputs, TrialInputsCache } from './trial-inputs.js';

/** What one fitted and evaluated trial produced. */
export interface TrialSuccess {
  readonly ok: true;
  readonly metrics: TrialMetrics;
  readonly model: EventData<'run.completed'>['model'];
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

/** Fits one grid point (its preprocessing, then the model) on the train side and scores it on the test side. */
export function runTrial(
  data: TrainingData,
  inputs: TrialInputsCache,
  params: TrialParams,
): TrialSuccess | TrialFailure {
  let prepared: TrialInputs;
  try {
    prepared = inputs.inputsFor(params);
  } catch (err) {
    if (err instanceof MlError) return { ok: false, reason: err.message };
    throw err;
  }
  const started = performance.now();
  let model: LogisticRegression;
  try {
    model = new LogisticRegression(modelParams(params, prepared, data)).fit(prepared.train.X, prepared.train.y);
  } catch (err) {
    if (err instanceof MlError) return { ok: false, reason: err.message };
    throw err;
  }
  const fitTimeMs = performance.now() - started;
  const [negative, positive] = model.classes;
  let report: BinaryClassificationReport;
  try {
    report = model.evaluate(prepared.test.X, prepared.test.y);
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
      feature_names: [...prepared.featureNames],
      ...(data.kind === 'table'
        ? {
            input_columns: [...data.inputColumns],
            ...(prepared.preprocessing === undefined
              ? {}
              : { preprocessing: preprocessingData(prepared.preprocessing) }),
            ...(data.classLabels === undefined ? {} : { class_labels: [...data.classLabels] as [string, string] }),
          }
        : {}),
    },
    nIter,
    converged,
    warnings: [...warnings],
    fitTimeMs,
  };
}

/** A trial's parameters as LogisticRegression takes them (scikit-learn's names camel-cased). */
function modelParams(params: TrialParams, inputs: TrialInputs, data: TrainingData): LogisticRegressionParams {
  return {
    solver: params.solver,
    C: params.C,
    tol: params.tol,
    maxIter: params.max_iter,
    fitIntercept: params.fit_intercept,
    interceptScaling: params.intercept_scaling,
    penalty: params.penalty,
    ...(params.l1_ratio === undefined ? {} : { l1Ratio: params.l1_ratio }),
    classWeight: fitClassWeight(
      params.class_weight,
      inputs.train.y,
      data.kind === 'table' ? data.classLabels : undefined,
    ),
    randomState: params.random_state,
  };
}

/** The fitted preprocessing as the event carries it (plain arrays). */
function preprocessingData(fitted: FittedPreprocessor): FittedPreprocessorData {
  return {
    numeric: fitted.numeric.map((c) => ({ ...c })),
    categorical: fitted.categorical.map((c) => ({ ...c, categories: [...c.categories] })),
  };
}

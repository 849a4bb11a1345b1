import type { EventData, FittedPreprocessorData, TrialCv, TrialMetrics, TrialParams } from '@mlops/contracts';
import { type BinaryClassificationReport, type FittedPreprocessor, LogisticRegression, MlError } from '@mlops/ml';
import { type CvFolds, crossValidate } from './cross-validation.js';
import type { TrainingData } from './dataset.js';
import type { TrialInputs, TrialInputsCache } from './trial-inputs.js';
import { modelParams, reportMetrics } from './trial-model.js';

/** What one fitted and evaluated trial produced. */
export interface TrialSuccess {
  readonly ok: true;
  readonly metrics: TrialMetrics;
  /** The cross-validation on the training split, when the tuning asked for one. */
  readonly cv?: TrialCv;
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

/**
 * Fits one grid point (its preprocessing, then the model) on the train side and scores it on the test side; with
 * `cv`, first cross-validates it on the train side's folds (see {@link crossValidate}).
 */
export function runTrial(
  data: TrainingData,
  inputs: TrialInputsCache,
  params: TrialParams,
  cv?: CvFolds,
): TrialSuccess | TrialFailure {
  const validated = cv === undefined ? undefined : crossValidate(data, params, cv);
  if (validated?.ok === false) return validated;
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
    metrics: reportMetrics(report),
    ...(validated === undefined ? {} : { cv: validated.cv }),
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

/** The fitted preprocessing as the event carries it (plain arrays). */
function preprocessingData(fitted: FittedPreprocessor): FittedPreprocessorData {
  return {
    numeric: fitted.numeric.map((c) => ({ ...c })),
    categorical: fitted.categorical.map((c) => ({ ...c, categories: [...c.categories] })),
  };
}

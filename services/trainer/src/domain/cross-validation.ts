import type { TrialCv, TrialMetrics, TrialParams } from '@mlops/contracts';
import {
  compilePreprocessor,
  fitPreprocessor,
  LogisticRegression,
  MlError,
  type SplitIndices,
  stratifiedKFold,
  takeRows,
  takeTableRows,
  takeValues,
} from '@mlops/ml';
import { UnusableDataError } from './data-source.js';
import type { TrainingData } from './dataset.js';
import { preprocessingOptions, type TrialInputs } from './trial-inputs.js';
import { modelParams, reportMetrics } from './trial-model.js';

/** A tuning's cross-validation: the number of folds and the folds of its training split (indices into it). */
export interface CvFolds {
  readonly k: number;
  readonly folds: readonly SplitIndices[];
}

/**
 * scikit-learn's `StratifiedKFold(n_splits=k)` (no shuffle, as GridSearchCV's `cv=k` for a classifier) over the
 * training split's labels. A class layout the folds cannot take (k greater than every class) is unusable data.
 */
export function cvFoldsOf(data: TrainingData, k: number): CvFolds {
  try {
    return { k, folds: stratifiedKFold(data.train.y, { nSplits: k }).folds };
  } catch (err) {
    if (err instanceof MlError) throw new UnusableDataError(`cv=${k}: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * Cross-validates one trial as GridSearchCV does: per fold, its preprocessing (a table) and its model are fitted on
 * the fold's train rows alone and scored on its test rows; per metric the mean and the std (ddof 0) over the folds.
 * A fold the library refuses fails the trial (its reason names the fold). roc_auc is null when a fold's is.
 */
export function crossValidate(
  data: TrainingData,
  params: TrialParams,
  cv: CvFolds,
): { ok: true; cv: TrialCv } | { ok: false; reason: string } {
  const scores: TrialMetrics[] = [];
  for (const [index, fold] of cv.folds.entries()) {
    try {
      scores.push(scoreFold(data, params, fold));
    } catch (err) {
      if (err instanceof MlError) return { ok: false, reason: `cv fold ${index + 1} of ${cv.k}: ${err.message}` };
      throw err;
    }
  }
  return { ok: true, cv: { k: cv.k, mean: summarise(scores, mean), std: summarise(scores, std) } };
}

/** The metrics of the trial fitted on one fold's train rows, scored on its test rows. */
function scoreFold(data: TrainingData, params: TrialParams, fold: SplitIndices): TrialMetrics {
  const inputs = foldInputs(data, params, fold);
  const model = new LogisticRegression(modelParams(params, inputs, data)).fit(inputs.train.X, inputs.train.y);
  return reportMetrics(model.evaluate(inputs.test.X, inputs.test.y));
}

/** A fold's train and test rows of the training split; a table's preprocessing fitted on the fold's train rows. */
function foldInputs(data: TrainingData, params: TrialParams, fold: SplitIndices): TrialInputs {
  const y = { train: takeValues(data.train.y, fold.train), test: takeValues(data.train.y, fold.test) };
  if (data.kind === 'matrix') {
    return {
      train: { X: takeRows(data.train.X, fold.train), y: y.train },
      test: { X: takeRows(data.train.X, fold.test), y: y.test },
      featureNames: data.summary.feature_names,
      preprocessing: undefined,
    };
  }
  const train = takeTableRows(data.train.table, fold.train);
  const fitted = fitPreprocessor(train, data.roles, preprocessingOptions(params));
  const compiled = compilePreprocessor(fitted);
  return {
    train: { X: compiled.transform(train), y: y.train },
    test: { X: compiled.transform(takeTableRows(data.train.table, fold.test)), y: y.test },
    featureNames: [],
    preprocessing: fitted,
  };
}

/** Each metric reduced over the folds; roc_auc null when any fold's is (scikit-learn's NaN). */
function summarise(scores: readonly TrialMetrics[], reduce: (values: number[]) => number): TrialMetrics {
  const over = (metric: Exclude<keyof TrialMetrics, 'roc_auc'>) => reduce(scores.map((s) => s[metric]));
  const rocAuc = scores.map((s) => s.roc_auc);
  return {
    accuracy: over('accuracy'),
    precision: over('precision'),
    recall: over('recall'),
    f1: over('f1'),
    roc_auc: rocAuc.every((v) => v !== null) ? reduce(rocAuc as number[]) : null,
    log_loss: over('log_loss'),
  };
}

/** numpy's `np.mean` of a few values. */
function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** numpy's `np.std` (ddof 0), as cv_results_' `std_test_<metric>`. */
function std(values: readonly number[]): number {
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
}

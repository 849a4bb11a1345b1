import type { TrialParams } from '@mlops/contracts';
import {
  compilePreprocessor,
  type DenseMatrix,
  encodedFeatureNames,
  type FittedPreprocessor,
  fitPreprocessor,
  type PreprocessingOptions,
} from '@mlops/ml';
import type { TrainingData } from './dataset.js';

/** What one trial trains and scores on: matrices, their column names, and the fitted preprocessing of a table. */
export interface TrialInputs {
  readonly train: { readonly X: DenseMatrix; readonly y: Float64Array };
  readonly test: { readonly X: DenseMatrix; readonly y: Float64Array };
  readonly featureNames: readonly string[];
  readonly preprocessing: FittedPreprocessor | undefined;
}

/**
 * Prepares trial inputs, once per run of trials with the same preprocessing (the grid puts them next to each other):
 * a table's imputers, scaler and encoder are fitted on the training side only (as a scikit-learn Pipeline) and
 * applied to both sides. Only the latest preprocessed table is kept, so memory does not grow with the grid.
 */
export class TrialInputsCache {
  private latest: { key: string; inputs: TrialInputs } | undefined;

  constructor(private readonly data: TrainingData) {}

  /** The inputs of a trial with these parameters (the synthetic data set's matrices as they are). */
  inputsFor(params: TrialParams): TrialInputs {
    const data = this.data;
    if (data.kind === 'matrix') {
      return { train: data.train, test: data.test, featureNames: data.summary.feature_names, preprocessing: undefined };
    }
    const options = preprocessingOptions(params);
    const key = JSON.stringify(options);
    if (this.latest?.key === key) return this.latest.inputs;
    const fitted = fitPreprocessor(data.train.table, data.roles, options);
    const compiled = compilePreprocessor(fitted);
    const inputs: TrialInputs = {
      train: { X: compiled.transform(data.train.table), y: data.train.y },
      test: { X: compiled.transform(data.test.table), y: data.test.y },
      featureNames: encodedFeatureNames(fitted),
      preprocessing: fitted,
    };
    this.latest = { key, inputs };
    return inputs;
  }
}

/** A table trial's preprocessing from its parameters (the grid's defaults when a parameter is absent). */
export function preprocessingOptions(params: TrialParams): PreprocessingOptions {
  return {
    numericImpute: params.impute ?? 'mean',
    scale: params.scale ?? true,
    categoricalMissing: params.categorical_missing ?? 'most_frequent',
  };
}

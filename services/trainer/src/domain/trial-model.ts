import type { TrialMetrics, TrialParams } from '@mlops/contracts';
import type { BinaryClassificationReport, LogisticRegressionParams } from '@mlops/ml';
import { fitClassWeight } from './class-weight.js';
import type { TrainingData } from './dataset.js';
import type { TrialInputs } from './trial-inputs.js';

/** A classification report as a trial's metrics (scikit-learn's names). */
export function reportMetrics(report: BinaryClassificationReport): TrialMetrics {
  return {
    accuracy: report.accuracy,
    precision: report.precision,
    recall: report.recall,
    f1: report.f1,
    roc_auc: report.rocAuc,
    log_loss: report.logLoss,
  };
}

/** A trial's parameters as LogisticRegression takes them (scikit-learn's names camel-cased). */
export function modelParams(params: TrialParams, inputs: TrialInputs, data: TrainingData): LogisticRegressionParams {
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

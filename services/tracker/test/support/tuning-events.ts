import type { EventData, GateSpec } from '@mlops/contracts';

const now = () => new Date().toISOString();

/** A two-feature linear model: predicts 1 when coef·x + intercept > 0. */
export interface TestWeights {
  readonly coef: readonly [number, number];
  readonly intercept: number;
}

/** The default weights every trial of the older tests shares. */
export const PLAIN_WEIGHTS: TestWeights = { coef: [0.5, -0.5], intercept: 0.1 };

/**
 * 200 holdout rows with a = -0.995 … 0.995 (step 0.01), b = 0, labelled 1 when a > 0.05: a model with coef [1, 0]
 * and intercept −t gets every row right but those with a between t and 0.05, so each 0.01 of t is one row (0.005).
 */
export function stepHoldout(): NonNullable<EventData<'tuning.completed'>['holdout']> {
  const rows = Array.from({ length: 200 }, (_, i) => [(i - 99.5) / 100, 0]);
  return { feature_names: ['a', 'b'], rows, labels: rows.map(([a]) => (a! > 0.05 ? 1 : 0)) };
}

/** coef [1, 0], intercept −t: the threshold model of {@link stepHoldout}. */
export function threshold(t: number): TestWeights {
  return { coef: [1, 0], intercept: -t };
}

/** The refs every event of a tuning repeats. */
function ref(model: string, tuningId: string) {
  return { tuning_id: tuningId, experiment_name: model, registered_model_name: model };
}

/** `run.completed` of trial `index` with the given accuracy and weights. */
export function trial(
  model: string,
  tuningId: string,
  index: number,
  accuracy: number,
  weights: TestWeights = PLAIN_WEIGHTS,
  featureNames: readonly string[] = ['a', 'b'],
): EventData<'run.completed'> {
  return {
    ...ref(model, tuningId),
    trial_id: `${tuningId}-${index}`,
    trial_index: index,
    params: {
      C: index + 1,
      solver: 'lbfgs',
      tol: 1e-4,
      max_iter: 100,
      fit_intercept: true,
      intercept_scaling: 1,
      penalty: 'l2',
      random_state: 42,
    },
    metrics: { accuracy, precision: 0.9, recall: 0.9, f1: 0.9, roc_auc: 0.95, log_loss: 0.3 },
    model: {
      classes: [0, 1],
      coef: featureNames.map((_, j) => weights.coef[j] ?? 0),
      intercept: weights.intercept,
      feature_names: [...featureNames],
    },
    n_iter: 7,
    converged: true,
    warnings: [],
    fit_time_ms: 1,
    dataset_digest: '0123456789abcdef',
    started_at: now(),
    ended_at: now(),
  };
}

/** `tuning.started` of a tuning on a two-column data set (or the given columns). */
export function tuningStarted(
  model: string,
  tuningId: string,
  trialCount = 1,
  featureNames: readonly string[] = ['a', 'b'],
): EventData<'tuning.started'> {
  return {
    ...ref(model, tuningId),
    trial_count: trialCount,
    selection_metric: 'accuracy',
    dataset: {
      name: 'two-columns',
      digest: '0123456789abcdef',
      source: 'make_classification(n_samples=10)',
      feature_names: [...featureNames],
      target: 'y',
      n_train: 8,
      n_test: 2,
      input_example: [featureNames.map((_, j) => j + 0.5)],
    },
    started_at: now(),
  };
}

/** `tuning.completed` with the step holdout (or the given one) and gate overrides. */
export function completed(
  model: string,
  tuningId: string,
  trialCount: number,
  gate: GateSpec = {},
  holdout: EventData<'tuning.completed'>['holdout'] = stepHoldout(),
): EventData<'tuning.completed'> {
  return {
    ...ref(model, tuningId),
    trial_count: trialCount,
    completed: trialCount,
    failed: 0,
    selection_metric: 'accuracy',
    gate,
    ...(holdout === undefined ? {} : { holdout }),
    ended_at: now(),
  };
}

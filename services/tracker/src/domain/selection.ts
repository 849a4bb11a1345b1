import { greaterIsBetter, type SelectionMetric } from '@mlops/contracts';

/** A trial as recorded in MLflow, reduced to what selection needs. */
export interface RecordedTrial {
  readonly trialId: string;
  readonly trialIndex: number;
  readonly runId: string;
  readonly metrics: Readonly<Record<string, number>>;
}

/** The recorded metric a tuning is judged on: the selection metric, or its mean over the folds with cv. */
export function selectionKey(metric: SelectionMetric, cv: number | undefined): string {
  return cv === undefined ? metric : `cv_mean_${metric}`;
}

/**
 * The best `k` trials by the selection metric, best first, in {@link pickBestTrial}'s order (ties to the lowest
 * trial index); trials lacking the metric are left out. `log_models: "top_k"` logs the models of these.
 */
export function bestTrials<T extends RecordedTrial>(
  trials: readonly T[],
  metric: SelectionMetric,
  k: number,
  cv?: number,
): T[] {
  const sign = greaterIsBetter(metric) ? 1 : -1;
  const key = selectionKey(metric, cv);
  const scored = trials.filter((t) => Number.isFinite(t.metrics[key]));
  scored.sort((a, b) => sign * (b.metrics[key]! - a.metrics[key]!) || a.trialIndex - b.trialIndex);
  return scored.slice(0, k);
}

/**
 * The best trial by the selection metric (maximised, or minimised for log_loss); ties go to the lowest trial index,
 * so the choice is the same however often or in whatever order events arrive. Trials lacking the metric are skipped.
 * With `cv` (a tuning's folds), trials are compared on `cv_mean_<metric>` (GridSearchCV's `mean_test_<metric>`).
 */
export function pickBestTrial<T extends RecordedTrial>(
  trials: readonly T[],
  metric: SelectionMetric,
  cv?: number,
): T | undefined {
  const sign = greaterIsBetter(metric) ? 1 : -1;
  const key = selectionKey(metric, cv);
  let best: T | undefined;
  for (const trial of trials) {
    const value = trial.metrics[key];
    if (value === undefined || !Number.isFinite(value)) continue;
    if (best === undefined) {
      best = trial;
      continue;
    }
    const delta = sign * (value - best.metrics[key]!);
    if (delta > 0 || (delta === 0 && trial.trialIndex < best.trialIndex)) best = trial;
  }
  return best;
}

/** Why a completed tuning has no trial to register: the request field at fault, and a sentence for people. */
export interface NothingToRegister {
  /** `trials` (none succeeded), `selection_metric` (no trial has it) or `log_models` (no best trial kept a model). */
  readonly path: 'trials' | 'selection_metric' | 'log_models';
  readonly message: string;
}

/** A completed tuning's recorded trials as {@link whyNothingToRegister} reads them. */
export interface UnregisteredTuning {
  /** The completed trials, each with its model id ('' when it kept none). */
  readonly completed: readonly (RecordedTrial & { readonly modelId: string })[];
  readonly failed: number;
  readonly metric: SelectionMetric;
  readonly cv: number | undefined;
  /** `log_models: "top_k"`'s k; undefined when every trial logs its model. */
  readonly topK: number | undefined;
  /** Rows of the test split, when known. */
  readonly testRows: number | undefined;
}

/**
 * Why {@link pickBestTrial} found nothing to register among a completed tuning's trials, in the order it matters:
 * no trial succeeded, no completed trial has the selection metric (roc_auc is undefined on a split that holds one
 * class), or no trial with it kept its model (`log_models: "top_k"`: the best k's weights were no longer stored).
 */
export function whyNothingToRegister(tuning: UnregisteredTuning): NothingToRegister {
  const { completed, failed, metric, cv } = tuning;
  if (completed.length === 0) {
    return { path: 'trials', message: `no trial succeeded (${failed} of ${failed} failed): nothing to register` };
  }
  const key = selectionKey(metric, cv);
  const scored = completed.filter((t) => Number.isFinite(t.metrics[key]));
  if (scored.length === 0) return { path: 'selection_metric', message: missingMetric(tuning) };
  const k = tuning.topK === undefined ? scored.length : Math.min(tuning.topK, scored.length);
  const which = tuning.topK === undefined ? `no completed trial with a ${key}` : `none of the best ${k} by ${key}`;
  return {
    path: 'log_models',
    message: `${which} kept its model: their run.completed events, which carry the weights, are no longer stored; run the tuning again`,
  };
}

function missingMetric({ completed, failed, metric, cv, testRows }: UnregisteredTuning): string {
  const trials = `${completed.length} completed${failed > 0 ? `, ${failed} failed` : ''}`;
  const where = cv === undefined ? 'on its test split' : `as a mean over its ${cv} cross-validation folds`;
  if (metric !== 'roc_auc')
    return `no completed trial has a ${metric} ${where} (${trials}); choose another selection metric`;
  const split = testRows === undefined ? 'the test split' : `the ${testRows}-row test split`;
  return cv === undefined
    ? `no completed trial has a roc_auc ${where} (${trials}: ${split} holds one class, and ROC AUC needs both); ` +
        'choose another selection metric, a larger test split (split.test_size) or a stratified one (split.stratify)'
    : `no completed trial has a roc_auc ${where} (${trials}: a fold holds one class, and ROC AUC needs both); ` +
        'choose another selection metric, fewer folds (cv) or more rows of the rarer class';
}

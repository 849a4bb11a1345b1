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

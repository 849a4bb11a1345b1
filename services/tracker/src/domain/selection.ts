import { greaterIsBetter, type SelectionMetric } from '@mlops/contracts';

/** A trial as recorded in MLflow, reduced to what selection needs. */
export interface RecordedTrial {
  readonly trialId: string;
  readonly trialIndex: number;
  readonly runId: string;
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * The best trial by the selection metric (maximised, or minimised for log_loss); ties go to the lowest trial index,
 * so the choice is the same however often or in whatever order events arrive. Trials lacking the metric are skipped.
 */
export function pickBestTrial<T extends RecordedTrial>(trials: readonly T[], metric: SelectionMetric): T | undefined {
  const sign = greaterIsBetter(metric) ? 1 : -1;
  let best: T | undefined;
  for (const trial of trials) {
    const value = trial.metrics[metric];
    if (value === undefined || !Number.isFinite(value)) continue;
    if (best === undefined) {
      best = trial;
      continue;
    }
    const delta = sign * (value - best.metrics[metric]!);
    if (delta > 0 || (delta === 0 && trial.trialIndex < best.trialIndex)) best = trial;
  }
  return best;
}

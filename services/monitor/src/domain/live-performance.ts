import { greaterIsBetter, type LivePerformance, type SelectionMetric } from '@mlops/contracts';
import { accuracy, f1, logLoss, percentile, precision, recall, rocAuc } from '@mlops/ml';
import type { VersionRows } from './label-join.js';

/** When live performance counts as degraded. */
export interface PerformanceRules {
  /** The live metric compared with the training one. */
  readonly metric: SelectionMetric;
  /** Degraded when live is worse than training by more than this. */
  readonly threshold: number;
  /** Labelled rows needed before judging. */
  readonly minLabels: number;
  /** Live performance covers predictions made this long before now. */
  readonly windowMs: number;
}

/** The version's metrics at training time (its test split), by name. */
export type TrainingMetrics = Readonly<Partial<Record<SelectionMetric, number | null>>>;

/** Live metrics of one version from its labelled rows, and whether they fell below the training metric. */
export function livePerformance(
  rows: VersionRows,
  training: TrainingMetrics,
  rules: PerformanceRules,
): LivePerformance {
  rows = scorable(rows);
  const n = rows.truth.length;
  const trainingValue = training[rules.metric];
  const base = {
    predictions: rows.predictions,
    labelled: n,
    label_coverage: rows.predictions === 0 ? null : n / rows.predictions,
    training:
      trainingValue === undefined || trainingValue === null ? null : { name: rules.metric, value: trainingValue },
    ...latency(rows.latencyMs),
  };
  if (n === 0) {
    return {
      ...base,
      accuracy: null,
      precision: null,
      recall: null,
      f1: null,
      roc_auc: null,
      log_loss: null,
      degraded: false,
    };
  }
  const metrics = {
    accuracy: accuracy(rows.truth, rows.predicted),
    precision: precision(rows.truth, rows.predicted),
    recall: recall(rows.truth, rows.predicted),
    f1: f1(rows.truth, rows.predicted),
    roc_auc: bothClasses(rows.truth) ? rocAuc(rows.truth, rows.probability) : null,
    log_loss: logLoss(rows.truth, rows.probability),
  };
  return { ...base, ...metrics, degraded: isDegraded(metrics[rules.metric], base.training?.value, n, rules) };
}

/** Live worse than training by more than the threshold, with enough labels. */
export function isDegraded(
  live: number | null,
  training: number | undefined,
  labelled: number,
  rules: PerformanceRules,
) {
  if (live === null || training === undefined || labelled < rules.minLabels) return false;
  const shortfall = greaterIsBetter(rules.metric) ? training - live : live - training;
  return shortfall > rules.threshold;
}

/** The rows whose label and predicted label are class indexes (a row logged unlike its version is left out). */
function scorable(rows: VersionRows): VersionRows {
  const isIndex = (v: number | undefined) => v === 0 || v === 1;
  if (rows.truth.every(isIndex) && rows.predicted.every(isIndex)) return rows;
  const keep = rows.truth.map((t, i) => isIndex(t) && isIndex(rows.predicted[i]));
  const kept = <T>(values: readonly T[]) => values.filter((_, i) => keep[i]);
  return {
    predictions: rows.predictions,
    truth: kept(rows.truth),
    probability: kept(rows.probability),
    predicted: kept(rows.predicted),
    latencyMs: kept(rows.latencyMs),
  };
}

function bothClasses(truth: readonly number[]): boolean {
  let ones = 0;
  for (const t of truth) ones += t;
  return ones > 0 && ones < truth.length;
}

function latency(values: readonly number[]): {
  label_latency_p50_s: number | null;
  label_latency_p95_s: number | null;
} {
  if (values.length === 0) return { label_latency_p50_s: null, label_latency_p95_s: null };
  const sorted = [...values].sort((a, b) => a - b);
  return { label_latency_p50_s: percentile(sorted, 50) / 1000, label_latency_p95_s: percentile(sorted, 95) / 1000 };
}

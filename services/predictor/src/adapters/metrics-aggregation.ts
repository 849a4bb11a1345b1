import { AggregatorRegistry, type Registry } from 'prom-client';

/** One worker's metrics as `registry.getMetricsAsJSON()` gives them: what a worker sends its primary. */
export type MetricsSnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * Limits every worker has alike: their sum would be no process's (prom-client sums them); the largest is shown,
 * which is each worker's.
 */
const SAME_IN_EVERY_WORKER = new Set(['process_max_fds']);

/**
 * The Prometheus exposition of several workers' metrics together: counters, histograms and the predictor's gauges
 * summed per label set (so `predictor_model_info` counts the workers serving each version), the default process
 * metrics as prom-client aggregates them (version info once, start time omitted, event loop lag averaged), and a
 * per-process limit (`process_max_fds`) as one process has it.
 */
export async function aggregateMetrics(snapshots: readonly MetricsSnapshot[]): Promise<string> {
  const adjusted = snapshots.map((metrics) =>
    metrics.map((metric) =>
      SAME_IN_EVERY_WORKER.has(metric.name) ? { ...metric, aggregator: 'max' as const } : metric,
    ),
  );
  return await AggregatorRegistry.aggregate(adjusted as MetricsSnapshot[]).metrics();
}

import { AggregatorRegistry, type Registry } from 'prom-client';

/** One worker's metrics as `registry.getMetricsAsJSON()` gives them: what a worker sends its primary. */
export type MetricsSnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * The Prometheus exposition of several workers' metrics together: counters, histograms and the predictor's gauges
 * summed per label set (so `predictor_model_info` counts the workers serving each version), the default process
 * metrics as prom-client aggregates them (version info once, start time omitted, event loop lag averaged).
 */
export async function aggregateMetrics(snapshots: readonly MetricsSnapshot[]): Promise<string> {
  return await AggregatorRegistry.aggregate(snapshots as MetricsSnapshot[]).metrics();
}

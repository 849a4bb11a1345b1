import type { MonitorWindowData } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { createMonitorMetrics } from '../src/adapters/metrics.js';

/** A drifted window of m version 1 whose column x0 drifted. */
const WINDOW = {
  model: 'm',
  version: '1',
  dataset_drift: true,
  drift_share: 1,
  features: [{ name: 'x0', psi: 0.5, js_distance: 0.4, method: 'ks', value: 0.01, drifted: true }],
  prediction: null,
  missing: [],
} as unknown as MonitorWindowData;
const DEGRADED = {
  labelled: 3,
  degraded: true,
  accuracy: 0,
  precision: null,
  recall: null,
  f1: null,
  roc_auc: null,
  log_loss: null,
  label_coverage: 1,
} as unknown as MonitorWindowData['performance'];

/** The value of `name` for version `version` of m (and `column` when given). */
async function gauge(metrics: ReturnType<typeof createMonitorMetrics>, name: string, version: string, column?: string) {
  const found = (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  return found.find((v) => v.labels.model_version === version && (column === undefined || v.labels.column === column))
    ?.value;
}

describe('monitor gauges of a replaced version', () => {
  it('when version 1 drifted and degraded and is replaced, then its drift, drifted column and degraded gauges are 0', async () => {
    const metrics = createMonitorMetrics();
    metrics.windowClosed(WINDOW);
    metrics.performance('m:1', DEGRADED);
    expect(await gauge(metrics, 'monitor_dataset_drift', '1')).toBe(1);
    metrics.replaced('m:1');
    expect(await gauge(metrics, 'monitor_dataset_drift', '1')).toBe(0);
    expect(await gauge(metrics, 'monitor_performance_degraded', '1')).toBe(0);
    expect(await gauge(metrics, 'monitor_column_drifted', '1', 'x0')).toBe(0);
  });
});

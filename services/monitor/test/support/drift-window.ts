import type { ColumnDrift, MonitorWindowData } from '@mlops/contracts';

/** A column decided by wasserstein (the longest statistic's key) whose psi is `psi`, to find its series again. */
export function driftColumn(name: string, psi: number, drifted = true): ColumnDrift {
  return {
    name,
    method: 'wasserstein',
    value: 0.5,
    threshold: 0.1,
    drifted,
    psi,
    js_distance: 0.2,
    ks_statistic: null,
    ks_p_value: null,
    wasserstein_normed: 0.5,
    mean: 1,
    reference_mean: 0,
  };
}

/** How a window of {@link columnsWindow} differs from the default one. */
export interface ColumnsWindowOptions {
  readonly model?: string;
  readonly version?: string;
  readonly index?: number;
  readonly driftShare?: number;
  readonly missingShare?: number;
  readonly accuracy?: number | null;
  /** Whether column `i` drifted. @defaultValue every column */
  readonly drifted?: (i: number) => boolean;
}

/** A window in which column `i` of `names` has psi `i` and a missing share: what the monitoring run logs. */
export function columnsWindow(names: readonly string[], options: ColumnsWindowOptions = {}): MonitorWindowData {
  const index = options.index ?? 0;
  return {
    model: options.model ?? 'm',
    version: options.version ?? '1',
    window: index,
    rows: 500,
    closed_at: new Date(Date.UTC(2026, 11, 2, 7, 0, index)).toISOString(),
    dataset_drift: true,
    drift_share: options.driftShare ?? 1,
    features: names.map((name, i) => driftColumn(name, i, options.drifted?.(i) ?? true)),
    prediction: null,
    missing: names.map((name) => ({ name, share: options.missingShare ?? 0, reference_share: 0 })),
    performance: {
      accuracy: options.accuracy ?? null,
      precision: null,
      recall: null,
      f1: null,
      roc_auc: null,
      log_loss: null,
      label_coverage: null,
    },
  } as unknown as MonitorWindowData;
}

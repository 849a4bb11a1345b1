import type { MonitorWindowData } from '@mlops/contracts';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { MonitorMetrics } from '../domain/ports.js';

/** The monitor's Prometheus metrics on their own registry. */
export interface MonitorPrometheus extends MonitorMetrics {
  readonly registry: Registry;
}

const PERFORMANCE_KEYS = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'log_loss', 'label_coverage'] as const;

/** Builds the metrics: per served version (`model_name`, `model_version`) and per feature where it applies. */
export function createMonitorMetrics(): MonitorPrometheus {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const version = ['model_name', 'model_version'] as const;
  const rows = new Counter({
    name: 'monitor_rows_total',
    help: 'Logged prediction rows counted in windows',
    labelNames: version,
    registers,
  });
  const windows = new Counter({
    name: 'monitor_windows_total',
    help: 'Windows closed',
    labelNames: version,
    registers,
  });
  const datasetDrift = new Gauge({
    name: 'monitor_dataset_drift',
    help: '1 when the last window drifted, 0 when not',
    labelNames: version,
    registers,
  });
  const driftShare = new Gauge({
    name: 'monitor_drift_share',
    help: 'Share of drifted features in the last window',
    labelNames: version,
    registers,
  });
  const column = [...version, 'column', 'statistic'] as const;
  const statistic = new Gauge({
    name: 'monitor_column_drift',
    help: 'Drift statistics of the last window per column',
    labelNames: column,
    registers,
  });
  const drifted = new Gauge({
    name: 'monitor_column_drifted',
    help: '1 when the column drifted in the last window',
    labelNames: [...version, 'column'],
    registers,
  });
  const labels = new Counter({
    name: 'monitor_labels_total',
    help: "Labels by outcome (joined, unknown, expired, duplicate, other_model); another client's prediction counts as unknown",
    labelNames: [...version, 'outcome'],
    registers,
  });
  const live = new Gauge({
    name: 'monitor_live_metric',
    help: 'Live performance from labelled predictions',
    labelNames: [...version, 'metric'],
    registers,
  });
  const labelled = new Gauge({
    name: 'monitor_labelled_rows',
    help: 'Labelled rows inside the performance window',
    labelNames: version,
    registers,
  });
  const degraded = new Gauge({
    name: 'monitor_performance_degraded',
    help: '1 while performance is degraded',
    labelNames: version,
    registers,
  });
  const joinRows = new Gauge({ name: 'monitor_join_rows', help: 'Prediction rows kept for joining labels', registers });
  const reference = new Gauge({
    name: 'monitor_reference_available',
    help: '1 when the version has a reference profile (drift is measured), 0 when not',
    labelNames: version,
    registers,
  });
  const retrainDecisions = new Counter({
    name: 'monitor_retrain_decisions_total',
    help: 'Retrain decisions by trigger (drift, performance, manual) and outcome (requested, or why it was skipped)',
    labelNames: ['model_name', 'trigger', 'outcome'],
    registers,
  });
  const retrainInFlight = new Gauge({
    name: 'monitor_retrain_in_flight',
    help: '1 while a retrain of the model is in flight (its lease held)',
    labelNames: ['model_name'],
    registers,
  });
  /** Per version, the columns whose drifted gauge was set (a replaced version's are set back to 0). */
  const columns = new Map<string, Set<string>>();
  const split = (key: string) => {
    const colon = key.lastIndexOf(':');
    return { model_name: key.slice(0, colon), model_version: key.slice(colon + 1) };
  };
  /** Shows a window's statistics on the gauges. */
  const showWindow = (w: MonitorWindowData) => {
    const ids = { model_name: w.model, model_version: w.version };
    if (w.dataset_drift !== null) datasetDrift.set(ids, w.dataset_drift ? 1 : 0);
    if (w.drift_share !== null) driftShare.set(ids, w.drift_share);
    for (const c of [...w.features, ...(w.prediction === null ? [] : [w.prediction])]) {
      statistic.set({ ...ids, column: c.name, statistic: 'psi' }, c.psi);
      statistic.set({ ...ids, column: c.name, statistic: 'js' }, c.js_distance);
      statistic.set({ ...ids, column: c.name, statistic: c.method }, c.value);
      drifted.set({ ...ids, column: c.name }, c.drifted ? 1 : 0);
      const key = `${w.model}:${w.version}`;
      const known = columns.get(key) ?? new Set<string>();
      columns.set(key, known.add(c.name));
    }
    for (const m of w.missing) statistic.set({ ...ids, column: m.name, statistic: 'missing_share' }, m.share);
  };
  return {
    registry,
    rowsCounted: (key, n) => rows.inc(split(key), n),
    windowClosed(w) {
      windows.inc({ model_name: w.model, model_version: w.version });
      showWindow(w);
    },
    windowShown: showWindow,
    labels: (key, outcome, n) =>
      labels.inc({ ...(key === '' ? { model_name: '', model_version: '' } : split(key)), outcome }, n),
    performance(key, p) {
      const ids = split(key);
      labelled.set(ids, p.labelled);
      degraded.set(ids, p.degraded ? 1 : 0);
      for (const metric of PERFORMANCE_KEYS) {
        const value = p[metric];
        // No value (no labelled row, no prediction left in the live window): no sample, not the last one seen.
        if (value === null) live.remove({ ...ids, metric });
        else live.set({ ...ids, metric }, value);
      }
    },
    replaced(key) {
      const ids = split(key);
      datasetDrift.set(ids, 0);
      degraded.set(ids, 0);
      for (const column of columns.get(key) ?? []) drifted.set({ ...ids, column }, 0);
    },
    joinRows: (n) => joinRows.set(n),
    reference: (key, available) => reference.set(split(key), available ? 1 : 0),
    retrainDecision: (model, trigger, outcome) => retrainDecisions.inc({ model_name: model, trigger, outcome }),
    retrainInFlight: (model, inFlight) => retrainInFlight.set({ model_name: model }, inFlight ? 1 : 0),
  };
}

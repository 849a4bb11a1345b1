import type { ColumnDrift, MonitorWindowData } from '@mlops/contracts';
import type { MetricInput, MlflowClient } from '@mlops/mlflow';
import type { MonitoringRuns } from '../domain/ports.js';

/** Tags of a monitoring run and of the version it watches. */
export const MONITOR_TAGS = {
  /** On the run: `<model>:<version>` (also the idempotency key of its creation). */
  watches: 'mlops.monitor.watches',
  /** On the model version: the id of its monitoring run. */
  runId: 'mlops.monitor.run_id',
} as const;

const PERFORMANCE_KEYS = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'log_loss', 'label_coverage'] as const;

/** A window waiting to be written, and who waits for it. */
interface QueuedWindow {
  readonly window: MonitorWindowData;
  readonly written: () => void;
  readonly failed: (err: unknown) => void;
}

/**
 * One MLflow run per served version, "monitoring v<N>", in the experiment of the version's training run and linked
 * from the version by a tag; each window is a step. Metric timestamps are the window's close time, so a window
 * logged again after a restart writes identical rows (which MLflow stores once). One write per version is in flight
 * at a time; the windows that queue meanwhile go together in the next `logBatch` (MLflow's cost is per call and per
 * metric: bench/monitor).
 */
export function mlflowMonitoringRuns(mlflow: MlflowClient): MonitoringRuns {
  const runs = new Map<string, Promise<string>>();
  const queues = new Map<string, QueuedWindow[]>();
  const runOf = (model: string, version: string) => {
    const key = `${model}:${version}`;
    let run = runs.get(key);
    if (run === undefined) {
      run = openRun(mlflow, model, version);
      runs.set(key, run);
      run.catch(() => runs.delete(key));
    }
    return run;
  };
  const drain = async (key: string, model: string, version: string) => {
    for (let queued = queues.get(key); queued !== undefined && queued.length > 0; queued = queues.get(key)) {
      queues.set(key, []);
      try {
        const runId = await runOf(model, version);
        await mlflow.logBatch({ runId, metrics: queued.flatMap((q) => windowMetrics(q.window)) });
        for (const q of queued) q.written();
      } catch (err) {
        for (const q of queued) q.failed(err);
      }
    }
    queues.delete(key);
  };
  return {
    logWindow(window) {
      const key = `${window.model}:${window.version}`;
      return new Promise<void>((written, failed) => {
        const queued = queues.get(key);
        if (queued !== undefined) queued.push({ window, written, failed });
        else {
          queues.set(key, [{ window, written, failed }]);
          void drain(key, window.model, window.version);
        }
      });
    },
  };
}

async function openRun(mlflow: MlflowClient, model: string, version: string): Promise<string> {
  const modelVersion = await mlflow.getModelVersion(model, version);
  if (modelVersion.runId === undefined)
    throw new Error(`version ${model}/${version} has no run to file monitoring under`);
  const trainingRun = await mlflow.getRun(modelVersion.runId);
  const watches = `${model}:${version}`;
  const run = await mlflow.createRun({
    experimentId: trainingRun.info.experimentId,
    runName: `monitoring v${version}`,
    tags: { 'mlops.monitor.model': model, 'mlops.monitor.version': version },
    idempotencyTag: { key: MONITOR_TAGS.watches, value: watches },
  });
  await mlflow.setModelVersionTag(model, version, MONITOR_TAGS.runId, run.info.runId);
  return run.info.runId;
}

/** Every number of a window as MLflow metrics at step = window index. */
export function windowMetrics(window: MonitorWindowData): MetricInput[] {
  const step = window.window;
  const timestamp = Date.parse(window.closed_at);
  const metric = (key: string, value: number): MetricInput => ({ key, value, step, timestamp });
  const out: MetricInput[] = [metric('rows', window.rows)];
  if (window.dataset_drift !== null) out.push(metric('dataset_drift', window.dataset_drift ? 1 : 0));
  if (window.drift_share !== null) out.push(metric('drift_share', window.drift_share));
  for (const column of [...window.features, ...(window.prediction === null ? [] : [window.prediction])]) {
    out.push(...columnMetrics(column, metric));
  }
  for (const missing of window.missing) out.push(metric(`missing/${metricName(missing.name)}`, missing.share));
  for (const key of PERFORMANCE_KEYS) {
    const value = window.performance[key];
    if (value !== null) out.push(metric(`live_${key}`, value));
  }
  return out;
}

/** A column name as MLflow takes it in a metric key (letters, digits, _ - . space /). */
function metricName(column: string): string {
  return column.replace(/[^\w\-. /]/g, '_');
}

function columnMetrics(column: ColumnDrift, metric: (key: string, value: number) => MetricInput): MetricInput[] {
  const name = metricName(column.name);
  const deciding =
    column.method === 'psi' || column.method === 'js' ? [] : [metric(`${column.method}/${name}`, column.value)];
  return [metric(`psi/${name}`, column.psi), metric(`js/${name}`, column.js_distance), ...deciding];
}

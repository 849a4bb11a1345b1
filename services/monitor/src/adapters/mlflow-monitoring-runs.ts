import type { ColumnDrift, MonitorWindowData } from '@mlops/contracts';
import { renderSvg } from '@mlops/figures';
import { type MetricInput, MlflowApiError, type MlflowClient } from '@mlops/mlflow';
import { DriftHistory } from '../domain/drift-history.js';
import type { MonitoringRuns } from '../domain/ports.js';
import { columnKeys } from './metric-keys.js';

/** Where a monitoring run's drift-over-time figure is (MLflow shows SVG in the artifact view). */
export const DRIFT_FIGURE_PATH = 'figures/drift_over_time.svg';

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
export function mlflowMonitoringRuns(mlflow: MlflowClient, options: DriftFigureOptions = {}): MonitoringRuns {
  const figures = driftFigures(mlflow, options);
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
        await figures.windowsLogged(
          runId,
          queued.map((q) => q.window),
        );
      } catch (err) {
        // A refusal may mean the run was deleted in the UI: the next window opens it again (or a new one).
        if (err instanceof MlflowApiError) runs.delete(key);
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

/** When the drift-over-time figure is drawn, and who hears of a figure that could not be. */
export interface DriftFigureOptions {
  /** At most one drawing per version this often (rendering costs ~0.2 s). @defaultValue 30000 */
  readonly everyMs?: number;
  readonly now?: () => number;
  /** A figure not drawn is not a window lost: the caller logs it. */
  readonly onError?: (err: unknown) => void;
}

/**
 * Keeps each version's windows and, at most every `everyMs`, writes `figures/drift_over_time.svg` into its
 * monitoring run (the same path again: the newest picture replaces the last). Windows that come within `everyMs` of
 * a drawing are drawn by a trailing timer (unref'd), so the last windows before traffic stops are drawn too.
 */
function driftFigures(mlflow: MlflowClient, options: DriftFigureOptions) {
  const history = new DriftHistory();
  const drawnAt = new Map<string, number>();
  const trailing = new Map<string, NodeJS.Timeout>();
  const now = options.now ?? Date.now;
  const everyMs = options.everyMs ?? 30_000;
  const draw = async (runId: string, model: string, version: string): Promise<void> => {
    drawnAt.set(runId, now());
    try {
      const spec = history.figure(model, version);
      if (spec !== undefined) await mlflow.uploadArtifact({ runId, path: DRIFT_FIGURE_PATH }, await renderSvg(spec));
    } catch (err) {
      options.onError?.(err);
    }
  };
  return {
    async windowsLogged(runId: string, windows: readonly MonitorWindowData[]): Promise<void> {
      for (const window of windows) history.add(window);
      const last = windows.at(-1);
      if (last === undefined) return;
      const waitMs = (drawnAt.get(runId) ?? Number.NEGATIVE_INFINITY) + everyMs - now();
      if (waitMs <= 0) return await draw(runId, last.model, last.version);
      if (trailing.has(runId)) return;
      const timer = setTimeout(() => {
        trailing.delete(runId);
        void draw(runId, last.model, last.version);
      }, waitMs);
      timer.unref();
      trailing.set(runId, timer);
    },
  };
}

/** A version registered without a training run: its monitoring has no experiment to go in (asking again cannot help). */
export class NoTrainingRunError extends Error {
  constructor(model: string, version: string) {
    super(`version ${model}/${version} has no run to file monitoring under`);
    this.name = new.target.name;
  }
}

async function openRun(mlflow: MlflowClient, model: string, version: string): Promise<string> {
  const modelVersion = await mlflow.getModelVersion(model, version);
  if (modelVersion.runId === undefined) throw new NoTrainingRunError(model, version);
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

/**
 * Every number of a window as MLflow metrics at step = window index; a column's keys are `<statistic>/<column>`
 * and `missing/<column>`, the column's part by {@link columnKeys} (within MLflow's 250 characters, one per column).
 */
export function windowMetrics(window: MonitorWindowData): MetricInput[] {
  const step = window.window;
  const timestamp = Date.parse(window.closed_at);
  const metric = (key: string, value: number): MetricInput => ({ key, value, step, timestamp });
  const columns = [...window.features, ...(window.prediction === null ? [] : [window.prediction])];
  const keys = columnKeys([...columns, ...window.missing].map((c) => c.name));
  const keyOf = (name: string) => keys.get(name) ?? name;
  const out: MetricInput[] = [metric('rows', window.rows)];
  if (window.dataset_drift !== null) out.push(metric('dataset_drift', window.dataset_drift ? 1 : 0));
  if (window.drift_share !== null) out.push(metric('drift_share', window.drift_share));
  for (const column of columns) out.push(...columnMetrics(column, keyOf(column.name), metric));
  for (const missing of window.missing) out.push(metric(`missing/${keyOf(missing.name)}`, missing.share));
  for (const key of PERFORMANCE_KEYS) {
    const value = window.performance[key];
    if (value !== null) out.push(metric(`live_${key}`, value));
  }
  return out;
}

function columnMetrics(
  column: ColumnDrift,
  name: string,
  metric: (key: string, value: number) => MetricInput,
): MetricInput[] {
  const deciding =
    column.method === 'psi' || column.method === 'js' ? [] : [metric(`${column.method}/${name}`, column.value)];
  return [metric(`psi/${name}`, column.psi), metric(`js/${name}`, column.js_distance), ...deciding];
}

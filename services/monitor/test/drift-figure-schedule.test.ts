import type { MonitorWindowData } from '@mlops/contracts';
import type { MlflowClient } from '@mlops/mlflow';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DRIFT_FIGURE_PATH, mlflowMonitoringRuns } from '../src/adapters/mlflow-monitoring-runs.js';

const windowOf = (index: number) =>
  ({
    model: 'm',
    version: '1',
    window: index,
    rows: 500,
    closed_at: new Date(Date.UTC(2026, 11, 2, 7, 0, index)).toISOString(),
    dataset_drift: false,
    drift_share: 0,
    features: [
      {
        name: 'x0',
        method: 'wasserstein',
        value: 0.01 * index,
        threshold: 0.1,
        drifted: false,
        psi: 0,
        js_distance: 0,
        ks_statistic: null,
        ks_p_value: null,
        wasserstein_normed: 0.01 * index,
        mean: 0,
        reference_mean: 0,
      },
    ],
    prediction: null,
    missing: [],
    performance: {},
  }) as unknown as MonitorWindowData;

/** The client calls the adapter makes, recorded (only the scheduling of drawings is under test here). */
function recordingClient() {
  const uploads: { path: string; svg: string }[] = [];
  const client = {
    getModelVersion: async () => ({ runId: 'train-run' }),
    getRun: async () => ({ info: { experimentId: '1' } }),
    createRun: async () => ({ info: { runId: 'monitor-run' } }),
    setModelVersionTag: async () => undefined,
    logBatch: async () => undefined,
    uploadArtifact: async (target: { path: string }, body: string) => {
      uploads.push({ path: target.path, svg: body });
      return '';
    },
  } as unknown as MlflowClient;
  return { client, uploads };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('drift figure on the monitoring run', () => {
  it('when windows keep coming, then it is drawn at once, then at most every 30 s, the last windows by a trailing draw', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    const { client, uploads } = recordingClient();
    const runs = mlflowMonitoringRuns(client, { everyMs: 30_000 });
    await runs.logWindow(windowOf(0));
    await vi.waitFor(() => expect(uploads).toHaveLength(1));
    await runs.logWindow(windowOf(1));
    await runs.logWindow(windowOf(2));
    expect(uploads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(30_000);
    await vi.waitFor(() => expect(uploads).toHaveLength(2));
    expect(uploads.map((u) => u.path)).toEqual([DRIFT_FIGURE_PATH, DRIFT_FIGURE_PATH]);
    expect(uploads[1]?.svg).toContain('m v1, windows 0–2');
  });
});

import { randomUUID } from 'node:crypto';
import { createMlflowClient, type MlflowClient } from '@mlops/mlflow';
import { registerTestModel } from '@mlops/testkit';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DRIFT_FIGURE_PATH, MONITOR_TAGS, mlflowMonitoringRuns } from '../src/adapters/mlflow-monitoring-runs.js';
import { columnsWindow } from './support/drift-window.js';

/** A 250-character column, two that sanitise alike, one no path of its own, one Vega misread, and an ordinary one. */
const COLUMNS = [`${'long_'.repeat(49)}tail_`, 'a<b', 'a>b', 'a//b', 'constructor', 'x0'];

let mlflow: MlflowClient;

beforeAll(() => {
  mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
});

/** Column `i` has psi `i`, so its series can be found again whatever its key. */
const windowOf = (model: string, version: string, index: number) =>
  columnsWindow(COLUMNS, { model, version, index, driftShare: 0.5, missingShare: 0.01, drifted: (i) => i % 2 === 0 });

/** A registered version of a new model whose features are {@link COLUMNS}. */
async function registeredVersion(name: string): Promise<string> {
  const { experimentId } = await mlflow.getOrCreateExperiment(name);
  await mlflow.getOrCreateRegisteredModel({ name });
  const weights = { coef: COLUMNS.map(() => 0.1), intercept: 0, featureNames: COLUMNS };
  return (await registerTestModel(mlflow, { experimentId, name, weights })).version;
}

describe('monitoring run in MLflow', () => {
  it('when a model has a 250-character column and columns that sanitise alike, then its windows are logged, a series per column', async () => {
    const name = `keys_${randomUUID().slice(0, 8)}`;
    const version = await registeredVersion(name);
    const figureErrors: unknown[] = [];
    const runs = mlflowMonitoringRuns(mlflow, { onError: (err) => figureErrors.push(err) });
    await runs.logWindow(windowOf(name, version, 0));
    await runs.logWindow(windowOf(name, version, 1));
    const runId = (await mlflow.getModelVersion(name, version)).tags[MONITOR_TAGS.runId] ?? '';
    const psi = (await mlflow.getRun(runId)).data.metrics.filter((m) => m.key.startsWith('psi/'));
    expect(psi.map((m) => m.value).sort()).toEqual(COLUMNS.map((_, i) => i));
    const longest = psi.find((m) => m.value === 0)?.key ?? '';
    expect((await mlflow.getMetricHistory(runId, longest)).map((m) => m.step)).toEqual([0, 1]);
    expect(figureErrors).toEqual([]);
    const figures = await mlflow.listArtifacts({ runId, path: 'figures' });
    expect(figures.map((f) => f.path)).toEqual([DRIFT_FIGURE_PATH]);
  }, 60_000);
});

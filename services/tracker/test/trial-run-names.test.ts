import { expandGrid, GridSpecSchema, type RunStarted } from '@mlops/contracts';
import type { CreateRunInput, MlflowClient, Run } from '@mlops/mlflow';
import { describe, expect, it } from 'vitest';
import { MlflowRecorder } from '../src/adapters/mlflow-recorder.js';
import { trialRunName } from '../src/adapters/trial-run-name.js';

// The names the recorder gives trial runs (MLflow's run lists and a model version's "Source Run" show only these).

/** A client that records every run created; no run exists before. */
function stubMlflow() {
  const creates: CreateRunInput[] = [];
  const mlflow = {
    getOrCreateExperiment: async () => ({ experimentId: '7', tags: { 'mlflow.experimentKind': 'custom' } }),
    iterateRuns: async function* () {},
    createRun: async (input: CreateRunInput) => {
      creates.push(input);
      return {
        info: { runId: `run-${creates.length}`, experimentId: input.experimentId, status: 'RUNNING' },
        data: { tags: { ...input.tags }, params: {}, metrics: [] },
        inputs: { datasetInputs: [] },
      } as unknown as Run;
    },
  } as unknown as MlflowClient;
  return { mlflow, childNames: () => creates.filter((c) => c.parentRunId !== undefined).map((c) => c.runName) };
}

/** The trials of a grid (the preprocessing axes as a CSV table's tuning has them). */
function trialsOf(grid: Record<string, unknown>): RunStarted['data']['params'][] {
  return expandGrid(GridSpecSchema.parse(grid));
}

/** The run names the recorder creates for every trial of the grid, in trial order. */
async function runNames(grid: Record<string, unknown>): Promise<(string | undefined)[]> {
  const { mlflow, childNames } = stubMlflow();
  const recorder = new MlflowRecorder(
    mlflow,
    () => ({}),
    async () => undefined,
  );
  const trials = trialsOf(grid);
  for (const [index, params] of trials.entries())
    await recorder.recordRunStarted({
      tuning_id: 'tun-1',
      experiment_name: 'exp',
      registered_model_name: 'clf',
      trial_id: `tun-1-${index}`,
      trial_index: index,
      params,
      started_at: '2026-12-02T20:00:00.000Z',
    });
  return childNames();
}

describe('trial run names', () => {
  it('when trials differ only in penalty and class_weight, then each run is named apart', async () => {
    const names = await runNames({
      C: 0.2,
      solver: 'liblinear',
      penalty: ['l1', 'l2'],
      class_weight: [null, 'balanced'],
    });
    expect(names).toEqual([
      'C=0.2 liblinear l1',
      'C=0.2 liblinear l1 balanced',
      'C=0.2 liblinear',
      'C=0.2 liblinear balanced',
    ]);
  });

  it('when elasticnet trials differ only in l1_ratio, then each run names its l1_ratio', async () => {
    const names = await runNames({ C: 1, solver: 'saga', penalty: 'elasticnet', l1_ratio: [0, 0.2, 0.5, 0.8, 1] });
    expect(new Set(names).size).toBe(5);
    expect(names[1]).toBe('C=1 saga elasticnet l1_ratio=0.2');
  });

  it('when class weights are mappings, then the name holds them compactly', async () => {
    const names = await runNames({
      C: 1,
      solver: 'lbfgs',
      class_weight: [
        { '0': 1, '1': 3 },
        { '0': 1, '1': 5 },
        { no: 1, 'a very long class label': 2 },
      ],
    });
    expect(names).toEqual(['C=1 lbfgs {0:1,1:3}', 'C=1 lbfgs {0:1,1:5}', 'C=1 lbfgs {no:1,a very long…:2}']);
  });

  it('when a CSV tuning varies its preprocessing, then the trials away from the defaults name it', async () => {
    const names = await runNames({
      C: 1,
      solver: 'lbfgs',
      scale: [true, false],
      impute: ['mean', 'median'],
      categorical_missing: ['most_frequent', 'category'],
    });
    expect(new Set(names).size).toBe(8);
    expect(names[0]).toBe('C=1 lbfgs');
    expect(names.at(-1)).toBe('C=1 lbfgs scale=false impute=median cat_missing=category');
  });

  it('when a trial holds every default, then the name is C and solver alone, as always', async () => {
    expect(await runNames({ C: [0.01, 1], solver: ['lbfgs', 'liblinear'] })).toEqual([
      'C=0.01 lbfgs',
      'C=0.01 liblinear',
      'C=1 lbfgs',
      'C=1 liblinear',
    ]);
  });

  it('when other parameters leave their defaults, then they are named too; no penalty shows as penalty=none', () => {
    const [trial] = trialsOf({ C: 1, solver: 'lbfgs', penalty: 'none', tol: 0.001, max_iter: 500, random_state: 7 });
    expect(trialRunName(trial!)).toBe('C=1 lbfgs penalty=none tol=0.001 max_iter=500 random_state=7');
    const [noIntercept] = trialsOf({ C: 1, solver: 'lbfgs', fit_intercept: false, intercept_scaling: 2 });
    expect(trialRunName(noIntercept!)).toBe('C=1 lbfgs fit_intercept=false intercept_scaling=2');
  });
});

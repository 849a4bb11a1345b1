import type { RunCompleted, TuningCompleted } from '@mlops/contracts';
import type { MlflowClient, Run } from '@mlops/mlflow';
import { describe, expect, it } from 'vitest';
import { type DeferredTrial, MlflowRecorder } from '../src/adapters/mlflow-recorder.js';
import { TrialEventGoneError } from '../src/domain/errors.js';

// A top-k tuning's models are logged when it completes, from each best trial's stored run.completed. What happens
// when that event is no longer stored, with MLflow stubbed (the path that logs them runs against a real MLflow and
// nats-server in tracker.component.test.ts).

const parent = {
  info: { runId: 'parent', experimentId: '7', status: 'RUNNING' },
  data: {
    tags: { 'mlops.input_example': '[]' },
    params: { log_models: 'top_k', top_k: '1', selection_metric: 'accuracy' },
    metrics: [],
  },
  inputs: { datasetInputs: [] },
} as unknown as Run;

const mlflow = {
  getOrCreateExperiment: async () => ({ experimentId: '7', tags: { 'mlflow.experimentKind': 'custom' } }),
  createRun: async () => parent,
} as unknown as MlflowClient;

const completed = {
  tuning_id: 'tun-1',
  experiment_name: 'exp',
  selection_metric: 'accuracy',
} as TuningCompleted['data'];

const trial = (index: number, accuracy: number, seq: number | undefined): DeferredTrial => ({
  trialId: `tun-1-00${index}`,
  trialIndex: index,
  runId: `run-${index}`,
  metrics: { accuracy },
  modelId: '',
  runCompletedSequence: seq,
});

describe('the recorder logging a top-k tuning models when it completes', () => {
  it('when the best trial event is no longer stored, then it throws TrialEventGoneError naming the trial', async () => {
    const recorder = new MlflowRecorder(
      mlflow,
      () => ({}),
      async () => undefined,
    );
    const attempt = recorder.logTopModels(completed, [trial(0, 0.8, 3), trial(1, 0.9, 4)]);
    await expect(attempt).rejects.toThrow(TrialEventGoneError);
    await expect(attempt).rejects.toThrow('trial tun-1-001: its run.completed (stream sequence 4)');
  });

  it('when the stored sequence holds another trial event, or none was recorded, then it throws too', async () => {
    const other = { trial_id: 'tun-1-000' } as RunCompleted['data'];
    const recorder = new MlflowRecorder(
      mlflow,
      () => ({}),
      async () => other,
    );
    await expect(recorder.logTopModels(completed, [trial(1, 0.9, 4)])).rejects.toThrow(TrialEventGoneError);
    await expect(recorder.logTopModels(completed, [trial(1, 0.9, undefined)])).rejects.toThrow('not recorded');
  });

  it('when the best trial already has its model, then nothing is read back', async () => {
    let reads = 0;
    const recorder = new MlflowRecorder(
      mlflow,
      () => ({}),
      async () => {
        reads += 1;
        return undefined;
      },
    );
    const withModel = { ...trial(1, 0.9, 4), modelId: 'm-1' };
    const trials = await recorder.logTopModels(completed, [trial(0, 0.8, 3), withModel]);
    expect(trials.map((t) => t.modelId)).toEqual(['', 'm-1']);
    expect(reads).toBe(0);
  });
});

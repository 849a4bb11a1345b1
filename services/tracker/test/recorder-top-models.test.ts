import type { RunCompleted, TuningCompleted } from '@mlops/contracts';
import type { LoggedModel, MlflowClient, Run } from '@mlops/mlflow';
import { describe, expect, it } from 'vitest';
import { type DeferredTrial, MlflowRecorder } from '../src/adapters/mlflow-recorder.js';

// A top-k tuning's models are logged when it completes, from each best trial's stored run.completed. What happens
// when that event is no longer stored, or an earlier delivery already made the model, with MLflow stubbed (the path
// that logs them runs against a real MLflow and nats-server in tracker.component.test.ts).

const parent = {
  info: { runId: 'parent', experimentId: '7', status: 'RUNNING' },
  data: {
    tags: { 'mlops.input_example': '[]' },
    params: { log_models: 'top_k', top_k: '1', selection_metric: 'accuracy' },
    metrics: [],
  },
  inputs: { datasetInputs: [] },
} as unknown as Run;

/** MLflow as far as the recorder's top-k path reaches it, recording the tags set and the models linked. */
function stubMlflow(found: LoggedModel | null) {
  const tags: string[] = [];
  const outputs: string[] = [];
  const metrics: string[] = [];
  const mlflow = {
    getOrCreateExperiment: async () => ({ experimentId: '7', tags: { 'mlflow.experimentKind': 'custom' } }),
    createRun: async () => parent,
    findLoggedModelByTag: async () => found,
    setTag: async (runId: string, key: string, value: string) => void tags.push(`${runId} ${key}=${value}`),
    logModelOutputs: async (input: { runId: string; models: { modelId: string }[] }) =>
      void outputs.push(`${input.runId} ${input.models.map((m) => m.modelId).join()}`),
    getRun: async () => ({ data: { metrics: [{ key: 'accuracy', value: 0.9, timestamp: 5, step: 0 }] } }),
    logBatch: async (input: { runId: string; metrics: { key: string; modelId?: string }[] }) =>
      void metrics.push(...input.metrics.map((m) => `${input.runId} ${m.key} ${m.modelId}`)),
  } as unknown as MlflowClient;
  return { mlflow, tags, outputs, metrics };
}

/** A recorder whose stored events are all gone, counting how often it asks for one. */
function countingReads(mlflow: MlflowClient) {
  let reads = 0;
  const recorder = new MlflowRecorder(
    mlflow,
    () => ({}),
    async () => {
      reads += 1;
      return undefined;
    },
  );
  return { recorder, reads: () => reads };
}

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
  it('when the best trial event is no longer stored, then it keeps no model and its run says why', async () => {
    const { mlflow, tags } = stubMlflow(null);
    const recorder = new MlflowRecorder(
      mlflow,
      () => ({}),
      async () => undefined,
    );
    const trials = await recorder.logTopModels(completed, [trial(0, 0.8, 3), trial(1, 0.9, 4)]);
    expect(trials.map((t) => t.modelId)).toEqual(['', '']);
    expect(tags).toEqual([
      'run-1 mlops.model_skipped=its run.completed (stream sequence 4) is no longer stored: its weights are gone',
      'run-0 mlops.model_skipped=not among the final best 1',
    ]);
  });

  it('when the stored sequence holds another trial event, or none was recorded, then it is gone too', async () => {
    const other = { trial_id: 'tun-1-000' } as RunCompleted['data'];
    const { mlflow, tags } = stubMlflow(null);
    const recorder = new MlflowRecorder(
      mlflow,
      () => ({}),
      async () => other,
    );
    expect((await recorder.logTopModels(completed, [trial(1, 0.9, 4)]))[0]?.modelId).toBe('');
    expect((await recorder.logTopModels(completed, [trial(1, 0.9, undefined)]))[0]?.modelId).toBe('');
    expect(tags.map((t) => t.split(' is no longer')[0])).toEqual([
      'run-1 mlops.model_skipped=its run.completed (stream sequence 4)',
      'run-1 mlops.model_skipped=its run.completed (stream sequence not recorded)',
    ]);
  });

  it('when an earlier delivery made the model READY, then it is linked again without reading the event', async () => {
    const ready = { modelId: 'm-9', status: 'READY' } as LoggedModel;
    const { mlflow, tags, outputs, metrics } = stubMlflow(ready);
    const { recorder, reads } = countingReads(mlflow);
    const trials = await recorder.logTopModels(completed, [trial(0, 0.8, 3), trial(1, 0.9, 4)]);
    expect(trials.map((t) => t.modelId)).toEqual(['', 'm-9']);
    expect(reads()).toBe(0);
    expect(outputs).toEqual(['run-1 m-9']);
    expect(metrics, "the run's metrics, now naming its model").toEqual(['run-1 accuracy m-9']);
    // trial 0 was the best so far when it finished (no tag then): now it says why it has no model
    expect(tags).toEqual(['run-1 mlops.model_id=m-9', 'run-0 mlops.model_skipped=not among the final best 1']);
    const again = stubMlflow(ready);
    const skipped = { ...trial(0, 0.8, 3), skipped: true };
    await countingReads(again.mlflow).recorder.logTopModels(completed, [skipped, trial(1, 0.9, 4)]);
    expect(again.tags, 'a run that says why already is left as it is').toEqual(['run-1 mlops.model_id=m-9']);
  });

  it('when the best trial already has its model, then nothing is read back', async () => {
    const { recorder, reads } = countingReads(stubMlflow(null).mlflow);
    const withModel = { ...trial(1, 0.9, 4), modelId: 'm-1' };
    const trials = await recorder.logTopModels(completed, [trial(0, 0.8, 3), withModel]);
    expect(trials.map((t) => t.modelId)).toEqual(['', 'm-1']);
    expect(reads()).toBe(0);
  });
});

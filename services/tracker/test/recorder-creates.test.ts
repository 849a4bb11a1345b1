import { expandGrid, parseTuneRequest, type RunStarted } from '@mlops/contracts';
import type { CreateRunInput, MlflowClient, Run } from '@mlops/mlflow';
import { describe, expect, it } from 'vitest';
import { MlflowRecorder } from '../src/adapters/mlflow-recorder.js';

// When the recorder may create a trial's run without looking it up first, with the MLflow client stubbed (the
// creates themselves, lost answers included, are tested against a real MLflow in @mlops/mlflow and the fault tests).

function runOf(input: CreateRunInput, id: string): Run {
  return {
    info: { runId: id, experimentId: input.experimentId, status: 'RUNNING' },
    data: { tags: { ...input.tags }, params: {}, metrics: [] },
    inputs: { datasetInputs: [] },
  } as unknown as Run;
}

/** A client whose first child-run create fails as if its answer was lost; records every create. */
function stubMlflow(existingChildren: Run[] = []) {
  const creates: CreateRunInput[] = [];
  let failChild = true;
  const mlflow = {
    getOrCreateExperiment: async () => ({ experimentId: '7', tags: { 'mlflow.experimentKind': 'custom' } }),
    iterateRuns: async function* () {
      yield* existingChildren;
    },
    createRun: async (input: CreateRunInput) => {
      creates.push(input);
      if (input.parentRunId !== undefined && failChild) {
        failChild = false;
        throw new Error('the answer was lost after every retry');
      }
      return runOf(input, `run-${creates.length}`);
    },
  } as unknown as MlflowClient;
  return { mlflow, childCreates: () => creates.filter((c) => c.parentRunId !== undefined) };
}

function trialParams(): RunStarted['data']['params'] {
  const parsed = parseTuneRequest({ tuning_id: 'tun-1', grid: { C: [1], solver: 'lbfgs' } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return expandGrid(parsed.request.grid)[0]!;
}

const started = (trial: number): RunStarted['data'] => ({
  tuning_id: 'tun-1',
  experiment_name: 'exp',
  registered_model_name: 'clf',
  trial_id: `tun-1-00${trial}`,
  trial_index: trial,
  params: trialParams(),
  started_at: '2026-12-02T20:00:00.000Z',
});

describe('the recorder creating trial runs', () => {
  it('when the tuning was searched once, then a trial run is created without a lookup of its own', async () => {
    const { mlflow, childCreates } = stubMlflow();
    const recorder = new MlflowRecorder(
      mlflow,
      () => ({}),
      async () => undefined,
    );
    await recorder.recordRunStarted(started(0)).catch(() => undefined);
    await recorder.recordRunStarted(started(1));
    expect(childCreates()[1]?.idempotencyTag).toMatchObject({ value: 'tun-1-001', knownAbsent: true });
  });

  it('when a create failed (it may have taken effect), then the next create of that trial looks it up first', async () => {
    const { mlflow, childCreates } = stubMlflow();
    const recorder = new MlflowRecorder(
      mlflow,
      () => ({}),
      async () => undefined,
    );
    await expect(recorder.recordRunStarted(started(0))).rejects.toThrow('lost');
    await recorder.recordRunStarted(started(0));
    expect(childCreates().map((c) => c.idempotencyTag?.knownAbsent)).toEqual([true, false]);
  });

  it('when the search finds the trial run, then it is not created again', async () => {
    const found = runOf({ experimentId: '7', tags: { 'mlops.trial_id': 'tun-1-002' } }, 'found-run');
    const { mlflow, childCreates } = stubMlflow([found]);
    const recorder = new MlflowRecorder(
      mlflow,
      () => ({}),
      async () => undefined,
    );
    await recorder.recordRunStarted(started(2));
    expect(childCreates()).toHaveLength(0);
  });

  it.each([
    ['before', false],
    ['after', true],
  ])("when the search finds an empty RUNNING run of the trial %s its ended one (a create a stalled MLflow ran late), then the ended one is the trial's", async (_where, endedFirst) => {
    const tags = { 'mlops.trial_id': 'tun-1-002' };
    const orphan = runOf({ experimentId: '7', tags }, 'orphan-run');
    const ended = runOf({ experimentId: '7', tags }, 'recorded-run');
    (ended.info as { status: string }).status = 'FINISHED';
    const { mlflow, childCreates } = stubMlflow(endedFirst ? [ended, orphan] : [orphan, ended]);
    const recorder = new MlflowRecorder(
      mlflow,
      () => ({}),
      async () => undefined,
    );

    const run = await recorder.trialRun(started(2), Date.parse('2026-12-02T20:00:00.000Z'));

    expect([run.runId, run.ended]).toEqual(['recorded-run', true]);
    expect(childCreates()).toHaveLength(0);
  });
});

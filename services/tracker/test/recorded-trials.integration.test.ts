import { randomUUID } from 'node:crypto';
import { createMlflowClient, RunStatus } from '@mlops/mlflow';
import { describe, expect, inject, it } from 'vitest';
import { retireDuplicates } from '../src/adapters/duplicate-trials.js';
import { recordedTrials, trialRuns } from '../src/adapters/mlflow-registrar.js';
import { TAGS } from '../src/domain/tags.js';

describe('recordedTrials (what tuning.completed waits for), on a real MLflow', () => {
  it('when a run has its recorded tag but is still RUNNING (the tracker died between the two calls), then it is not counted yet', async () => {
    const mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
    const { experimentId } = await mlflow.getOrCreateExperiment(`recorded_${randomUUID().slice(0, 8)}`);
    const tuningId = `tun-${randomUUID().slice(0, 6)}`;
    const trial = async (index: number, recorded: string, status?: 'FINISHED' | 'FAILED') => {
      const run = await mlflow.createRun({
        experimentId,
        runName: `trial ${index}`,
        tags: {
          [TAGS.tuningId]: tuningId,
          [TAGS.trialId]: `${tuningId}-${index}`,
          [TAGS.trialIndex]: String(index),
          [TAGS.recorded]: recorded,
        },
      });
      if (status !== undefined) await mlflow.updateRun({ runId: run.info.runId, status, endTime: Date.now() });
    };
    await trial(0, 'completed', RunStatus.FINISHED);
    await trial(1, 'failed', RunStatus.FAILED);
    await trial(2, 'completed'); // killed after log-batch, before runs/update
    const counted = await recordedTrials(mlflow, experimentId, tuningId);
    expect(counted.map((t) => [t.trialIndex, t.status]).sort()).toEqual([
      [0, 'completed'],
      [1, 'failed'],
    ]);
  });

  it("when a recorded trial has a second, never-ended run and a PENDING model (creates a stalled MLflow ran late), then both are deleted (the run KILLED, naming the trial's own), and retiring them again is harmless", async () => {
    const mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
    const { experimentId } = await mlflow.getOrCreateExperiment(`duplicates_${randomUUID().slice(0, 8)}`);
    const tuningId = `tun-${randomUUID().slice(0, 6)}`;
    const trialTags = (index: number) => ({
      [TAGS.tuningId]: tuningId,
      [TAGS.trialId]: `${tuningId}-${index}`,
      [TAGS.trialIndex]: String(index),
    });
    const run = async (index: number, tags: Record<string, string> = {}) =>
      (await mlflow.createRun({ experimentId, runName: `trial ${index}`, tags: { ...trialTags(index), ...tags } })).info
        .runId;
    const model = async (runId: string) =>
      (await mlflow.createLoggedModel({ experimentId, name: 'model', sourceRunId: runId, tags: trialTags(0) })).modelId;
    const recorded = await run(0);
    const keptModel = await model(recorded);
    await mlflow.finalizeLoggedModel(keptModel, 'READY');
    await mlflow.logBatch({ runId: recorded, tags: { [TAGS.recorded]: 'completed', [TAGS.modelId]: keptModel } });
    await mlflow.updateRun({ runId: recorded, status: RunStatus.FINISHED, endTime: Date.now() });
    // Made after the trial's own (found behind it in creation order).
    const duplicate = await run(0);
    const duplicateModel = await model(duplicate);
    await run(1); // started, not recorded yet: its only run, no duplicate

    const { trials, duplicates } = await trialRuns(mlflow, experimentId, tuningId);
    expect(duplicates).toEqual([{ runId: duplicate, duplicateOf: recorded }]);
    await retireDuplicates(mlflow, { experimentId, tuningId, trials, duplicates });
    await retireDuplicates(mlflow, { experimentId, tuningId, trials, duplicates });

    const gone = await mlflow.getRun(duplicate);
    expect([gone.info.status, gone.info.lifecycleStage, gone.data.tags[TAGS.duplicateOf]]).toEqual([
      RunStatus.KILLED,
      'deleted',
      recorded,
    ]);
    const active: (string | undefined)[] = [];
    const filter = `tags.\`${TAGS.tuningId}\` = '${tuningId}'`;
    for await (const r of mlflow.iterateRuns({ experimentIds: [experimentId], filter })) {
      active.push(r.data.tags[TAGS.trialIndex]);
    }
    expect(active.sort()).toEqual(['0', '1']);
    const models = await mlflow.searchLoggedModels({ experimentIds: [experimentId] });
    expect(models.models.map((m) => m.modelId)).toEqual([keptModel]);
    const lookUp = await mlflow.getLoggedModel(duplicateModel).catch((err: unknown) => err);
    expect(lookUp).toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
    expect((await trialRuns(mlflow, experimentId, tuningId)).duplicates).toEqual([]);
  });
});

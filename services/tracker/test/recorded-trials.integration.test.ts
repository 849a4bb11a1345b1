import { randomUUID } from 'node:crypto';
import { createMlflowClient, RunStatus } from '@mlops/mlflow';
import { describe, expect, inject, it } from 'vitest';
import { recordedTrials } from '../src/adapters/mlflow-registrar.js';
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
});

import { describe, expect, it } from 'vitest';
import { freshExperiment, testClient, uniqueName, useCleanup } from './support.js';

describe('logged models', () => {
  const client = testClient();
  const cleanup = useCleanup();

  it('when a LoggedModel is created, its files uploaded and it is finalized, then it is READY and an output of the run', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const { info } = await client.createRun({ experimentId });
    const trialId = uniqueName('trial');

    const created = await client.createLoggedModel({
      experimentId,
      name: 'model',
      sourceRunId: info.runId,
      modelType: 'logistic-regression',
      params: { C: '1' },
      tags: { 'mlops.trial_id': trialId },
    });
    await client.uploadArtifact({ artifactUri: created.artifactUri, path: 'MLmodel' }, 'artifact_path: x\n');
    await client.uploadArtifact({ artifactUri: created.artifactUri, path: 'model.onnx' }, new Uint8Array([8, 1, 2]));
    const ready = await client.finalizeLoggedModel(created.modelId, 'READY');
    await client.logModelOutputs({ runId: info.runId, models: [{ modelId: created.modelId, step: 0 }] });
    await client.logModelOutputs({ runId: info.runId, models: [{ modelId: created.modelId }] });
    await client.setLoggedModelTags(created.modelId, { 'mlops.stage': 'uploaded' });

    expect(created).toMatchObject({ status: 'PENDING', experimentId, sourceRunId: info.runId, params: { C: '1' } });
    expect(created.modelId).toMatch(/^m-[0-9a-f]{32}$/);
    expect(created.artifactUri).toBe(`mlflow-artifacts:/${experimentId}/models/${created.modelId}/artifacts`);
    expect(ready.status).toBe('READY');
    expect((await client.listArtifacts(created.artifactUri)).map((f) => f.name)).toEqual(['MLmodel', 'model.onnx']);
    expect((await client.getRun(info.runId)).outputs.modelOutputs).toEqual([{ modelId: created.modelId, step: 0 }]);
    const fetched = await client.getLoggedModel(created.modelId);
    expect(fetched.tags).toMatchObject({ 'mlops.trial_id': trialId, 'mlops.stage': 'uploaded' });
    expect((await client.findLoggedModelByTag(experimentId, 'mlops.trial_id', trialId))?.modelId).toBe(created.modelId);
    expect((await client.findLoggedModelOfRun(experimentId, info.runId, 'model'))?.modelId).toBe(created.modelId);
  });

  it('when the upload failed, then the model can be finalized UPLOAD_FAILED and a missing model is RESOURCE_DOES_NOT_EXIST', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const created = await client.createLoggedModel({ experimentId, name: 'broken' });

    const failed = await client.finalizeLoggedModel(created.modelId, 'UPLOAD_FAILED');

    expect(failed.status).toBe('UPLOAD_FAILED');
    await expect(client.getLoggedModel('m-00000000000000000000000000000000')).rejects.toMatchObject({
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
    });
    expect(await client.findLoggedModelByTag(experimentId, 'mlops.trial_id', 'nope')).toBeNull();
  });
});

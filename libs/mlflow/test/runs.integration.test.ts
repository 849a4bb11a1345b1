import { describe, expect, it } from 'vitest';
import { isNotFound, MlflowApiError, PARENT_RUN_ID_TAG } from '../src/index.js';
import { freshExperiment, testClient, uniqueName, useCleanup } from './support.js';

describe('runs', () => {
  const client = testClient();
  const cleanup = useCleanup();

  it('when a child run is created, logged to and finished, then getRun shows all of it', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const parent = await client.createRun({ experimentId, runName: 'parent', startTime: 1_700_000_000_000 });
    const trialId = uniqueName('trial');

    const child = await client.createRun({
      experimentId,
      runName: 'C=1 solver=lbfgs',
      startTime: 1_700_000_000_500,
      parentRunId: parent.info.runId,
      tags: { 'mlops.trial_id': trialId },
    });
    await client.logBatch({
      runId: child.info.runId,
      params: { C: '1', solver: 'lbfgs' },
      metrics: [{ key: 'accuracy', value: 0.875, timestamp: 1_700_000_001_000 }],
      tags: { 'mlops.stage': 'trained' },
    });
    await client.logInputs({
      runId: child.info.runId,
      datasets: [
        {
          name: 'make_classification',
          digest: 'a1b2c3d4',
          sourceType: 'code',
          source: { tags: { generator: 'make_classification' } },
          schema: { mlflow_colspec: [{ type: 'double', name: 'x0', required: true }] },
          profile: { num_rows: 800, num_elements: 16000 },
          context: 'training',
        },
      ],
    });
    await client.setTag(child.info.runId, 'mlflow.note.content', 'a note');
    const ended = await client.updateRun({ runId: child.info.runId, status: 'FINISHED', endTime: 1_700_000_002_000 });
    const run = await client.getRun(child.info.runId);

    expect(child.info).toMatchObject({ experimentId, status: 'RUNNING', runName: 'C=1 solver=lbfgs' });
    expect(child.info.artifactUri).toBe(`mlflow-artifacts:/${experimentId}/${child.info.runId}/artifacts`);
    expect(ended).toMatchObject({ status: 'FINISHED', endTime: 1_700_000_002_000, startTime: 1_700_000_000_500 });
    expect(run.data.params).toEqual({ C: '1', solver: 'lbfgs' });
    expect(run.data.metrics).toEqual([{ key: 'accuracy', value: 0.875, timestamp: 1_700_000_001_000, step: 0 }]);
    expect(run.data.tags).toMatchObject({
      [PARENT_RUN_ID_TAG]: parent.info.runId,
      'mlops.trial_id': trialId,
      'mlops.stage': 'trained',
      'mlflow.runName': 'C=1 solver=lbfgs',
      'mlflow.note.content': 'a note',
    });
    expect(run.inputs.datasetInputs).toEqual([
      {
        tags: { 'mlflow.data.context': 'training' },
        dataset: {
          name: 'make_classification',
          digest: 'a1b2c3d4',
          sourceType: 'code',
          source: '{"tags":{"generator":"make_classification"}}',
          schema: '{"mlflow_colspec":[{"type":"double","name":"x0","required":true}]}',
          profile: '{"num_rows":800,"num_elements":16000}',
        },
      },
    ]);
    expect(run.outputs.modelOutputs).toEqual([]);
  });

  it('when a run carries a unique tag, then findRunByTag finds it and a different value finds null', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const trialId = uniqueName("it's");
    const created = await client.createRun({ experimentId, tags: { 'mlops.trial_id': trialId } });

    const found = await client.findRunByTag(experimentId, 'mlops.trial_id', trialId);
    const missing = await client.findRunByTag(experimentId, 'mlops.trial_id', uniqueName('other'));

    expect(found?.info.runId).toBe(created.info.runId);
    expect(missing).toBeNull();
  });

  it('when the same inputs and metrics are logged twice, then the run still holds them once', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const { info } = await client.createRun({ experimentId });
    const dataset = { name: 'd', digest: 'ffff0000', sourceType: 'code', source: '{}', context: 'testing' };
    const batch = { runId: info.runId, params: { C: '0.1' }, metrics: [{ key: 'f1', value: 0.5, timestamp: 42 }] };

    for (let i = 0; i < 2; i++) {
      await client.logInputs({ runId: info.runId, datasets: [dataset] });
      await client.logBatch(batch);
    }
    const run = await client.getRun(info.runId);

    expect(run.inputs.datasetInputs).toHaveLength(1);
    expect(run.data.params).toEqual({ C: '0.1' });
    expect(run.data.metrics).toEqual([{ key: 'f1', value: 0.5, timestamp: 42, step: 0 }]);
  });

  it('when metrics are NaN or infinite, then NaN reads back as NaN and infinities as ±max double', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const { info } = await client.createRun({ experimentId });

    await client.logBatch({
      runId: info.runId,
      metrics: [
        { key: 'nan', value: Number.NaN, timestamp: 1 },
        { key: 'inf', value: Number.POSITIVE_INFINITY, timestamp: 1 },
        { key: 'ninf', value: Number.NEGATIVE_INFINITY, timestamp: 1 },
      ],
    });
    const values = Object.fromEntries((await client.getRun(info.runId)).data.metrics.map((m) => [m.key, m.value]));

    expect(values).toEqual({ nan: Number.NaN, inf: Number.MAX_VALUE, ninf: -Number.MAX_VALUE });
  });

  it('when more runs than a page match, then iterateRuns walks every page', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const created = [];
    for (let i = 0; i < 5; i++)
      created.push((await client.createRun({ experimentId, startTime: 1000 + i })).info.runId);

    const seen = [];
    for await (const run of client.iterateRuns({
      experimentIds: [experimentId],
      maxResults: 2,
      orderBy: ['attributes.start_time ASC'],
    })) {
      seen.push(run.info.runId);
    }

    expect(seen).toEqual(created);
  });

  it('when children are searched by parent tag, then only that parent’s children come back', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const parent = await client.createRun({ experimentId });
    const child = await client.createRun({ experimentId, parentRunId: parent.info.runId });
    await client.createRun({ experimentId });

    const page = await client.searchRuns({
      experimentIds: [experimentId],
      filter: `tags.\`${PARENT_RUN_ID_TAG}\` = '${parent.info.runId}'`,
    });

    expect(page.runs.map((run) => run.info.runId)).toEqual([child.info.runId]);
  });

  it('when a run is deleted, then findRunByTag no longer returns it', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const { info } = await client.createRun({ experimentId, tags: { k: 'v' } });

    await client.deleteRun(info.runId);
    await client.deleteRun(info.runId);

    expect(await client.findRunByTag(experimentId, 'k', 'v')).toBeNull();
    expect((await client.getRun(info.runId)).info.lifecycleStage).toBe('deleted');
  });
});

describe('run errors', () => {
  const client = testClient();
  const cleanup = useCleanup();

  it('when the run does not exist, then getRun fails with RESOURCE_DOES_NOT_EXIST', async () => {
    const error = await client.getRun('0123456789abcdef0123456789abcdef').catch((err: unknown) => err);

    expect(error).toBeInstanceOf(MlflowApiError);
    expect(error).toMatchObject({
      status: 404,
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
      method: 'GET',
      path: '/api/2.0/mlflow/runs/get',
    });
    expect(isNotFound(error)).toBe(true);
  });

  it('when a logged param gets a new value, then logBatch fails with INVALID_PARAMETER_VALUE and the old value stays', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const { info } = await client.createRun({ experimentId });
    await client.logBatch({ runId: info.runId, params: { C: '1' } });

    const error = await client.logBatch({ runId: info.runId, params: { C: '2' } }).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(MlflowApiError);
    expect(error).toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE', method: 'POST' });
    expect((error as MlflowApiError).serverMessage).toMatch(/Changing param values is not allowed/);
    expect((await client.getRun(info.runId)).data.params).toEqual({ C: '1' });
  });
});

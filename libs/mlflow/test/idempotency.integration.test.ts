import { describe, expect, it } from 'vitest';
import { tagEquals } from '../src/index.js';
import { freshExperiment, testClient, uniqueName, useCleanup } from './support.js';

// The keyed creates against the real MLflow server: the same create twice leaves one resource.

const KEY = 'mlops.idempotency_key';

describe('creates with an idempotency tag (real MLflow)', () => {
  const client = testClient();
  const cleanup = useCleanup();

  it('when createRun is called twice with the same tag, then the experiment holds one run', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const key = { key: KEY, value: uniqueName("trial's") };

    const first = await client.createRun({ experimentId, runName: 'trial', idempotencyTag: key });
    const second = await client.createRun({ experimentId, runName: 'trial', idempotencyTag: key });
    const { runs } = await client.searchRuns({ experimentIds: [experimentId] });

    expect(second.info.runId).toBe(first.info.runId);
    expect(runs.map((run) => run.info.runId)).toEqual([first.info.runId]);
    expect(first.data.tags[KEY]).toBe(key.value);
  });

  it('when createLoggedModel is called twice with the same tag, then the experiment holds one LoggedModel', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const key = { key: KEY, value: uniqueName('trial') };

    const first = await client.createLoggedModel({ experimentId, name: 'model', idempotencyTag: key });
    const second = await client.createLoggedModel({ experimentId, name: 'model', idempotencyTag: key });
    const { models } = await client.searchLoggedModels({ experimentIds: [experimentId] });

    expect(second.modelId).toBe(first.modelId);
    expect(models.map((model) => model.modelId)).toEqual([first.modelId]);
  });

  it('when createModelVersion is called twice with the same tag, then the model has one version', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const name = uniqueName('model');
    cleanup(() => client.deleteRegisteredModel(name));
    const run = await client.createRun({ experimentId });
    const model = await client.createLoggedModel({ experimentId, name: 'model', sourceRunId: run.info.runId });
    await client.finalizeLoggedModel(model.modelId, 'READY');
    await client.getOrCreateRegisteredModel({ name });
    const input = { name, source: `models:/${model.modelId}`, idempotencyTag: { key: KEY, value: uniqueName('t') } };

    const first = await client.createModelVersion(input);
    const second = await client.createModelVersion(input);
    const { modelVersions } = await client.searchModelVersions({ filter: `name = '${name}'` });

    expect(second.version).toBe(first.version);
    expect(modelVersions.map((version) => version.version)).toEqual([first.version]);
    expect(first.status).toBe('READY');
  });

  it('when the same key is used in two experiments, then each experiment gets its own run', async () => {
    const [a, b] = [await freshExperiment(client, cleanup), await freshExperiment(client, cleanup)];
    const key = { key: KEY, value: uniqueName('trial') };

    const inA = await client.createRun({ experimentId: a, idempotencyTag: key });
    const inB = await client.createRun({ experimentId: b, idempotencyTag: key });
    const found = await client.searchRuns({ experimentIds: [a, b], filter: tagEquals(KEY, key.value) });

    expect(inA.info.runId).not.toBe(inB.info.runId);
    expect(found.runs).toHaveLength(2);
  });
});

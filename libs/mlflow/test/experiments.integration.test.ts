import { describe, expect, it } from 'vitest';
import { freshExperiment, testClient, uniqueName, useCleanup } from './support.js';

describe('experiments', () => {
  const client = testClient();
  const cleanup = useCleanup();

  it('when two getOrCreateExperiment calls race on a new name, then both get the same single experiment', async () => {
    const name = uniqueName('race');

    const [first, second] = await Promise.all([
      client.getOrCreateExperiment(name, { team: 'a' }),
      client.getOrCreateExperiment(name, { team: 'a' }),
    ]);
    cleanup(() => client.deleteExperiment(first.experimentId));

    expect(second.experimentId).toBe(first.experimentId);
    expect(first).toMatchObject({ name, lifecycleStage: 'active', tags: { team: 'a' } });
    expect(first.artifactLocation).toBe(`mlflow-artifacts:/${first.experimentId}`);
  });

  it('when the name does not exist, then getExperimentByName answers null', async () => {
    expect(await client.getExperimentByName(uniqueName('missing'))).toBeNull();
  });

  it('when the experiment was deleted, then it reads as missing and getOrCreateExperiment restores it', async () => {
    const name = uniqueName('deleted');
    const id = await client.createExperiment({ name });
    await client.deleteExperiment(id);
    cleanup(() => client.deleteExperiment(id));

    const missing = await client.getExperimentByName(name);
    const restored = await client.getOrCreateExperiment(name);

    expect(missing).toBeNull();
    expect(restored).toMatchObject({ experimentId: id, lifecycleStage: 'active' });
  });

  it('when a tag is set twice, then the experiment carries the last value', async () => {
    const experimentId = await freshExperiment(client, cleanup);

    await client.setExperimentTag(experimentId, 'mlflow.note.content', 'first');
    await client.setExperimentTag(experimentId, 'mlflow.note.content', 'second');

    expect((await client.getExperiment(experimentId)).tags['mlflow.note.content']).toBe('second');
  });

  it('when the name is taken, then createExperiment fails with RESOURCE_ALREADY_EXISTS', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const { name } = await client.getExperiment(experimentId);

    await expect(client.createExperiment({ name })).rejects.toMatchObject({
      name: 'MlflowApiError',
      status: 400,
      errorCode: 'RESOURCE_ALREADY_EXISTS',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { type MlflowClient, MlflowInvalidArgumentError } from '../src/index.js';
import { freshExperiment, testClient, uniqueName, useCleanup } from './support.js';

type Cleanup = ReturnType<typeof useCleanup>;

async function readyModel(client: MlflowClient, experimentId: string, runId: string): Promise<string> {
  const model = await client.createLoggedModel({ experimentId, name: 'model', sourceRunId: runId });
  await client.uploadArtifact({ artifactUri: model.artifactUri, path: 'MLmodel' }, 'flavors: {}\n');
  await client.finalizeLoggedModel(model.modelId, 'READY');
  return model.modelId;
}

async function freshModelName(client: MlflowClient, cleanup: Cleanup): Promise<string> {
  const name = uniqueName('model');
  cleanup(() => client.deleteRegisteredModel(name));
  return name;
}

describe('model registry', () => {
  const client = testClient();
  const cleanup = useCleanup();

  it('when two versions are registered and the alias moves, then the alias resolves to the newer one', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const { info } = await client.createRun({ experimentId });
    const name = await freshModelName(client, cleanup);
    const firstModel = await readyModel(client, experimentId, info.runId);
    const secondModel = await readyModel(client, experimentId, info.runId);

    const [registered, again] = await Promise.all([
      client.getOrCreateRegisteredModel({ name, description: 'classifier' }),
      client.getOrCreateRegisteredModel({ name }),
    ]);
    const v1 = await client.createModelVersion({
      name,
      source: `models:/${firstModel}`,
      runId: info.runId,
      modelId: firstModel,
      tags: { 'mlops.tuning_id': 't1' },
    });
    await client.setRegisteredModelAlias(name, 'champion', v1.version);
    const v2 = await client.createModelVersion({
      name,
      source: `models:/${secondModel}`,
      runId: info.runId,
      modelId: secondModel,
    });
    await client.setModelVersionTag(name, v2.versionNumber, 'mlops.tuning_id', 't2');
    await client.setRegisteredModelAlias(name, 'champion', v2.version);

    expect(again.name).toBe(registered.name);
    expect(v1).toMatchObject({ name, version: '1', versionNumber: 1, status: 'READY', runId: info.runId });
    expect(v2).toMatchObject({ version: '2', versionNumber: 2 });
    expect(await client.getModelVersionByAlias(name, 'champion')).toMatchObject({
      version: '2',
      aliases: ['champion'],
      tags: { 'mlops.tuning_id': 't2' },
    });
    expect((await client.getRegisteredModel(name))?.aliases).toEqual([
      { alias: 'champion', version: '2', versionNumber: 2 },
    ]);
    expect((await client.findModelVersionByTag(name, 'mlops.tuning_id', 't1'))?.version).toBe('1');
    expect((await client.getLatestModelVersion(name))?.version).toBe('2');
    const expectedUri = (await client.getLoggedModel(secondModel)).artifactUri;
    expect(await client.getModelVersionDownloadUri(name, 2)).toBe(expectedUri);
  });

  it('when the alias, the model or the version is unknown, then lookups answer null or RESOURCE_DOES_NOT_EXIST', async () => {
    const name = await freshModelName(client, cleanup);
    await client.createRegisteredModel({ name });

    expect(await client.getModelVersionByAlias(name, 'nobody')).toBeNull();
    expect(await client.getModelVersionByAlias(uniqueName('missing'), 'champion')).toBeNull();
    expect(await client.getRegisteredModel(uniqueName('missing'))).toBeNull();
    expect(await client.getLatestModelVersion(name)).toBeNull();
    await expect(client.getModelVersion(name, 9)).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(client.setRegisteredModelAlias(name, 'champion', 9)).rejects.toMatchObject({ status: 404 });
    await expect(client.getModelVersionByAlias(name, 'not an alias!')).rejects.toBeInstanceOf(
      MlflowInvalidArgumentError,
    );
  });

  it('when an alias is deleted twice, then it is gone and the second delete still succeeds', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const { info } = await client.createRun({ experimentId });
    const name = await freshModelName(client, cleanup);
    await client.createRegisteredModel({ name });
    const modelId = await readyModel(client, experimentId, info.runId);
    const version = await client.createModelVersion({ name, source: `models:/${modelId}`, runId: info.runId });
    await client.setRegisteredModelAlias(name, 'staging', version.version);

    await client.deleteRegisteredModelAlias(name, 'staging');
    await client.deleteRegisteredModelAlias(name, 'staging');

    expect(await client.getModelVersionByAlias(name, 'staging')).toBeNull();
  });
});

describe('resolveModelUri', () => {
  const client = testClient();
  const cleanup = useCleanup();

  it('when given @alias, /version, /latest, m-<id> and runs:/ URIs, then each resolves to the model files', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const { info } = await client.createRun({ experimentId });
    const name = await freshModelName(client, cleanup);
    const modelId = await readyModel(client, experimentId, info.runId);
    await client.createRegisteredModel({ name });
    await client.createModelVersion({ name, source: `models:/${modelId}`, runId: info.runId, modelId });
    await client.setRegisteredModelAlias(name, 'champion', 1);
    await client.uploadArtifact({ runId: info.runId, path: 'exported/MLmodel' }, 'flavors: {}\n');
    const modelUri = (await client.getLoggedModel(modelId)).artifactUri;
    const expected = { artifactUri: modelUri, name, version: '1', versionNumber: 1, runId: info.runId, modelId };

    expect(await client.resolveModelUri(`models:/${name}@champion`)).toEqual(expected);
    expect(await client.resolveModelUri(`models:/${name}/1`)).toEqual(expected);
    expect(await client.resolveModelUri(`models:/${name}/latest`)).toEqual(expected);
    expect(await client.resolveModelUri(`models:/${modelId}`)).toEqual({
      artifactUri: modelUri,
      runId: info.runId,
      modelId,
    });
    expect(await client.resolveModelUri(`runs:/${info.runId}/exported`)).toEqual({
      artifactUri: `${info.artifactUri}/exported`,
      runId: info.runId,
    });
    await client.createModelVersion({ name, source: `runs:/${info.runId}/exported`, runId: info.runId });
    expect(await client.resolveModelUri(`models:/${name}/2`)).toEqual({
      artifactUri: `${info.artifactUri}/exported`,
      name,
      version: '2',
      versionNumber: 2,
      runId: info.runId,
    });
    expect(await client.resolveModelUri(`runs:/${info.runId}/model`)).toEqual({
      artifactUri: modelUri,
      runId: info.runId,
      modelId,
    });
  });

  it('when the alias or version does not exist, then it resolves to null; a malformed URI is rejected', async () => {
    const name = await freshModelName(client, cleanup);
    await client.createRegisteredModel({ name });

    expect(await client.resolveModelUri(`models:/${name}@champion`)).toBeNull();
    expect(await client.resolveModelUri(`models:/${name}/3`)).toBeNull();
    expect(await client.resolveModelUri(`models:/${uniqueName('none')}@champion`)).toBeNull();
    await expect(client.resolveModelUri('s3://bucket/model')).rejects.toBeInstanceOf(MlflowInvalidArgumentError);
  });
});

import { describe, expect, it } from 'vitest';
import { MlflowInvalidArgumentError, resolveArtifactUri } from '../src/index.js';
import { freshExperiment, testClient, useCleanup } from './support.js';

describe('resolveArtifactUri', () => {
  const base = new URL('http://127.0.0.1:5000/prefix/');

  it('when the URI has no host, then it resolves below the tracking URI and its prefix', () => {
    expect(resolveArtifactUri(base, 'mlflow-artifacts:/1/abc/artifacts', 'model/MLmodel')).toEqual({
      endpoint: 'http://127.0.0.1:5000/prefix/api/2.0/mlflow-artifacts/artifacts',
      path: '1/abc/artifacts/model/MLmodel',
    });
  });

  it('when the URI names the tracking server, then it resolves below the tracking URI as without the host', () => {
    expect(resolveArtifactUri(base, 'mlflow-artifacts://127.0.0.1:5000/1/x')).toEqual({
      endpoint: 'http://127.0.0.1:5000/prefix/api/2.0/mlflow-artifacts/artifacts',
      path: '1/x',
    });
  });

  it('when the URI names another host or port, then it is refused (the credentials would go there)', () => {
    for (const uri of [
      'mlflow-artifacts://mlflow:5000/1/x',
      'mlflow-artifacts://127.0.0.1:5001/1/x',
      'mlflow-artifacts://127.0.0.1/1/x',
      'mlflow-artifacts://127.0.0.1:5000@evil.test/1/x',
    ]) {
      expect(() => resolveArtifactUri(base, uri)).toThrow(/not the tracking server http:\/\/127\.0\.0\.1:5000/);
    }
  });

  it('when a path climbs with .. or the scheme is not the proxy, then it is rejected before any request', () => {
    expect(() => resolveArtifactUri(base, 'mlflow-artifacts:/1', 'a/../../b')).toThrow(MlflowInvalidArgumentError);
    expect(() => resolveArtifactUri(base, 'mlflow-artifacts:/1/../2')).toThrow(MlflowInvalidArgumentError);
    expect(() => resolveArtifactUri(base, 's3://bucket/1')).toThrow(/not an mlflow-artifacts: URI/);
  });
});

describe('artifacts', () => {
  const client = testClient();
  const cleanup = useCleanup();

  it('when binary and text files are uploaded under nested paths, then they download byte-identical and list per directory', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const { info } = await client.createRun({ experimentId });
    const binary = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);

    const binaryUri = await client.uploadArtifact({ runId: info.runId, path: 'model/weights/w.bin' }, binary);
    await client.uploadArtifact({ artifactUri: info.artifactUri, path: 'model/MLmodel' }, 'flavors: {}\n');
    await client.uploadArtifact(`${info.artifactUri}/readme.txt`, 'hello');

    expect(binaryUri).toBe(`${info.artifactUri}/model/weights/w.bin`);
    expect(await client.downloadArtifact(binaryUri)).toEqual(binary);
    expect(new TextDecoder().decode(await client.downloadArtifact({ runId: info.runId, path: 'model/MLmodel' }))).toBe(
      'flavors: {}\n',
    );
    expect(await client.listArtifacts({ runId: info.runId })).toEqual([
      { name: 'model', path: 'model', isDir: true, fileSize: undefined },
      { name: 'readme.txt', path: 'readme.txt', isDir: false, fileSize: 5 },
    ]);
    expect(await client.listArtifacts({ artifactUri: info.artifactUri, path: 'model' })).toEqual([
      { name: 'MLmodel', path: 'model/MLmodel', isDir: false, fileSize: 12 },
      { name: 'weights', path: 'model/weights', isDir: true, fileSize: undefined },
    ]);
    expect(await client.listArtifacts(`${info.artifactUri}/model/weights`)).toEqual([
      { name: 'w.bin', path: 'w.bin', isDir: false, fileSize: 300 },
    ]);
  });

  it('when a file is uploaded twice, then the second content wins', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const { info } = await client.createRun({ experimentId });

    await client.uploadArtifact({ runId: info.runId, path: 'a.txt' }, 'one');
    await client.uploadArtifact({ runId: info.runId, path: 'a.txt' }, 'two');

    expect(new TextDecoder().decode(await client.downloadArtifact({ runId: info.runId, path: 'a.txt' }))).toBe('two');
  });

  it('when the directory is empty or the file missing, then list answers [] and download RESOURCE_DOES_NOT_EXIST', async () => {
    const experimentId = await freshExperiment(client, cleanup);
    const { info } = await client.createRun({ experimentId });

    expect(await client.listArtifacts({ runId: info.runId, path: 'nothing' })).toEqual([]);
    await expect(client.downloadArtifact({ runId: info.runId, path: 'nothing.txt' })).rejects.toMatchObject({
      status: 404,
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
    });
  });

  it('when an upload path contains .., then it is rejected without a request', async () => {
    await expect(
      client.uploadArtifact({ artifactUri: 'mlflow-artifacts:/1/x/artifacts', path: '../../etc/passwd' }, 'x'),
    ).rejects.toBeInstanceOf(MlflowInvalidArgumentError);
  });
});

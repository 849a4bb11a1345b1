import type { MlflowClient } from '@mlops/mlflow';
import { describe, expect, it } from 'vitest';
import { assertOwnDirectory, ModelLoader, ModelLocationError } from '../src/adapters/model-loader.js';

describe('model artifact locations', () => {
  it.each([
    'mlflow-artifacts:/1/models/m-1/artifacts',
    'file:///tmp/mlruns/1/models/m-1/artifacts',
    's3://bucket/1/models/m-1..2/artifacts',
  ])('when the location stays inside the model (%s), then it is accepted', (uri) => {
    expect(() => assertOwnDirectory(uri, 'models:/m/1')).not.toThrow();
  });

  it.each([
    'mlflow-artifacts:/1/models/m-1/artifacts/../../../../etc',
    'file:///tmp/mlruns/1/models/%2e%2e/%2E%2E/secrets',
    'mlflow-artifacts:/1/models/m-1\\..\\..\\x',
    'mlflow-artifacts:/1/%zz',
  ])('when the location climbs out or cannot be decoded (%s), then it is refused', (uri) => {
    expect(() => assertOwnDirectory(uri, 'models:/m/1')).toThrow(ModelLocationError);
  });

  it('when the registry resolves a version to an escaping location, then nothing is downloaded', async () => {
    const downloads: unknown[] = [];
    const registry = {
      resolveModelUri: async () => ({ artifactUri: 'mlflow-artifacts:/1/../../etc', runId: 'r' }),
      downloadArtifact: async (target: unknown) => {
        downloads.push(target);
        return new Uint8Array();
      },
    } as unknown as MlflowClient;
    await expect(new ModelLoader(registry, 'm', 'champion').load('3')).rejects.toThrow(/leaves the model's directory/);
    expect(downloads).toEqual([]);
  });
});

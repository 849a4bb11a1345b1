import { describe, expect, it } from 'vitest';
import { createMlflowClient, MlflowInvalidArgumentError, mlflowOptionsFromEnv, parseModelUri } from '../src/index.js';

describe('mlflowOptionsFromEnv', () => {
  it('when the MLflow variables are set, then exactly those map to options and empty ones are ignored', () => {
    const options = mlflowOptionsFromEnv({
      MLFLOW_TRACKING_URI: 'http://mlflow:5000',
      MLFLOW_TRACKING_USERNAME: 'alice',
      MLFLOW_TRACKING_PASSWORD: 'pw',
      MLFLOW_TRACKING_TOKEN: '',
      MLFLOW_OTHER: 'ignored',
    });

    expect(options).toEqual({ trackingUri: 'http://mlflow:5000', username: 'alice', password: 'pw' });
  });

  it('when MLFLOW_TRACKING_URI is missing, then it fails naming the variable', () => {
    expect(() => mlflowOptionsFromEnv({})).toThrow(/MLFLOW_TRACKING_URI/);
  });
});

describe('createMlflowClient options', () => {
  it('when both basic credentials and a token are given, then the client is refused', () => {
    expect(() => createMlflowClient({ trackingUri: 'http://x:1', username: 'a', password: 'b', token: 't' })).toThrow(
      MlflowInvalidArgumentError,
    );
  });

  it('when the tracking URI is not http(s) or only half the basic credentials are given, then the client is refused', () => {
    expect(() => createMlflowClient({ trackingUri: 'file:///tmp/mlruns' })).toThrow(/must be http/);
    expect(() => createMlflowClient({ trackingUri: 'http://x:1', username: 'a' })).toThrow(
      /both username and password/,
    );
  });
});

describe('parseModelUri', () => {
  it('when given each supported form, then it names its kind and parts', () => {
    expect(parseModelUri('models:/One_Customer_Classifier@champion')).toEqual({
      kind: 'alias',
      name: 'One_Customer_Classifier',
      alias: 'champion',
    });
    expect(parseModelUri('models:/clf/12')).toEqual({ kind: 'version', name: 'clf', version: '12' });
    expect(parseModelUri('models:/clf/Latest')).toEqual({ kind: 'latest', name: 'clf' });
    expect(parseModelUri('models:/m-0123abcd')).toEqual({ kind: 'logged-model', modelId: 'm-0123abcd' });
    expect(parseModelUri('runs:/abc/model/sub')).toEqual({ kind: 'run', runId: 'abc', path: 'model/sub' });
  });

  it('when the URI is malformed or climbs with .., then it is rejected', () => {
    expect(() => parseModelUri('models:/clf')).toThrow(MlflowInvalidArgumentError);
    expect(() => parseModelUri('runs:/abc/../x')).toThrow(MlflowInvalidArgumentError);
    expect(() => parseModelUri('mlflow-artifacts:/1/x')).toThrow(MlflowInvalidArgumentError);
  });
});

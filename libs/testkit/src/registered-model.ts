import type { MlflowClient } from '@mlops/mlflow';
import { MODEL_FILES, serializeWeights } from '@mlops/model-format';

/** Weights of a hand-made logistic regression, or a string uploaded as weights.json as is (to break it). */
export type TestWeights =
  | { readonly coef: readonly number[]; readonly intercept: number; readonly featureNames: readonly string[] }
  | string;

/** What {@link registerTestModel} created. */
export interface RegisteredTestModel {
  readonly version: string;
  readonly runId: string;
  readonly modelId: string;
}

/**
 * Logs a LoggedModel holding `weights.json` (and a stub MLmodel) under a new run, registers it as the next version
 * of `name` and moves `alias` (default champion) to it: a model the predictor can load, without a tuning.
 */
export async function registerTestModel(
  mlflow: MlflowClient,
  options: {
    experimentId: string;
    name: string;
    weights: TestWeights;
    alias?: string;
    runName?: string;
    /** Test-split metrics written into weights.json (what the monitor compares live performance with). */
    metrics?: Readonly<Record<string, number | null>>;
    /** More files for the model's directory, by name (e.g. reference_profile.json). */
    files?: Readonly<Record<string, string>>;
  },
): Promise<RegisteredTestModel> {
  const { experimentId, name, weights } = options;
  const run = await mlflow.createRun({ experimentId, runName: options.runName ?? 'test-model' });
  const model = await mlflow.createLoggedModel({ experimentId, name: 'model', sourceRunId: run.info.runId });
  const body =
    typeof weights === 'string'
      ? weights
      : serializeWeights({
          classes: [0, 1],
          coef: weights.coef,
          intercept: weights.intercept,
          feature_names: weights.featureNames,
          solver: 'lbfgs',
          params: {},
          metrics: options.metrics ?? {},
          trained_at: new Date().toISOString(),
          dataset_digest: '0123456789abcdef',
        });
  await mlflow.uploadArtifact({ artifactUri: model.artifactUri, path: MODEL_FILES.weights }, body);
  await mlflow.uploadArtifact({ artifactUri: model.artifactUri, path: 'MLmodel' }, 'flavors: {}\n');
  for (const [path, text] of Object.entries(options.files ?? {})) {
    await mlflow.uploadArtifact({ artifactUri: model.artifactUri, path }, text);
  }
  await mlflow.finalizeLoggedModel(model.modelId, 'READY');
  const { version } = await mlflow.createModelVersion({
    name,
    source: `models:/${model.modelId}`,
    runId: run.info.runId,
  });
  await mlflow.setRegisteredModelAlias(name, options.alias ?? 'champion', version);
  return { version, runId: run.info.runId, modelId: model.modelId };
}

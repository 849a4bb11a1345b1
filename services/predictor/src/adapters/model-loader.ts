import type { MlflowClient, ModelVersion } from '@mlops/mlflow';
import { assertOwnDirectory, MODEL_FILES, modelFromWeights, parseWeights } from '@mlops/model-format';
import type { ServedModel } from '../domain/served-model.js';

/** Re-exported where the predictor's tests and callers have always found them. */
export { assertOwnDirectory, ModelLocationError } from '@mlops/model-format';

/** Loads a registered model version's weights from MLflow; validates them before anything is swapped. */
export class ModelLoader {
  constructor(
    private readonly mlflow: MlflowClient,
    private readonly name: string,
    private readonly alias: string,
  ) {}

  /** The version the alias points at now, or null when there is none yet. */
  async championVersion(): Promise<ModelVersion | null> {
    return await this.mlflow.getModelVersionByAlias(this.name, this.alias);
  }

  /** Downloads and validates `weights.json` of a version; throws (ModelFormatError, MlflowApiError) if unusable. */
  async load(version: string): Promise<ServedModel> {
    const uri = `models:/${this.name}/${version}`;
    const resolved = await this.mlflow.resolveModelUri(uri);
    if (resolved === null) throw new Error(`${uri} does not exist`);
    assertOwnDirectory(resolved.artifactUri, uri);
    const bytes = await this.mlflow.downloadArtifact({ artifactUri: resolved.artifactUri, path: MODEL_FILES.weights });
    const weights = parseWeights(new TextDecoder().decode(bytes));
    const { model, table, classLabels } = modelFromWeights(weights);
    return {
      name: this.name,
      version,
      versionNumber: Number(version),
      alias: this.alias,
      runId: resolved.runId ?? '',
      modelUri: uri,
      featureNames: weights.feature_names,
      model,
      ...(table === undefined ? {} : { table }),
      ...(classLabels === undefined ? {} : { classLabels }),
      training: {
        solver: weights.solver,
        params: weights.params,
        metrics: weights.metrics,
        trainedAt: weights.trained_at,
      },
      loadedAt: new Date(),
    };
  }
}

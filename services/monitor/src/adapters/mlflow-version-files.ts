import {
  DatasetSpecSchema,
  GridSpecSchema,
  RandomSearchSchema,
  ReferenceProfileSchema,
  SELECTION_METRICS,
  type SelectionMetric,
} from '@mlops/contracts';
import { MlflowApiError, type MlflowClient } from '@mlops/mlflow';
import { assertOwnDirectory, MODEL_FILES, modelFromWeights, parseWeights, type WeightsFile } from '@mlops/model-format';
import type {
  VersionFiles,
  VersionFilesSource,
  VersionTable,
  VersionTuning,
  VersionTuningSource,
} from '../domain/ports.js';

/** Reads a registered version's `weights.json` and `reference_profile.json` (absent for older versions). */
export function mlflowVersionFiles(mlflow: MlflowClient): VersionFilesSource {
  return {
    async load(model, version): Promise<VersionFiles> {
      const uri = `models:/${model}/${version}`;
      const resolved = await mlflow.resolveModelUri(uri);
      if (resolved === null) throw new Error(`${uri} does not exist`);
      assertOwnDirectory(resolved.artifactUri, uri);
      const read = async (path: string) =>
        new TextDecoder().decode(await mlflow.downloadArtifact({ artifactUri: resolved.artifactUri, path }));
      const weights = parseWeights(await read(MODEL_FILES.weights));
      const profileText = await read(MODEL_FILES.referenceProfile).catch((err: unknown) => {
        if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return null;
        throw err;
      });
      return {
        profile: profileText === null ? null : parseProfile(profileText, uri),
        model: {
          classes: [weights.classes[0], weights.classes[1]],
          coef: [...weights.coef],
          intercept: weights.intercept,
          featureNames: [...weights.feature_names],
        },
        training: weights.metrics,
        ...tableOf(weights),
        ...(weights.class_labels === undefined ? {} : { classLabels: weights.class_labels }),
      };
    },
  };
}

/**
 * Reads how a version was tuned from its tuning's parent run (the tags `mlops.grid`, `mlops.dataset_spec`,
 * `mlops.search` and `mlops.selection_metric` the tracker writes); what is missing or unreadable is left out, so a retrain falls back to
 * the defaults.
 */
export function mlflowVersionTuning(mlflow: MlflowClient): VersionTuningSource {
  return {
    async tuningOf(model, version): Promise<VersionTuning> {
      const { runId } = await mlflow.getModelVersion(model, version);
      if (runId === undefined) return {};
      const trial = await mlflow.getRun(runId);
      const parentId = trial.data.tags['mlflow.parentRunId'];
      const tags = parentId === undefined ? trial.data.tags : (await mlflow.getRun(parentId)).data.tags;
      const grid = GridSpecSchema.safeParse(parseJson(tags['mlops.grid']));
      const dataset = DatasetSpecSchema.safeParse(parseJson(tags['mlops.dataset_spec']));
      const search = RandomSearchSchema.safeParse(parseJson(tags['mlops.search']));
      const metric = tags['mlops.selection_metric'];
      return {
        ...(grid.success && tags['mlops.grid'] !== undefined ? { grid: grid.data } : {}),
        ...(dataset.success && tags['mlops.dataset_spec'] !== undefined ? { dataset: dataset.data } : {}),
        ...(search.success ? { search: search.data } : {}),
        ...(SELECTION_METRICS.includes(metric as SelectionMetric)
          ? { selectionMetric: metric as SelectionMetric }
          : {}),
      };
    },
  };
}

function parseJson(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A table model's columns, fitted categories and scorer; nothing for a model of numeric features. */
function tableOf(weights: WeightsFile): { table?: VersionTable } {
  const { input_columns: columns, preprocessing } = weights;
  if (columns === undefined || preprocessing === undefined) return {};
  const scorer = modelFromWeights(weights);
  const fitted = new Map(preprocessing.categorical.map((c) => [c.name, c.categories]));
  return {
    table: {
      columns: columns.map((c) => ({ name: c.name, kind: c.kind, role: c.role })),
      categories: columns.map((c) => fitted.get(c.name) ?? []),
      probabilities: (table) => scorer.tableProbabilities(table),
    },
  };
}

function parseProfile(text: string, uri: string) {
  const parsed = ReferenceProfileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${uri}: reference_profile.json is not a profile: ${parsed.error.message}`);
  return parsed.data;
}

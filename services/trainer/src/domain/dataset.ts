import { type DatasetSpec, profileSampleSize, type ReferenceProfileData, type TuneRequest } from '@mlops/contracts';
import { buildReferenceProfile, buildTableProfile, MlError, makeClassification, type NumericTable } from '@mlops/ml';
import { type CsvLoader, loadPinnedCsv, UnusableDataError } from './data-source.js';
import {
  appendTrainingRows,
  type MatrixSource,
  type MatrixTrainingData,
  readMatrixCsv,
  splitMatrixData,
} from './matrix-data.js';
import { buildTableData, type TableTrainingData } from './table-data.js';

export { type CsvLoader, UnusableDataError } from './data-source.js';
export { datasetDigest, type MatrixTrainingData } from './matrix-data.js';

type SyntheticDatasetSpec = Extract<TuneRequest['dataset'], { kind: 'synthetic' }>;

/** The train and test sides of a tuning's data set, plus what is logged about it. */
export type TrainingData = MatrixTrainingData | TableTrainingData;

/**
 * Builds the data set deterministically: same request ⇒ same rows, same split, same digest. A CSV is refused when
 * its bytes differ from the digest the request pins. A request's `append_training` is loaded the same way and all
 * its rows follow the split's train rows (see {@link appendTrainingRows}); the test rows are `dataset`'s alone.
 */
export async function buildTrainingData(request: TuneRequest, loadCsv: CsvLoader): Promise<TrainingData> {
  const { dataset, split, append_training: appended } = request;
  try {
    if (dataset.kind === 'csv' && dataset.features === 'table') {
      return buildTableData(dataset, split, await loadPinnedCsv(dataset, loadCsv));
    }
    const { table, origin } = await matrixSource(dataset, loadCsv);
    const data = splitMatrixData(table, split, origin);
    return appended === undefined ? data : appendTrainingRows(data, await matrixSource(appended, loadCsv));
  } catch (err) {
    if (err instanceof MlError) throw new UnusableDataError(err.message, { cause: err });
    throw err;
  }
}

/** A matrix data set's rows before any split: generated, or read from its pinned CSV (as features "matrix"). */
async function matrixSource(spec: DatasetSpec, loadCsv: CsvLoader): Promise<MatrixSource> {
  return spec.kind === 'synthetic' ? syntheticTable(spec) : readMatrixCsv(spec, await loadPinnedCsv(spec, loadCsv));
}

function syntheticTable(spec: SyntheticDatasetSpec): MatrixSource {
  const { X, y } = makeClassification({
    nSamples: spec.n_samples,
    nFeatures: spec.n_features,
    nInformative: spec.n_informative,
    nRedundant: spec.n_redundant,
    nRepeated: spec.n_repeated,
    nClasses: spec.n_classes,
    nClustersPerClass: spec.n_clusters_per_class,
    weights: spec.weights,
    flipY: spec.flip_y,
    classSep: spec.class_sep,
    hypercube: spec.hypercube,
    shift: spec.shift,
    scale: spec.scale,
    shuffle: spec.shuffle,
    randomState: spec.random_state,
  });
  const featureNames = Array.from({ length: X.cols }, (_, j) => `x${j}`);
  const { kind: _kind, ...params } = spec;
  const source = `make_classification(${Object.entries(params)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ')})`;
  const table: NumericTable = { X, y, featureNames, targetName: 'y' };
  const name = `make_classification_${spec.n_samples}x${spec.n_features}_rs${spec.random_state}`;
  return { table, origin: { name, source } };
}

function tableProfileOf(data: TableTrainingData): ReferenceProfileData | undefined {
  const columns = data.inputColumns.map((c) => ({ name: c.name, role: c.role }));
  for (let sampleSize = profileSampleSize(columns.length); sampleSize >= 1; sampleSize = Math.floor(sampleSize / 2)) {
    let profile: ReferenceProfileData;
    try {
      profile = buildTableProfile(data.train.table, columns, { sampleSize, randomState: 0 });
    } catch (err) {
      if (err instanceof MlError) return undefined; // e.g. a column without a value: the tuning goes on, unprofiled
      throw err;
    }
    if (Buffer.byteLength(JSON.stringify(profile)) <= MAX_TABLE_PROFILE_BYTES) return profile;
  }
  return undefined;
}

/** The most a table profile may take in `tuning.started` (the data set summary and its example travel with it). */
export const MAX_TABLE_PROFILE_BYTES = 300_000;

/**
 * The training split's reference profile for drift monitoring (sample capped so it travels in one message): of the
 * features, or of a table's raw input columns (the same for every trial, whatever its preprocessing). A table
 * profile over MAX_TABLE_PROFILE_BYTES draws a smaller sample; when its categories alone are too large there is none.
 */
export function referenceProfileOf(data: TrainingData): ReferenceProfileData | undefined {
  if (data.kind === 'table') return tableProfileOf(data);
  const { X } = data.train;
  return buildReferenceProfile(X, {
    featureNames: data.summary.feature_names,
    sampleSize: profileSampleSize(X.cols),
    randomState: 0,
  });
}

import { createHash } from 'node:crypto';
import {
  type DatasetSummary,
  type EventData,
  MAX_HOLDOUT_CELLS,
  profileSampleSize,
  type ReferenceProfileData,
  type TuneRequest,
} from '@mlops/contracts';
import { type CsvLoader, INPUT_EXAMPLE_ROWS, inputExampleOf, UnusableDataError } from './data-source.js';
import { buildTableData, type TableTrainingData, tableRows } from './table-data.js';

export { type CsvLoader, UnusableDataError } from './data-source.js';

import {
  buildReferenceProfile,
  buildTableProfile,
  type DenseMatrix,
  MlError,
  makeClassification,
  type NumericTable,
  takeRows,
  takeValues,
  trainTestSplit,
} from '@mlops/ml';

type SyntheticDatasetSpec = Extract<TuneRequest['dataset'], { kind: 'synthetic' }>;

/** A tuning's data as a matrix (the synthetic data set): every trial trains on the same numbers. */
export interface MatrixTrainingData {
  readonly kind: 'matrix';
  readonly train: { readonly X: DenseMatrix; readonly y: Float64Array };
  readonly test: { readonly X: DenseMatrix; readonly y: Float64Array };
  readonly summary: DatasetSummary;
}

/** The train and test sides of a tuning's data set, plus what is logged about it. */
export type TrainingData = MatrixTrainingData | TableTrainingData;

/** Builds the data set deterministically: same request ⇒ same rows, same split, same digest. */
export async function buildTrainingData(request: TuneRequest, loadCsv: CsvLoader): Promise<TrainingData> {
  try {
    if (request.dataset.kind === 'csv') return await buildTableData(request.dataset, request.split, loadCsv);
    return buildMatrixData(request.dataset, request.split);
  } catch (err) {
    if (err instanceof MlError) throw new UnusableDataError(err.message, { cause: err });
    throw err;
  }
}

function buildMatrixData(spec: SyntheticDatasetSpec, split: TuneRequest['split']): MatrixTrainingData {
  const { table, name, source } = syntheticTable(spec);
  const { train, test } = trainTestSplit(table.X.rows, {
    testSize: split.test_size,
    randomState: split.random_state,
    ...(split.stratify ? { stratify: table.y } : {}),
  });
  const testX = takeRows(table.X, test);
  return {
    kind: 'matrix',
    train: { X: takeRows(table.X, train), y: takeValues(table.y, train) },
    test: { X: testX, y: takeValues(table.y, test) },
    summary: {
      name,
      digest: datasetDigest(table),
      source,
      feature_names: table.featureNames,
      target: table.targetName,
      n_train: train.length,
      n_test: test.length,
      input_example: inputExampleOf(
        Array.from({ length: Math.min(INPUT_EXAMPLE_ROWS, testX.rows) }, (_, i) =>
          Array.from(testX.data.subarray(i * testX.cols, (i + 1) * testX.cols)),
        ),
      ),
    },
  };
}

function syntheticTable(spec: SyntheticDatasetSpec) {
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
  return { table, name: `make_classification_${spec.n_samples}x${spec.n_features}_rs${spec.random_state}`, source };
}

/** 16 hex characters of SHA-256 over column names, shape, every value and every label (fits MLflow's 36). */
export function datasetDigest(table: NumericTable): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([table.featureNames, table.targetName, table.X.rows, table.X.cols]));
  hash.update(new Uint8Array(table.X.data.buffer, table.X.data.byteOffset, table.X.data.byteLength));
  hash.update(new Uint8Array(table.y.buffer, table.y.byteOffset, table.y.byteLength));
  return hash.digest('hex').slice(0, 16);
}

/**
 * The rows the promotion gate judges on: the first test rows (the split is already shuffled), at most
 * MAX_HOLDOUT_CELLS cells so the event stays small; labels as 0/1 with the second class positive, as fit() orders
 * them. A table's rows are its raw cells, so champion and challenger each apply their own preprocessing.
 */
export function holdoutOf(data: TrainingData): NonNullable<EventData<'tuning.completed'>['holdout']> {
  const names = data.summary.feature_names;
  const count = Math.max(1, Math.min(data.test.y.length, Math.floor(MAX_HOLDOUT_CELLS / names.length)));
  let positive = Number.NEGATIVE_INFINITY;
  for (const label of data.train.y) positive = Math.max(positive, label);
  const rows =
    data.kind === 'matrix'
      ? Array.from({ length: count }, (_, i) =>
          Array.from(data.test.X.data.subarray(i * names.length, (i + 1) * names.length)),
        )
      : withinBytes(tableRows(data.test.table, names, count), MAX_HOLDOUT_BYTES);
  return {
    feature_names: names,
    rows,
    labels: Array.from(data.test.y.subarray(0, rows.length), (label) => (label === positive ? 1 : 0)),
  };
}

/** A table's holdout rows stop at this many UTF-8 bytes of JSON (text can be long; the event must stay small). */
const MAX_HOLDOUT_BYTES = 400_000;

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

function withinBytes<T>(rows: T[], budget: number): T[] {
  let used = 0;
  const kept = rows.findIndex((row) => {
    used += Buffer.byteLength(JSON.stringify(row)) + 1;
    return used > budget;
  });
  return kept < 0 ? rows : rows.slice(0, Math.max(1, kept));
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

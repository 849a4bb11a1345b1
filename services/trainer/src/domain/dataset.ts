import { createHash } from 'node:crypto';
import {
  type DatasetSpec,
  type DatasetSummary,
  type EventData,
  MAX_HOLDOUT_CELLS,
  profileSampleSize,
  type ReferenceProfileData,
  type TuneRequest,
} from '@mlops/contracts';
import {
  buildReferenceProfile,
  type DenseMatrix,
  MlError,
  makeClassification,
  type NumericTable,
  takeRows,
  takeValues,
  trainTestSplit,
} from '@mlops/ml';

/** The train and test sides of a tuning's data set, plus what is logged about it. */
export interface TrainingData {
  readonly train: { readonly X: DenseMatrix; readonly y: Float64Array };
  readonly test: { readonly X: DenseMatrix; readonly y: Float64Array };
  readonly summary: DatasetSummary;
}

/** Reads a CSV data set named by a request; provided by the service (it owns the data directory). */
export type CsvLoader = (path: string, target: string) => Promise<{ table: NumericTable; source: string }>;

/**
 * The data a request names cannot be used (a CSV missing or malformed, a split or a class layout the rows do not
 * allow): trying again cannot help, so the tuning is rejected instead of retried.
 */
export class UnusableDataError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

const INPUT_EXAMPLE_ROWS = 5;

/** Builds the data set deterministically: same request ⇒ same rows, same split, same digest. */
export async function buildTrainingData(request: TuneRequest, loadCsv: CsvLoader): Promise<TrainingData> {
  try {
    return await buildUnchecked(request, loadCsv);
  } catch (err) {
    if (err instanceof MlError) throw new UnusableDataError(err.message, { cause: err });
    throw err;
  }
}

async function buildUnchecked(request: TuneRequest, loadCsv: CsvLoader): Promise<TrainingData> {
  const { table, name, source } = await loadTable(request.dataset, loadCsv);
  const { train, test } = trainTestSplit(table.X.rows, {
    testSize: request.split.test_size,
    randomState: request.split.random_state,
    ...(request.split.stratify ? { stratify: table.y } : {}),
  });
  const testX = takeRows(table.X, test);
  return {
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
      input_example: Array.from({ length: Math.min(INPUT_EXAMPLE_ROWS, testX.rows) }, (_, i) =>
        Array.from(testX.data.subarray(i * testX.cols, (i + 1) * testX.cols)),
      ),
    },
  };
}

async function loadTable(spec: DatasetSpec, loadCsv: CsvLoader) {
  if (spec.kind === 'csv') {
    const { table, source } = await loadCsv(spec.path, spec.target);
    return { table, name: spec.path, source };
  }
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
 * MAX_HOLDOUT_CELLS cells so the event stays small; labels as 0/1 with the larger class positive, as fit() orders them.
 */
export function holdoutOf(data: TrainingData): NonNullable<EventData<'tuning.completed'>['holdout']> {
  const { X, y } = data.test;
  const count = Math.max(1, Math.min(X.rows, Math.floor(MAX_HOLDOUT_CELLS / X.cols)));
  let positive = Number.NEGATIVE_INFINITY;
  for (const label of data.train.y) positive = Math.max(positive, label);
  return {
    feature_names: data.summary.feature_names,
    rows: Array.from({ length: count }, (_, i) => Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols))),
    labels: Array.from(y.subarray(0, count), (label) => (label === positive ? 1 : 0)),
  };
}

/** The training split's reference profile for drift monitoring (sample capped so it travels in one message). */
export function referenceProfileOf(data: TrainingData): ReferenceProfileData {
  const { X } = data.train;
  return buildReferenceProfile(X, {
    featureNames: data.summary.feature_names,
    sampleSize: profileSampleSize(X.cols),
    randomState: 0,
  });
}

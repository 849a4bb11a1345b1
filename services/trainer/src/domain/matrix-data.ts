import { createHash } from 'node:crypto';
import { type DatasetSummary, MAX_MATRIX_FEATURES, type TuneRequest } from '@mlops/contracts';
import {
  type DenseMatrix,
  encodeBinaryTarget,
  InvalidDataError,
  type NumericTable,
  parseNumericCsv,
  takeRows,
  takeValues,
  trainTestSplit,
} from '@mlops/ml';
import { INPUT_EXAMPLE_ROWS, inputExampleOf, type LoadedCsv } from './data-source.js';

type CsvDatasetSpec = Extract<TuneRequest['dataset'], { kind: 'csv' }>;

/** A tuning's data as a matrix (the synthetic data set, a matrix CSV): every trial trains on the same numbers. */
export interface MatrixTrainingData {
  readonly kind: 'matrix';
  readonly train: { readonly X: DenseMatrix; readonly y: Float64Array };
  readonly test: { readonly X: DenseMatrix; readonly y: Float64Array };
  readonly summary: DatasetSummary;
}

/** Where a matrix's numbers come from, as the data set summary names them. */
export interface MatrixOrigin {
  readonly name: string;
  readonly source: string;
}

/** Splits a numeric table as train_test_split does and describes it: the one matrix path of every data set. */
export function splitMatrixData(
  table: NumericTable,
  split: TuneRequest['split'],
  origin: MatrixOrigin,
): MatrixTrainingData {
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
      name: origin.name,
      digest: datasetDigest(table),
      source: origin.source,
      feature_names: table.featureNames,
      target: table.targetName,
      n_train: train.length,
      n_test: test.length,
      input_example: inputExampleOf(matrixRows(testX, INPUT_EXAMPLE_ROWS)),
    },
  };
}

/**
 * Reads a CSV with `features: "matrix"`: every column but the target a finite number in every row (errors name the
 * path, the line and the column), the target two classes; features in file order, used as they are.
 */
export function buildMatrixCsvData(
  spec: CsvDatasetSpec,
  split: TuneRequest['split'],
  csv: LoadedCsv,
): MatrixTrainingData {
  const table = parseNumericCsv(csv.text, spec.target, spec.path);
  checkFeatureNames(table.featureNames, spec.target, spec.path);
  encodeBinaryTarget({ name: spec.target, kind: 'number', values: table.y });
  return splitMatrixData(table, split, { name: spec.path, source: csv.source });
}

/** 16 hex characters of SHA-256 over column names, shape, every value and every label (fits MLflow's 36). */
export function datasetDigest(table: NumericTable): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([table.featureNames, table.targetName, table.X.rows, table.X.cols]));
  hash.update(new Uint8Array(table.X.data.buffer, table.X.data.byteOffset, table.X.data.byteLength));
  hash.update(new Uint8Array(table.y.buffer, table.y.byteOffset, table.y.byteLength));
  return hash.digest('hex').slice(0, 16);
}

/** The first `count` rows of a matrix as arrays of numbers. */
export function matrixRows(matrix: DenseMatrix, count: number): number[][] {
  return Array.from({ length: Math.min(count, matrix.rows) }, (_, i) =>
    Array.from(matrix.data.subarray(i * matrix.cols, (i + 1) * matrix.cols)),
  );
}

function checkFeatureNames(names: readonly string[], target: string, path: string): void {
  if (names.length > MAX_MATRIX_FEATURES) {
    throw new InvalidDataError(`${path}: ${names.length} feature columns, at most ${MAX_MATRIX_FEATURES}`);
  }
  const seen = new Set<string>([target]);
  for (const name of names) {
    if (name === '') throw new InvalidDataError(`${path}: a column of the header has no name`);
    if (seen.has(name)) throw new InvalidDataError(`${path}: column "${name}" is named twice in the header`);
    seen.add(name);
  }
}

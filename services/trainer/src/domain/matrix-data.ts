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
import { INPUT_EXAMPLE_ROWS, inputExampleOf, type LoadedCsv, UnusableDataError } from './data-source.js';

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

/** A numeric table and where it came from: a data set before any split. */
export interface MatrixSource {
  readonly table: NumericTable;
  readonly origin: MatrixOrigin;
}

/**
 * Reads a CSV with `features: "matrix"`, before any split: every column but the target a finite number in every row
 * (errors name the path, the line and the column), the target two classes; features in file order, used as they are.
 */
export function readMatrixCsv(spec: CsvDatasetSpec, csv: LoadedCsv): MatrixSource {
  const table = parseNumericCsv(csv.text, spec.target, spec.path, spec);
  checkFeatureNames(table.featureNames, spec.target, spec.path);
  encodeBinaryTarget({ name: spec.target, kind: 'number', values: table.y });
  return { table, origin: { name: spec.path, source: csv.source } };
}

/**
 * Appends every row of `appended` (no split) after the train rows of `data`; the test rows stay those of `data`
 * alone. Its features must be `data`'s (same names, same order) and its labels the same two classes. The summary
 * counts the rows in `n_train`, names them in `appended`, and its digest hashes both parts (the split data set's
 * digest, then the appended rows'), so it differs from the digest of `data` alone.
 */
export function appendTrainingRows(data: MatrixTrainingData, appended: MatrixSource): MatrixTrainingData {
  const { table, origin } = appended;
  checkSameFeatures(data.summary.feature_names, table.featureNames, origin.name);
  checkSameClasses([data.train.y, data.test.y], table.y, origin.name);
  const digest = datasetDigest(table);
  return {
    ...data,
    train: {
      X: { rows: data.train.X.rows + table.X.rows, cols: table.X.cols, data: concat(data.train.X.data, table.X.data) },
      y: concat(data.train.y, table.y),
    },
    summary: {
      ...data.summary,
      digest: digestOfParts([data.summary.digest, digest]),
      n_train: data.summary.n_train + table.X.rows,
      appended: { name: origin.name, digest, source: origin.source, rows: table.X.rows },
    },
  };
}

/** 16 hex characters of SHA-256 over column names, shape, every value and every label (fits MLflow's 36). */
export function datasetDigest(table: NumericTable): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([table.featureNames, table.targetName, table.X.rows, table.X.cols]));
  hash.update(new Uint8Array(table.X.data.buffer, table.X.data.byteOffset, table.X.data.byteLength));
  hash.update(new Uint8Array(table.y.buffer, table.y.byteOffset, table.y.byteLength));
  return hash.digest('hex').slice(0, 16);
}

/** 16 hex characters of SHA-256 over the digests of a data set's parts, in order. */
function digestOfParts(digests: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(digests)).digest('hex').slice(0, 16);
}

/** The first `count` rows of a matrix as arrays of numbers. */
export function matrixRows(matrix: DenseMatrix, count: number): number[][] {
  return Array.from({ length: Math.min(count, matrix.rows) }, (_, i) =>
    Array.from(matrix.data.subarray(i * matrix.cols, (i + 1) * matrix.cols)),
  );
}

function checkSameFeatures(expected: readonly string[], actual: readonly string[], name: string): void {
  const k = actual.findIndex((n, j) => n !== expected[j]);
  const first = k >= 0 ? k : actual.length < expected.length ? actual.length : -1;
  if (first < 0) return;
  const show = (n: string | undefined) => (n === undefined ? 'none' : JSON.stringify(n));
  throw new UnusableDataError(
    `append_training ${JSON.stringify(name)}: features ${namesOf(actual)} are not the dataset's ${namesOf(expected)}; the same names in the same order are needed (feature ${first + 1} is ${show(actual[first])} here, ${show(expected[first])} in the dataset)`,
  );
}

/** "3 (a, b, c)", or the count, the first three names and "…". */
function namesOf(names: readonly string[]): string {
  const shown = names.slice(0, 3).map((n) => JSON.stringify(n));
  return `${names.length} (${shown.join(', ')}${names.length > 3 ? ', …' : ''})`;
}

function checkSameClasses(expected: readonly Float64Array[], actual: Float64Array, name: string): void {
  const [ours, theirs] = [classesOf(expected), classesOf([actual])];
  if (ours.length === theirs.length && ours.every((c, k) => c === theirs[k])) return;
  throw new UnusableDataError(
    `append_training ${JSON.stringify(name)}: its labels are ${JSON.stringify(theirs)}, the dataset's ${JSON.stringify(ours)}; the same two classes are needed`,
  );
}

/** The distinct labels, ascending. */
function classesOf(labels: readonly Float64Array[]): number[] {
  const seen = new Set<number>();
  for (const y of labels) for (const label of y) seen.add(label);
  return [...seen].sort((a, b) => a - b);
}

/** `a`'s values then `b`'s: with a matrix's buffers, its rows then the other's (the same number of columns). */
function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
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

import { createHash } from 'node:crypto';
import {
  type Cell,
  CSV_DELIMITERS,
  type DatasetSummary,
  type InputColumn,
  MAX_COLUMN_NAME_LENGTH,
  MAX_MATRIX_FEATURES,
  type TuneRequest,
} from '@mlops/contracts';
import {
  type ColumnRoles,
  categoryAt,
  columnNamed,
  encodeBinaryTarget,
  InvalidDataError,
  inferColumnRoles,
  missingCount,
  type RawTable,
  readRawTable,
  takeTableRows,
  takeValues,
  trainTestSplit,
} from '@mlops/ml';
import { INPUT_EXAMPLE_ROWS, inputExampleOf, type LoadedCsv } from './data-source.js';

type CsvDatasetSpec = Extract<TuneRequest['dataset'], { kind: 'csv' }>;

/** A CSV table refuses more columns than this (each becomes a model input, a signature column, a profile entry). */
export const MAX_TABLE_COLUMNS = 256;
/** A table whose one-hot encoding would give the model more inputs than this is refused, naming the widest columns. */
export const MAX_ENCODED_FEATURES = 1000;
/**
 * At most this many UTF-8 bytes for the categories of a model (twice each: as a category and in a feature name):
 * they travel in each `run.completed`, which must stay well under NATS's 1 MiB message limit.
 */
export const MAX_CATEGORY_BYTES = 400_000;
/** A category longer than this is free text, not a category (a cell of an event holds at most 10,000 characters). */
export const MAX_CATEGORY_LENGTH = 1000;

/** A tuning's data as a raw table (a CSV): each trial fits its own preprocessing on the training side. */
export interface TableTrainingData {
  readonly kind: 'table';
  readonly train: { readonly table: RawTable; readonly y: Float64Array };
  readonly test: { readonly table: RawTable; readonly y: Float64Array };
  readonly roles: ColumnRoles;
  /** The raw columns the models take: numeric then categorical, as the preprocessor orders its output. */
  readonly inputColumns: readonly InputColumn[];
  /** The target's own labels when they are text (classes 0 and 1); numbers are used as they are. */
  readonly classLabels: readonly [string, string] | undefined;
  readonly summary: DatasetSummary;
}

/**
 * Reads a CSV table, decides its column roles, encodes the target (rows without a label left out and counted) and
 * splits the labelled rows as train_test_split does. Anything unusable is an InvalidDataError naming the column.
 */
export function buildTableData(
  spec: CsvDatasetSpec,
  split: TuneRequest['split'],
  { text, source }: LoadedCsv,
): TableTrainingData {
  const { delimiter, decimal } = spec;
  const table = readRawTable(text, { source: spec.path, maxColumns: MAX_TABLE_COLUMNS, delimiter, decimal });
  checkColumnNames(table.columns.map((c) => c.name));
  const roles = inferColumnRoles(table, spec.target, spec.columns ?? {}, decimal);
  const targetColumn = columnNamed(table, spec.target);
  const target = encodeBinaryTarget(targetColumn);
  const labelled = takeTableRows(table, target.rows);
  const y = targetColumn.kind === 'number' ? takeValues(targetColumn.values, target.rows) : Float64Array.from(target.y);
  const { train, test } = trainTestSplit(labelled.rows, {
    testSize: split.test_size,
    randomState: split.random_state,
    ...(split.stratify ? { stratify: y } : {}),
  });
  const trainTable = takeTableRows(labelled, train);
  checkFeatureColumns(labelled, trainTable, roles);
  const inputColumns = inputColumnsOf(table, roles);
  const names = inputColumns.map((c) => c.name);
  const testTable = takeTableRows(labelled, test);
  return {
    kind: 'table',
    train: { table: trainTable, y: takeValues(y, train) },
    test: { table: testTable, y: takeValues(y, test) },
    roles,
    inputColumns,
    classLabels: targetColumn.kind === 'text' ? (target.classes as [string, string]) : undefined,
    summary: {
      name: spec.path,
      digest: tableDigest(labelled, y),
      source,
      feature_names: names,
      feature_kinds: inputColumns.map((c) => c.kind),
      target: spec.target,
      n_train: train.length,
      n_test: test.length,
      input_example: inputExampleOf(tableRows(testTable, names, INPUT_EXAMPLE_ROWS)),
      columns: {
        ...roles,
        numeric: [...roles.numeric],
        categorical: [...roles.categorical],
        excluded: [...roles.excluded],
      },
      rows_without_label: target.missing,
    },
  };
}

/**
 * A table model's columns are sent by name as JSON keys, and the predictor refuses this key (prototype pollution):
 * a model taking it could never be scored.
 */
const UNSENDABLE_COLUMN = '__proto__';
const UNSENDABLE_MESSAGE = `column "${UNSENDABLE_COLUMN}" cannot be a feature: a table model's columns are sent by name as JSON keys, and the predictor refuses that key; rename the column or exclude it (columns.exclude)`;

/** Why a table refuses a column name longer than MAX_COLUMN_NAME_LENGTH, naming the column by its start. */
function longNameMessage(name: string): string {
  const characters = Array.from(name);
  const shown = characters.length <= 40 ? name : `${characters.slice(0, 32).join('')}…`;
  return `column "${shown}" has a name of ${name.length} characters, at most ${MAX_COLUMN_NAME_LENGTH} in a table (its columns travel by name in the tuning's events): rename the column`;
}

/** A table's column names must fit its events (a matrix's feature names have no such limit). */
function checkColumnNames(names: readonly string[]): void {
  const long = names.find((name) => name.length > MAX_COLUMN_NAME_LENGTH);
  if (long !== undefined) throw new InvalidDataError(longNameMessage(long));
}

/**
 * What the intake can tell from a CSV's header alone (before anything is queued): the target and every column a
 * request names must exist, no column may be named twice, a table may not take a column named `__proto__` nor one
 * named with more than MAX_COLUMN_NAME_LENGTH characters, at most MAX_TABLE_COLUMNS columns (a matrix: at most
 * MAX_MATRIX_FEATURES besides the target).
 */
export function headerProblems(header: readonly string[], spec: CsvDatasetSpec): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const names = new Set<string>();
  for (const name of header) {
    if (names.has(name))
      problems.push({ path: 'dataset.path', message: `column "${name}" is named twice in the header` });
    names.add(name);
  }
  problems.push(...tableHeaderProblems(names, spec));
  const maxColumns = spec.features === 'matrix' ? MAX_MATRIX_FEATURES + 1 : MAX_TABLE_COLUMNS;
  if (header.length > maxColumns) {
    problems.push({ path: 'dataset.path', message: `${header.length} columns, at most ${maxColumns}` });
  }
  const listed = `(columns: ${header.slice(0, 30).join(', ')}${header.length > 30 ? ', …' : ''})${separatorHint(header, spec)}`;
  if (!names.has(spec.target)) {
    problems.push({ path: 'dataset.target', message: `no column named "${spec.target}" ${listed}` });
  }
  for (const role of ['exclude', 'categorical', 'numeric'] as const) {
    (spec.columns?.[role] ?? []).forEach((name, i) => {
      if (!names.has(name))
        problems.push({ path: `dataset.columns.${role}.${i}`, message: `"${name}" is not a column ${listed}` });
    });
  }
  return problems;
}

/** What a table (not a matrix) refuses of its header: a feature named `__proto__`, a name its events cannot carry. */
function tableHeaderProblems(names: ReadonlySet<string>, spec: CsvDatasetSpec): { path: string; message: string }[] {
  if (spec.features === 'matrix') return [];
  const excluded = new Set([spec.target, ...(spec.columns?.exclude ?? [])]);
  const unsendable = names.has(UNSENDABLE_COLUMN) && !excluded.has(UNSENDABLE_COLUMN) ? [UNSENDABLE_MESSAGE] : [];
  const long = [...names].filter((name) => name.length > MAX_COLUMN_NAME_LENGTH).map(longNameMessage);
  return [...unsendable, ...long].map((message) => ({ path: 'dataset.path', message }));
}

/** The first `count` rows of a table as raw cells in the order of `names` (numbers, text, null where missing). */
export function tableRows(table: RawTable, names: readonly string[], count: number): Cell[][] {
  const columns = names.map((name) => columnNamed(table, name));
  return Array.from({ length: Math.min(count, table.rows) }, (_, i) => columns.map((column) => categoryAt(column, i)));
}

function inputColumnsOf(table: RawTable, roles: ColumnRoles): InputColumn[] {
  const kindOf = (name: string) => columnNamed(table, name).kind;
  return [
    ...roles.numeric.map((name): InputColumn => ({ name, kind: kindOf(name), role: 'numeric' })),
    ...roles.categorical.map((name): InputColumn => ({ name, kind: kindOf(name), role: 'categorical' })),
  ];
}

/**
 * What the models and their events can take: every feature has a value in the training rows; a text category is
 * at most MAX_CATEGORY_LENGTH characters in any labelled row (the test rows travel as the gate's holdout); the
 * categories fit MAX_CATEGORY_BYTES (each travels twice in run.completed: as a category and in a feature name); at
 * most MAX_ENCODED_FEATURES one-hot inputs.
 */
function checkFeatureColumns(labelled: RawTable, train: RawTable, roles: ColumnRoles): void {
  for (const name of [...roles.numeric, ...roles.categorical]) {
    if (name === UNSENDABLE_COLUMN) throw new InvalidDataError(UNSENDABLE_MESSAGE);
    if (missingCount(columnNamed(train, name)) === train.rows) {
      throw new InvalidDataError(`column "${name}" has no value in the training rows: exclude it or fill it`);
    }
  }
  let bytes = 0;
  const widths = roles.categorical.map((name) => {
    const column = columnNamed(labelled, name);
    if (column.kind === 'text') checkCategoryLengths(column.values, name);
    const trained = columnNamed(train, name);
    const distinct = new Set<Cell>();
    for (let i = 0; i < train.rows; i++) distinct.add(categoryAt(trained, i));
    for (const category of distinct) bytes += 2 * Buffer.byteLength(String(category)) + Buffer.byteLength(name) + 8;
    return { name, width: distinct.size };
  });
  if (bytes > MAX_CATEGORY_BYTES) {
    throw new InvalidDataError(
      `the categories of ${roles.categorical.map((n) => `"${n}"`).join(', ')} take ${bytes} bytes in each model, at most ${MAX_CATEGORY_BYTES}: exclude the columns of long or free text (columns.exclude)`,
    );
  }
  const total = widths.reduce((sum, w) => sum + w.width, roles.numeric.length);
  if (total <= MAX_ENCODED_FEATURES) return;
  const widest = widths
    .sort((a, b) => b.width - a.width)
    .slice(0, 3)
    .map((w) => `"${w.name}" (${w.width} values)`);
  throw new InvalidDataError(
    `one-hot encoding gives ${total} model inputs, at most ${MAX_ENCODED_FEATURES}: the widest categorical columns are ${widest.join(', ')}; exclude them (columns.exclude) or treat number columns as numeric (columns.numeric)`,
  );
}

function checkCategoryLengths(values: readonly (string | null)[], name: string): void {
  for (const value of values) {
    if (value !== null && value.length > MAX_CATEGORY_LENGTH) {
      throw new InvalidDataError(
        `column "${name}" holds text of ${value.length} characters, at most ${MAX_CATEGORY_LENGTH} for a category: free text cannot be one-hot encoded; exclude it (columns.exclude)`,
      );
    }
  }
}

/** 16 hex characters of SHA-256 over the labelled table (names, kinds, every cell) and its labels. */
function tableDigest(table: RawTable, y: Float64Array): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(table.columns.map((c) => [c.name, c.kind])));
  for (const column of table.columns) {
    if (column.kind === 'number')
      hash.update(new Uint8Array(column.values.buffer, column.values.byteOffset, column.values.byteLength));
    else hash.update(JSON.stringify(column.values));
  }
  hash.update(new Uint8Array(y.buffer, y.byteOffset, y.byteLength));
  return hash.digest('hex').slice(0, 16);
}

/** A hint for a header read as one column holding another separator: the request should name it. */
function separatorHint(header: readonly string[], spec: CsvDatasetSpec): string {
  const [only] = header;
  if (header.length !== 1 || only === undefined) return '';
  const separator = CSV_DELIMITERS.find((d) => d !== (spec.delimiter ?? ',') && only.includes(d));
  if (separator === undefined) return '';
  const shown = JSON.stringify(separator);
  return `: the header reads as one column, so the file seems separated by ${shown}; say so with "delimiter": ${shown} (mlops tune --delimiter ${separator === '\t' ? 'tab' : `'${separator}'`})`;
}

import {
  type ColumnSpec,
  type DenseMatrix,
  InvalidDataError,
  isBlankRecord,
  isDecimalCell,
  MISSING_CELLS,
  numberCell,
  type RawColumn,
  type RawTable,
  readCsvRecords,
  textCell,
} from '@mlops/ml';
import { BadScoringRequest, checkRowCount, type ScoringLimits } from '../../domain/scoring-rules.js';
import type { TableInput } from '../../domain/served-model.js';
import { firstOutOfType } from './open-inference.js';
import { NUMERIC_DATATYPES } from './schemas.js';
import { EMPTY_CSV, refuseRepeatedColumns, requireOneField } from './scoring-request.js';

const NUMERIC: ReadonlySet<string> = new Set(NUMERIC_DATATYPES);

/** A table request's rows twice: encoded for the model, and as raw columns coded for the prediction log. */
export interface EncodedTable {
  /** Imputed, scaled and one-hot encoded: what the model scores. */
  readonly X: DenseMatrix;
  /** The raw columns coded (CompiledPreprocessor.codes): what the prediction log records. */
  readonly rawCodes: DenseMatrix;
}

/**
 * Raw rows to the model's matrix: the cells are checked against the columns (a number or null for a number column,
 * text or null for a text column; an error names the row and the column), then imputed, scaled and encoded; and to
 * the raw columns coded for the prediction log.
 */
export function encodeTable(input: TableInput, build: (columns: readonly ColumnSpec[]) => RawTable): EncodedTable {
  let table: RawTable;
  try {
    table = build(input.columns);
  } catch (err) {
    if (err instanceof InvalidDataError) throw new BadScoringRequest(err.message, 400, { cause: err });
    throw err;
  }
  return { X: input.preprocessor.transform(table), rawCodes: input.preprocessor.codes(table) };
}

/** Named rows (`records`, `dataframe_records`): every column required (null for a missing value). */
export function recordsTable(
  records: unknown,
  columns: readonly ColumnSpec[],
  limits: ScoringLimits,
  where: string,
): RawTable {
  if (!Array.isArray(records)) throw new BadScoringRequest(`${where} must be an array of objects`);
  checkRowCount(records.length, limits, where);
  records.forEach((record, i) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new BadScoringRequest(`${where}[${i}] must be an object of column values`);
    }
    for (const { name } of columns) {
      if (!Object.hasOwn(record, name)) {
        throw new BadScoringRequest(`${where}[${i}] lacks column "${name}" (send null for a missing value)`);
      }
    }
  });
  const rows = records as Record<string, unknown>[];
  return buildColumns(columns, rows.length, (i, j) => rows[i]![columns[j]!.name], where);
}

/**
 * Refuses rows sent by position to a table model. Its columns are read by name only: a row in another order (its
 * CSV's, say) would otherwise be scored without an error, a number landing in another number column or counted as
 * an unseen category. The message lists the columns in the model's order and the named forms to send instead.
 */
function positionalRefused(where: string, columns: readonly ColumnSpec[], byName: string): BadScoringRequest {
  const names = columns.map(({ name }) => name).join(', ');
  return new BadScoringRequest(
    `${where}: this model reads its columns by name, not by position (its columns, in order: ${names}); send ${byName}`,
  );
}

/** `{"c1": …, "c2": …}`: a record naming the first columns, for the messages that show how to send them. */
function recordExample(columns: readonly ColumnSpec[]): string {
  const shown = columns.slice(0, 3).map(({ name }) => `${JSON.stringify(name)}: …`);
  return `{${[...shown, ...(columns.length > 3 ? ['…'] : [])].join(', ')}}`;
}

/**
 * How to send rows by name to `/invocations`: records, an object of columns (`instances`/`inputs`), a split frame with
 * its columns, or CSV with a header.
 */
function invocationsByName(columns: readonly ColumnSpec[], field: string): string {
  const names = columns.map(({ name }) => JSON.stringify(name));
  const recordsField = field === 'instances' || field === 'inputs' ? field : 'dataframe_records';
  const shown = columns.slice(0, 2).map(({ name }) => `${JSON.stringify(name)}: […]`);
  const columnar = `{"${recordsField}": {${[...shown, ...(columns.length > 2 ? ['…'] : [])].join(', ')}}}`;
  return [
    `records ({"${recordsField}": [${recordExample(columns)}]}, one object per row)`,
    ...(recordsField === 'dataframe_records' ? [] : [`an object of columns (${columnar}, one array per column)`]),
    `a split frame with its columns ({"dataframe_split": {"columns": [${names.join(', ')}], "data": [[…]]}})`,
    'or text/csv whose first line names the columns',
  ].join(', ');
}

/** Rows whose cells are already in the model's column order (a split frame or CSV, reordered by their column names). */
function orderedRows(
  rows: readonly (readonly unknown[])[],
  columns: readonly ColumnSpec[],
  limits: ScoringLimits,
  where: string,
): RawTable {
  checkRowCount(rows.length, limits, where);
  return buildColumns(columns, rows.length, (i, j) => rows[i]![j], where);
}

/** `dataframe_split`: the model's columns found by name among `names` (extra columns are ignored, as MLflow does). */
export function splitTable(
  names: readonly string[],
  data: unknown,
  columns: readonly ColumnSpec[],
  limits: ScoringLimits,
): RawTable {
  refuseRepeatedColumns(names);
  const order = columns.map(({ name }) => {
    const at = names.indexOf(name);
    if (at < 0) throw new BadScoringRequest(`dataframe_split.columns lacks column "${name}"`);
    return at;
  });
  if (!Array.isArray(data)) throw new BadScoringRequest('dataframe_split.data must be an array of rows');
  const rows = data.map((row) => {
    if (!Array.isArray(row) || row.length !== names.length) {
      throw new BadScoringRequest(`dataframe_split.data rows must have ${names.length} values, one per column`);
    }
    return order.map((at) => row[at]);
  });
  return orderedRows(rows, columns, limits, 'dataframe_split.data');
}

/** A CSV body with a header naming the columns; its cells untrimmed, as pandas.read_csv and training read them. */
export function csvTable(text: string, columns: readonly ColumnSpec[], limits: ScoringLimits): RawTable {
  let records: ReturnType<typeof readCsvRecords>;
  try {
    records = readCsvRecords(text, 'CSV').filter((r) => !isBlankRecord(r));
  } catch (err) {
    throw new BadScoringRequest((err as Error).message, 400, { cause: err });
  }
  const [first, ...rows] = records;
  if (first === undefined) throw new BadScoringRequest(EMPTY_CSV);
  const header = first.cells.map((cell) => cell.trim());
  // The header first: a body without one (rows by position) is refused as such, whatever its number of rows.
  const order = columns.map(({ name }) => {
    const at = header.indexOf(name);
    if (at < 0) {
      throw new BadScoringRequest(
        `CSV header lacks column "${name}": the first line must name the columns (${columns.map((c) => c.name).join(', ')}, in any order)`,
      );
    }
    return at;
  });
  checkRowCount(rows.length, limits, 'CSV');
  const cells = rows.map(({ cells: row, line }) => {
    if (row.length !== header.length) {
      throw new BadScoringRequest(`CSV line ${line} has ${row.length} cells, the header has ${header.length}`);
    }
    return order.map((at, j) => csvCell(row[at]!, columns[j]!, line));
  });
  return orderedRows(cells, columns, limits, 'CSV');
}

function csvCell(cell: string, column: ColumnSpec, line: number): number | string | null {
  if (MISSING_CELLS.has(cell)) return null;
  if (column.kind === 'text') return cell;
  // Decimal numbers only, as pandas reads them: Number() would also take 0x10, 0b1 and 0o7. A blank cell (" ") is no
  // number: pandas reads the column as text, which the logged model's schema refuses.
  const value = isDecimalCell(cell) ? Number(cell) : Number.NaN;
  if (!Number.isFinite(value)) {
    throw new BadScoringRequest(
      `CSV line ${line}: column "${column.name}" takes a number, got ${JSON.stringify(cell)}`,
    );
  }
  return value;
}

/** The table of `rows` rows from a cell reader; a cell of the wrong type is a 400 naming the row and the column. */
function buildColumns(
  columns: readonly ColumnSpec[],
  rows: number,
  cell: (row: number, column: number) => unknown,
  where: string | ((row: number, column: string) => string),
): RawTable {
  const at = typeof where === 'string' ? (row: number) => `${where}[${row}]` : where;
  try {
    const out = columns.map((spec, j): RawColumn => {
      if (spec.kind === 'number') {
        const values = new Float64Array(rows);
        for (let i = 0; i < rows; i++) {
          const value = cell(i, j);
          // A finite number inline; anything else (null, a wrong type) through the reader, which names the cell.
          values[i] =
            typeof value === 'number' && Number.isFinite(value)
              ? value
              : numberCell(value, spec.name, at(i, spec.name));
        }
        return { name: spec.name, kind: 'number', values };
      }
      const values = new Array<string | null>(rows);
      for (let i = 0; i < rows; i++) values[i] = textCell(cell(i, j), spec.name, at(i, spec.name));
      return { name: spec.name, kind: 'text', values };
    });
    return { rows, columns: out };
  } catch (err) {
    if (err instanceof InvalidDataError) throw new BadScoringRequest(err.message, 400, { cause: err });
    throw err;
  }
}

/** `POST /predict` for a table model: `{"records": [{column: value, …}]}`; `features` (by position) is refused. */
export function predictTable(body: unknown, columns: readonly ColumnSpec[], limits: ScoringLimits): RawTable {
  const field = requireOneField(body, ['records', 'features']);
  if (field === 'features') {
    throw positionalRefused('features', columns, `{"records": [${recordExample(columns)}]}, one object per row`);
  }
  return recordsTable((body as Record<string, unknown>).records, columns, limits, 'records');
}

/**
 * `POST /invocations` (JSON) for a table model: `dataframe_split` with its `columns`, `dataframe_records`, or
 * `instances`/`inputs` as records or as an object of columns. Rows by position (a split frame without columns, lists in `instances`/`inputs`)
 * are refused, naming the columns and the forms above.
 */
export function invocationsTable(body: unknown, columns: readonly ColumnSpec[], limits: ScoringLimits): RawTable {
  const field = requireOneField(body, ['dataframe_split', 'dataframe_records', 'instances', 'inputs']);
  const value = (body as Record<string, unknown>)[field];
  if (field === 'instances' || field === 'inputs') refuseOtherKeys(body as Record<string, unknown>, field);
  if (field === 'dataframe_split') {
    const split = value as { columns?: unknown; data?: unknown } | null;
    if (typeof split !== 'object' || split === null) throw new BadScoringRequest('dataframe_split must be an object');
    if (split.columns === undefined) {
      throw positionalRefused('dataframe_split', columns, invocationsByName(columns, field));
    }
    if (!Array.isArray(split.columns) || !split.columns.every((c) => typeof c === 'string')) {
      throw new BadScoringRequest('dataframe_split.columns must be an array of column names');
    }
    return splitTable(split.columns, split.data, columns, limits);
  }
  if (field !== 'dataframe_records' && isColumnsObject(value)) return columnsTable(value, columns, limits, field);
  // A list or a bare cell among the rows is a row by position (null or another non-record is named by recordsTable).
  if (
    field !== 'dataframe_records' &&
    Array.isArray(value) &&
    value.some((row) => typeof row !== 'object' || Array.isArray(row))
  ) {
    throw positionalRefused(field, columns, invocationsByName(columns, field));
  }
  return recordsTable(value, columns, limits, field);
}

/** `instances`/`inputs` come alone, with `params` at most, as MLflow's scoring server has them. */
function refuseOtherKeys(body: Record<string, unknown>, field: string): void {
  const other = Object.keys(body).find((key) => key !== field && key !== 'params');
  if (other !== undefined) {
    throw new BadScoringRequest(`${field} comes alone (with "params" at most), as in MLflow; got "${other}" beside it`);
  }
}

function isColumnsObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `{"inputs": {"plan": ["basic", …], "tenure": [12, …]}}`: one array per column, all of one length (MLflow's columnar
 * `inputs` or `instances`, read as pandas reads a dict of lists); columns the model does not take are ignored, but
 * their lists too must have the rows' length.
 */
function columnsTable(
  value: Record<string, unknown>,
  columns: readonly ColumnSpec[],
  limits: ScoringLimits,
  where: string,
): RawTable {
  let rows = -1;
  const data = columns.map(({ name }) => {
    const column = Object.hasOwn(value, name) ? value[name] : undefined;
    if (column === undefined) {
      throw new BadScoringRequest(
        `${where} lacks column "${name}": as an object it holds one array per column (${columns.map((c) => c.name).join(', ')}), null for a missing value`,
      );
    }
    if (!Array.isArray(column)) throw new BadScoringRequest(`${where}.${name} must be an array, one value per row`);
    if (rows >= 0 && column.length !== rows) {
      throw new BadScoringRequest(`${where}.${name} has ${column.length} values, other columns have ${rows}`);
    }
    rows = column.length;
    return column as unknown[];
  });
  // As pandas builds a frame from a dict of lists: every list, taken by the model or not, has one length.
  for (const [name, column] of Object.entries(value)) {
    if (Array.isArray(column) && column.length !== rows) {
      throw new BadScoringRequest(`${where}.${name} has ${column.length} values, other columns have ${rows}`);
    }
  }
  checkRowCount(Math.max(rows, 0), limits, where);
  return buildColumns(columns, rows, (i, j) => data[j]![i], where);
}

/**
 * `POST /v2/models/{name}/infer` for a table model: one input per column, shape [N], a numeric datatype for a number
 * column (its values checked against it) and BYTES for text.
 */
export function inferTable(body: unknown, columns: readonly ColumnSpec[], limits: ScoringLimits): RawTable {
  const inputs = (body as { inputs?: unknown } | null)?.inputs;
  if (!Array.isArray(inputs)) throw new BadScoringRequest('inputs must be an array of tensors, one per column');
  const byName = new Map<string, { shape?: unknown; data?: unknown; datatype?: unknown }>();
  for (const tensor of inputs) {
    if (typeof tensor !== 'object' || tensor === null || typeof tensor.name !== 'string') continue;
    if (byName.has(tensor.name)) throw new BadScoringRequest(`inputs names "${tensor.name}" more than once`);
    byName.set(tensor.name, tensor);
  }
  let rows = -1;
  const data = columns.map(({ name, kind }) => {
    const tensor = byName.get(name);
    if (tensor === undefined) {
      throw new BadScoringRequest(
        `inputs lacks column "${name}": this model takes one tensor per column, named ${columns.map((c) => c.name).join(', ')}`,
      );
    }
    const takes = kind === 'text' ? tensor.datatype === 'BYTES' : NUMERIC.has(tensor.datatype as string);
    if (!takes) {
      const expected = kind === 'text' ? 'BYTES' : 'a numeric datatype (FP64, FP32, INT64, …)';
      throw new BadScoringRequest(
        `inputs "${name}": datatype must be ${expected}, got ${JSON.stringify(tensor.datatype)}`,
      );
    }
    const values = columnValues(name, tensor);
    const outOfType =
      kind === 'number' ? firstOutOfType(tensor.datatype as string, values, `inputs "${name}"`) : undefined;
    if (outOfType !== undefined) throw new BadScoringRequest(outOfType);
    if (rows >= 0 && values.length !== rows) {
      throw new BadScoringRequest(`inputs "${name}" has ${values.length} values, other columns have ${rows}`);
    }
    rows = values.length;
    return values;
  });
  checkRowCount(Math.max(rows, 0), limits, 'inputs');
  return buildColumns(
    columns,
    rows,
    (i, j) => data[j]![i],
    (i, column) => `inputs "${column}".data[${i}]`,
  );
}

/**
 * A column tensor's values, one per row: shape [N] with N values, or [N, 1] (as MLServer's pandas codec sends a
 * column) with N values flat or N one-value rows. Any other shape, or one its data does not fill, is a 400.
 */
function columnValues(name: string, tensor: { shape?: unknown; data?: unknown }): unknown[] {
  if (!Array.isArray(tensor.data)) throw new BadScoringRequest(`inputs "${name}": data must be an array`);
  const shape = tensor.shape;
  const rows = Array.isArray(shape) ? shape[0] : undefined;
  const column = Array.isArray(shape) && (shape.length === 1 || (shape.length === 2 && shape[1] === 1));
  const nested = column && shape.length === 2 && tensor.data.every((v) => Array.isArray(v) && v.length === 1);
  const values = nested ? (tensor.data as unknown[][]).map((v) => v[0]) : (tensor.data as unknown[]);
  if (!column || rows !== values.length) {
    throw new BadScoringRequest(
      `inputs "${name}": shape must be [rows] or [rows, 1], here [${values.length}] for its ${values.length} values, got ${JSON.stringify(shape ?? null)}`,
    );
  }
  return values;
}

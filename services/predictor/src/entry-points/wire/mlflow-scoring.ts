import { type CsvRecord, CsvSyntaxError, type DenseMatrix, isBlankRecord, isDecimalCell, readCsv } from '@mlops/ml';
import { BadScoringRequest, checkRowCount, type ScoringLimits } from '../../domain/scoring-rules.js';
import { InvocationsRequestShapes, PositionalSplit } from './schemas.js';
import {
  EMPTY_CSV,
  notFinite,
  recordsToMatrix,
  refuseRepeatedColumns,
  requireOneField,
  rowsToMatrix,
  validateBody,
} from './scoring-request.js';

const JSON_FIELDS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

type Row = number | readonly number[] | Readonly<Record<string, unknown>>;

/**
 * MLflow's scoring protocol (`POST /invocations`, JSON): exactly one of `dataframe_split`, `dataframe_records`,
 * `instances` or `inputs` (plus optional `params`), turned into a matrix in the model's feature order.
 */
export function parseMlflowJson(body: unknown, featureNames: readonly string[], limits: ScoringLimits): DenseMatrix {
  const field = requireOneField(body, JSON_FIELDS);
  if (field === 'dataframe_split') {
    const { columns, data } = validateBody(InvocationsRequestShapes.dataframe_split, body).dataframe_split;
    if (columns === undefined) {
      const rows = validateBody(PositionalSplit, body).dataframe_split.data;
      return rowsToMatrix(rows, featureNames.length, limits, 'dataframe_split.data');
    }
    return splitToMatrix(columns, data, featureNames, limits);
  }
  if (field === 'dataframe_records') {
    const { dataframe_records } = validateBody(InvocationsRequestShapes.dataframe_records, body);
    return recordsToMatrix(dataframe_records, featureNames, limits, field, false);
  }
  const value =
    field === 'instances'
      ? validateBody(InvocationsRequestShapes.instances, body).instances
      : validateBody(InvocationsRequestShapes.inputs, body).inputs;
  if (!Array.isArray(value)) return columnsToMatrix(value, featureNames, limits);
  return rowsOfAnyShape(value, featureNames, limits, field);
}

/** MLflow's CSV body (RFC 4180, read by libs/ml): a header row naming the features, then one row per sample. */
export function parseMlflowCsv(text: string, featureNames: readonly string[], limits: ScoringLimits): DenseMatrix {
  const [first, ...rows] = readCsvRecords(text);
  if (first === undefined) throw new BadScoringRequest(EMPTY_CSV);
  const header = first.cells.map((cell) => cell.trim());
  const columns = featureNames.map((name) => {
    const index = header.indexOf(name);
    if (index < 0) throw new BadScoringRequest(`CSV header lacks feature "${name}"`);
    return index;
  });
  checkRowCount(rows.length, limits, 'CSV');
  const width = featureNames.length;
  const data = new Float64Array(rows.length * width);
  rows.forEach(({ cells, line }, r) => {
    if (cells.length !== header.length) {
      throw new BadScoringRequest(
        `CSV row ${r + 1} (line ${line}): ${cells.length} cells, the header has ${header.length}`,
      );
    }
    for (let j = 0; j < width; j++) {
      const cell = (cells[columns[j] as number] as string).trim();
      // Decimal numbers only, as pandas reads them: Number() would also take 0x10, 0b1 and 0o7.
      const value = isDecimalCell(cell) ? Number(cell) : Number.NaN;
      if (!Number.isFinite(value)) {
        throw new BadScoringRequest(
          `CSV row ${r + 1}, column "${featureNames[j]}": ${JSON.stringify(cell)} is not a finite number`,
        );
      }
      data[r * width + j] = value;
    }
  });
  return { rows: rows.length, cols: width, data };
}

function readCsvRecords(text: string): CsvRecord[] {
  try {
    return readCsv(text).filter((record) => !isBlankRecord(record));
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new BadScoringRequest(`CSV ${err.message}`, 400, { cause: err });
    throw err;
  }
}

function rowsOfAnyShape(rows: readonly Row[], featureNames: readonly string[], limits: ScoringLimits, field: string) {
  if (rows.length > 0 && typeof rows[0] === 'object' && !Array.isArray(rows[0])) {
    if (!rows.every((r) => typeof r === 'object' && !Array.isArray(r))) {
      throw new BadScoringRequest(`${field}: mixes records and rows; send one kind`);
    }
    return recordsToMatrix(rows as Record<string, unknown>[], featureNames, limits, field, false);
  }
  if (rows.some((r) => typeof r === 'object' && !Array.isArray(r))) {
    throw new BadScoringRequest(`${field}: mixes records and rows; send one kind`);
  }
  return rowsToMatrix(rows as (number | number[])[], featureNames.length, limits, field);
}

function splitToMatrix(
  columns: readonly string[],
  data: readonly (readonly unknown[])[],
  featureNames: readonly string[],
  limits: ScoringLimits,
): DenseMatrix {
  refuseRepeatedColumns(columns);
  const order = featureNames.map((name) => {
    const index = columns.indexOf(name);
    if (index < 0) throw new BadScoringRequest(`dataframe_split.columns lacks feature "${name}"`);
    return index;
  });
  checkRowCount(data.length, limits, 'dataframe_split.data');
  const width = featureNames.length;
  const out = new Float64Array(data.length * width);
  for (let i = 0; i < data.length; i++) {
    const row = data[i] as readonly unknown[];
    if (row.length !== columns.length) {
      throw new BadScoringRequest(
        `dataframe_split.data[${i}] has ${row.length} values, one per column (${columns.length}) expected`,
      );
    }
    for (let j = 0; j < width; j++) {
      const value = row[order[j] as number];
      out[i * width + j] =
        typeof value === 'number' && Number.isFinite(value)
          ? value
          : notFinite(value, `dataframe_split.data[${i}] column "${featureNames[j]}"`);
    }
  }
  return { rows: data.length, cols: width, data: out };
}

function columnsToMatrix(
  columns: Readonly<Record<string, readonly unknown[]>>,
  featureNames: readonly string[],
  limits: ScoringLimits,
): DenseMatrix {
  const first = columns[featureNames[0] as string];
  if (first === undefined || !Object.hasOwn(columns, featureNames[0] as string)) {
    throw new BadScoringRequest(`inputs must hold one array per feature; "${featureNames[0]}" is missing`);
  }
  // As pandas builds a frame from a dict of lists: every list, a feature's or not, has one length.
  for (const [name, column] of Object.entries(columns)) {
    if (column.length !== first.length) {
      throw new BadScoringRequest(
        `inputs.${name} has ${column.length} values, "${featureNames[0]}" has ${first.length}`,
      );
    }
  }
  checkRowCount(first.length, limits, 'inputs');
  const width = featureNames.length;
  const out = new Float64Array(first.length * width);
  featureNames.forEach((name, j) => {
    const column = Object.hasOwn(columns, name) ? columns[name] : undefined;
    if (column === undefined) throw new BadScoringRequest(`inputs.${name} must be an array of ${first.length} numbers`);
    for (let i = 0; i < first.length; i++) {
      const value = column[i];
      out[i * width + j] =
        typeof value === 'number' && Number.isFinite(value) ? value : notFinite(value, `inputs.${name}[${i}]`);
    }
  });
  return { rows: first.length, cols: width, data: out };
}

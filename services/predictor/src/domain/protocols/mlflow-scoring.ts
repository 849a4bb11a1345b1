import type { DenseMatrix } from '@mlops/ml';
import { BadScoringRequest } from '../scoring-request.js';

const JSON_FIELDS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

/**
 * MLflow's scoring protocol (`POST /invocations`, JSON): exactly one of `dataframe_split`, `dataframe_records`,
 * `instances` or `inputs` (plus optional `params`), turned into a matrix in the model's feature order.
 */
export function parseMlflowJson(body: unknown, featureNames: readonly string[], maxRows: number): DenseMatrix {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadScoringRequest(
      `The input must be a JSON dictionary with exactly one of the input fields {${JSON_FIELDS.join(', ')}}`,
    );
  }
  const record = body as Record<string, unknown>;
  const present = JSON_FIELDS.filter((field) => field in record);
  if (present.length !== 1) {
    throw new BadScoringRequest(
      `The input must be a JSON dictionary with exactly one of the input fields {${JSON_FIELDS.join(', ')}}; got ${present.length === 0 ? 'none' : present.join(', ')}`,
    );
  }
  const field = present[0]!;
  const value = record[field];
  if (field === 'dataframe_split') return fromSplit(value, featureNames, maxRows);
  if (field === 'dataframe_records') return fromRecords(value, featureNames, maxRows, field);
  if (Array.isArray(value) && value.length > 0 && isPlainObject(value[0])) {
    return fromRecords(value, featureNames, maxRows, field);
  }
  if (field === 'inputs' && isPlainObject(value))
    return fromColumns(value as Record<string, unknown>, featureNames, maxRows);
  return fromRows(value, featureNames.length, maxRows, field);
}

/** MLflow's CSV body: a header row naming the features, then one row per sample. */
export function parseMlflowCsv(text: string, featureNames: readonly string[], maxRows: number): DenseMatrix {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  const columns = featureNames.map((name) => {
    const index = header.indexOf(name);
    if (index < 0) throw new BadScoringRequest(`CSV header lacks feature "${name}"`);
    return index;
  });
  const rows = lines.slice(1).map((line) => line.split(','));
  checkRows(rows.length, maxRows);
  const width = featureNames.length;
  const data = new Float64Array(rows.length * width);
  rows.forEach((cells, i) => {
    columns.forEach((index, j) => {
      data[i * width + j] = finite(Number(cells[index]?.trim() ?? ''), `CSV row ${i + 1}, column "${featureNames[j]}"`);
    });
  });
  return { rows: rows.length, cols: width, data };
}

function fromSplit(value: unknown, featureNames: readonly string[], maxRows: number): DenseMatrix {
  if (!isPlainObject(value)) throw new BadScoringRequest('dataframe_split must be an object with "columns" and "data"');
  const { columns, data } = value as { columns?: unknown; data?: unknown };
  if (!Array.isArray(data)) throw new BadScoringRequest('dataframe_split.data must be an array of rows');
  if (columns === undefined) return fromRows(data, featureNames.length, maxRows, 'dataframe_split.data');
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) {
    throw new BadScoringRequest('dataframe_split.columns must be an array of feature names');
  }
  const order = featureNames.map((name) => {
    const index = columns.indexOf(name);
    if (index < 0) throw new BadScoringRequest(`dataframe_split.columns lacks feature "${name}"`);
    return index;
  });
  checkRows(data.length, maxRows);
  const width = featureNames.length;
  const out = new Float64Array(data.length * width);
  data.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== columns.length) {
      throw new BadScoringRequest(`dataframe_split.data[${i}] must have ${columns.length} values, one per column`);
    }
    order.forEach((index, j) => {
      out[i * width + j] = finite(row[index], `dataframe_split.data[${i}][${index}]`);
    });
  });
  return { rows: data.length, cols: width, data: out };
}

function fromRecords(value: unknown, featureNames: readonly string[], maxRows: number, field: string): DenseMatrix {
  if (!Array.isArray(value)) throw new BadScoringRequest(`${field} must be an array of objects`);
  checkRows(value.length, maxRows);
  const width = featureNames.length;
  const out = new Float64Array(value.length * width);
  value.forEach((record, i) => {
    if (!isPlainObject(record))
      throw new BadScoringRequest(`${field}[${i}] must be an object of feature name to number`);
    featureNames.forEach((name, j) => {
      if (!(name in record)) throw new BadScoringRequest(`${field}[${i}] lacks feature "${name}"`);
      out[i * width + j] = finite((record as Record<string, unknown>)[name], `${field}[${i}].${name}`);
    });
  });
  return { rows: value.length, cols: width, data: out };
}

function fromColumns(columns: Record<string, unknown>, featureNames: readonly string[], maxRows: number): DenseMatrix {
  const first = columns[featureNames[0]!];
  if (!Array.isArray(first))
    throw new BadScoringRequest(`inputs must hold one array per feature; "${featureNames[0]}" is missing`);
  checkRows(first.length, maxRows);
  const width = featureNames.length;
  const out = new Float64Array(first.length * width);
  featureNames.forEach((name, j) => {
    const column = columns[name];
    if (!Array.isArray(column) || column.length !== first.length) {
      throw new BadScoringRequest(`inputs.${name} must be an array of ${first.length} numbers`);
    }
    column.forEach((v, i) => {
      out[i * width + j] = finite(v, `inputs.${name}[${i}]`);
    });
  });
  return { rows: first.length, cols: width, data: out };
}

function fromRows(value: unknown, width: number, maxRows: number, field: string): DenseMatrix {
  if (!Array.isArray(value)) throw new BadScoringRequest(`${field} must be an array of rows`);
  const rows = value.length > 0 && !Array.isArray(value[0]) ? [value] : value;
  checkRows(rows.length, maxRows);
  const out = new Float64Array(rows.length * width);
  rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== width) {
      throw new BadScoringRequest(`${field}[${i}] must have ${width} values, the model expects ${width} features`);
    }
    row.forEach((v, j) => {
      out[i * width + j] = finite(v, `${field}[${i}][${j}]`);
    });
  });
  return { rows: rows.length, cols: width, data: out };
}

function checkRows(rows: number, maxRows: number): void {
  if (rows === 0) throw new BadScoringRequest('the input has no rows');
  if (rows > maxRows) throw new BadScoringRequest(`the input has ${rows} rows, at most ${maxRows}`);
}

function finite(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new BadScoringRequest(`${where} must be a finite number, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

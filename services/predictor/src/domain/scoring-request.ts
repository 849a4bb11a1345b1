import type { DenseMatrix } from '@mlops/ml';

/** A request body the predictor cannot score; `message` names the problem and where it is. */
export class BadScoringRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadScoringRequest';
  }
}

/** Limits applied while parsing. */
export interface ScoringLimits {
  readonly maxRows: number;
}

/**
 * Turns a JSON body into a matrix in the model's feature order. Accepted shapes:
 * `{"features": [x0, ..., xd]}` (one row), `{"features": [[...], ...]}` (many rows), and
 * `{"records": [{"x0": 1.2, ...}, ...]}` (named features, any key order, every feature required).
 */
export function parseScoringRequest(
  body: unknown,
  featureNames: readonly string[],
  limits: ScoringLimits,
): DenseMatrix {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadScoringRequest('body must be a JSON object with "features" or "records"');
  }
  const record = body as Record<string, unknown>;
  const keys = Object.keys(record);
  const shape = keys.filter((k) => k === 'features' || k === 'records');
  if (shape.length !== 1) throw new BadScoringRequest('body must have exactly one of "features" or "records"');
  const unknown = keys.filter((k) => k !== 'features' && k !== 'records');
  if (unknown.length > 0) throw new BadScoringRequest(`unknown field(s): ${unknown.join(', ')}`);
  return shape[0] === 'features'
    ? fromFeatures(record.features, featureNames.length, limits)
    : fromRecords(record.records, featureNames, limits);
}

function fromFeatures(features: unknown, width: number, limits: ScoringLimits): DenseMatrix {
  if (!Array.isArray(features)) throw new BadScoringRequest('"features" must be an array of numbers or of rows');
  const rows: unknown[] = features.length > 0 && !Array.isArray(features[0]) ? [features] : features;
  checkRowCount(rows.length, limits);
  const data = new Float64Array(rows.length * width);
  rows.forEach((row, i) => {
    if (!Array.isArray(row)) throw new BadScoringRequest(`features[${i}] must be an array of ${width} numbers`);
    if (row.length !== width) {
      throw new BadScoringRequest(`features[${i}] has ${row.length} values, the model expects ${width}`);
    }
    for (let j = 0; j < width; j++) data[i * width + j] = finiteNumber(row[j], `features[${i}][${j}]`);
  });
  return { rows: rows.length, cols: width, data };
}

function fromRecords(records: unknown, featureNames: readonly string[], limits: ScoringLimits): DenseMatrix {
  if (!Array.isArray(records)) throw new BadScoringRequest('"records" must be an array of objects');
  checkRowCount(records.length, limits);
  const width = featureNames.length;
  const data = new Float64Array(records.length * width);
  records.forEach((record, i) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new BadScoringRequest(`records[${i}] must be an object of feature name to number`);
    }
    const values = record as Record<string, unknown>;
    const extra = Object.keys(values).filter((k) => !featureNames.includes(k));
    if (extra.length > 0) throw new BadScoringRequest(`records[${i}] has unknown feature(s): ${extra.join(', ')}`);
    featureNames.forEach((name, j) => {
      if (!(name in values)) throw new BadScoringRequest(`records[${i}] lacks feature "${name}"`);
      data[i * width + j] = finiteNumber(values[name], `records[${i}].${name}`);
    });
  });
  return { rows: records.length, cols: width, data };
}

function checkRowCount(rows: number, limits: ScoringLimits): void {
  if (rows === 0) throw new BadScoringRequest('the batch is empty: send at least one row');
  if (rows > limits.maxRows) throw new BadScoringRequest(`the batch has ${rows} rows, at most ${limits.maxRows}`);
}

function finiteNumber(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new BadScoringRequest(`${where} must be a finite number, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

import type { DenseMatrix } from '@mlops/ml';
import type { z } from 'zod';
import { BadScoringRequest, checkRowCount, type ScoringLimits } from '../../domain/scoring-rules.js';
import { FeaturesForms, PredictRequestShapes } from './schemas.js';
import { firstProblem } from './zod-problems.js';

/** What an empty CSV body (or one of blank lines only) is told. */
export const EMPTY_CSV = 'the CSV body is empty: send a header row naming the columns, then one row per sample';

/** Validates `body` with a compiled schema; the first problem (with its path) becomes a BadScoringRequest. */
export function validateBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new BadScoringRequest(firstProblem(result.error));
  return result.data;
}

/**
 * Turns a `POST /predict` body into a matrix in the model's feature order: `{"features": [x0, ..., xd]}` (one row),
 * `{"features": [[...], ...]}` (many rows), or `{"records": [{"x0": 1.2, ...}, ...]}` (named, every feature required).
 */
export function parsePredictRequest(
  body: unknown,
  featureNames: readonly string[],
  limits: ScoringLimits,
): DenseMatrix {
  if (requireOneField(body, ['features', 'records']) === 'records') {
    const { records } = validateBody(PredictRequestShapes.records, body);
    return recordsToMatrix(records, featureNames, limits, 'records', true);
  }
  const first = (body as { features?: unknown }).features;
  const flat = Array.isArray(first) && typeof first[0] === 'number';
  const { features } = validateBody(flat ? FeaturesForms.row : FeaturesForms.rows, body);
  return rowsToMatrix(features, featureNames.length, limits, 'features');
}

/** Rows of numbers (or one bare row) to a matrix; every row must have exactly `width` values. */
export function rowsToMatrix(
  values: readonly (number | readonly number[])[],
  width: number,
  limits: ScoringLimits,
  where: string,
): DenseMatrix {
  const single = values.length > 0 && typeof values[0] === 'number';
  if (single && !values.every((v) => typeof v === 'number')) {
    throw new BadScoringRequest(`${where}: mixes numbers and rows; send one row of numbers or an array of rows`);
  }
  const rows = single ? [values] : values;
  checkRowCount(rows.length, limits, where);
  const data = new Float64Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (!Array.isArray(row)) throw new BadScoringRequest(`${where}: mixes numbers and rows; send one row or rows`);
    if (row.length !== width) {
      throw new BadScoringRequest(`${where}[${i}] has ${row.length} values, the model expects ${width}`);
    }
    const offset = i * width;
    for (let j = 0; j < width; j++) data[offset + j] = row[j] as number;
  }
  return { rows: rows.length, cols: width, data };
}

/**
 * Named rows to a matrix in feature order, each feature a finite number; `strict` refuses names the model does not
 * know (else they are ignored, whatever they hold).
 */
export function recordsToMatrix(
  records: readonly Readonly<Record<string, unknown>>[],
  featureNames: readonly string[],
  limits: ScoringLimits,
  where: string,
  strict: boolean,
): DenseMatrix {
  checkRowCount(records.length, limits, where);
  const width = featureNames.length;
  const data = new Float64Array(records.length * width);
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as Readonly<Record<string, unknown>>;
    for (let j = 0; j < width; j++) {
      const name = featureNames[j] as string;
      if (!Object.hasOwn(record, name)) throw new BadScoringRequest(`${where}[${i}] lacks feature "${name}"`);
      const value = record[name];
      data[i * width + j] =
        typeof value === 'number' && Number.isFinite(value) ? value : notFinite(value, `${where}[${i}].${name}`);
    }
    if (strict && Object.keys(record).length !== width) {
      const extra = Object.keys(record).filter((k) => !featureNames.includes(k));
      throw new BadScoringRequest(`${where}[${i}] has unknown feature(s): ${someNames(extra)}`);
    }
  }
  return { rows: records.length, cols: width, data };
}

/**
 * The 400 for a feature value that is not a finite number, naming where it is. Callers test the value inline first,
 * so the hot path builds no message.
 */
export function notFinite(value: unknown, where: string): never {
  const got = typeof value === 'number' ? String(value) : JSON.stringify(value ?? null);
  throw new BadScoringRequest(`${where}: must be a finite number, got ${got}`);
}

/**
 * Refuses `__proto__` keys anywhere in a parsed body. JSON.parse keeps them as own keys but validators drop them
 * silently, so a body would be scored differently from how it reads; refusing is clearer. Only walks bodies whose
 * text mentions the key (possibly \u-escaped), so ordinary bodies cost one substring search.
 */
export function refuseProtoKeys(text: string, body: unknown): void {
  if (!text.includes('__proto__') && !text.includes('\\u')) return;
  const stack: unknown[] = [body];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (!Array.isArray(value) && Object.hasOwn(value, '__proto__')) {
      throw new BadScoringRequest('the key "__proto__" is not allowed in a request body');
    }
    for (const child of Object.values(value)) if (typeof child === 'object') stack.push(child);
  }
}

/** Refuses a body that is not an object with exactly one of `fields`, naming them; returns the one present. */
export function requireOneField<F extends string>(body: unknown, fields: readonly F[]): F {
  const present =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? fields.filter((f) => Object.hasOwn(body, f))
      : [];
  if (present.length !== 1) {
    throw new BadScoringRequest(
      `body must be a JSON object with exactly one of ${fields.map((f) => `"${f}"`).join(', ')}; got ${present.length === 0 ? 'none' : present.join(' and ')}`,
    );
  }
  return present[0] as F;
}

/** A split frame naming one column twice is ambiguous (pandas would keep both): refused, naming it. */
export function refuseRepeatedColumns(columns: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of columns) {
    if (seen.has(name)) throw new BadScoringRequest(`dataframe_split.columns names "${name}" more than once`);
    seen.add(name);
  }
}

/** Names a client sent, for a message: the first few, each quoted and cut short, then how many more. */
export function someNames(names: readonly string[], shown = 10): string {
  const quoted = names.slice(0, shown).map((name) => JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name));
  return names.length > shown ? `${quoted.join(', ')} and ${names.length - shown} more` : quoted.join(', ');
}

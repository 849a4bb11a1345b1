import {
  type EventData,
  GATE_HOLDOUT_BUCKET,
  MAX_HOLDOUT_CELLS,
  MAX_STORED_HOLDOUT_BYTES,
  MAX_STORED_HOLDOUT_CELLS,
} from '@mlops/contracts';
import type { TrainingData } from './dataset.js';
import { matrixRows } from './matrix-data.js';
import { tableRows } from './table-data.js';

type EventHoldout = NonNullable<EventData<'tuning.completed'>['holdout']>;

/**
 * What a tuning's data set gives the promotion gate: the holdout `tuning.completed` carries (the first test rows, at
 * most MAX_HOLDOUT_CELLS cells or a table's 400 KB), the rows of the whole test split, and, when the carried holdout
 * is cut, the whole of it (up to the store's cap) as HoldoutSchema JSON for the object store.
 */
export interface TuningHoldout {
  readonly carried: EventHoldout;
  readonly testRows: number;
  readonly whole?: { readonly json: Uint8Array; readonly rows: number };
}

/** Stores a cut holdout's whole for the gate, under the tuning's id (storing it again changes nothing). */
export type StoreHoldout = (tuningId: string, json: Uint8Array) => Promise<void>;

/** A table's carried holdout stops at this many UTF-8 bytes of JSON (text can be long; the event must stay small). */
const MAX_CARRIED_TABLE_BYTES = 400_000;

/**
 * The rows the promotion gate judges on: the test split's first rows (the split is already shuffled), labels as 0/1
 * with the second class positive, as fit() orders them. A table's rows are its raw cells, so champion and challenger
 * each apply their own preprocessing.
 */
export function holdoutOf(data: TrainingData): TuningHoldout {
  const names = data.summary.feature_names;
  const testRows = data.test.y.length;
  const storable = rowsWithin(
    data,
    Math.max(1, Math.floor(MAX_STORED_HOLDOUT_CELLS / names.length)),
    MAX_STORED_HOLDOUT_BYTES,
  );
  const carriedCount = Math.max(1, Math.floor(MAX_HOLDOUT_CELLS / names.length));
  const carriedRows = withinBytes(
    storable.slice(0, carriedCount),
    data.kind === 'table' ? MAX_CARRIED_TABLE_BYTES : Infinity,
  );
  const labels = labelsOf(data, storable.length);
  const carried = { feature_names: names, rows: carriedRows, labels: labels.slice(0, carriedRows.length) };
  if (carriedRows.length === storable.length) return { carried, testRows };
  const json = Buffer.from(JSON.stringify({ feature_names: names, rows: storable, labels }));
  return { carried, testRows, whole: { json, rows: storable.length } };
}

/**
 * Publishes the tuning's holdout with tuning.completed: the carried rows, the test split's size, and where the whole
 * waits when the carried rows are cut. A whole the store refuses (NATS away, bucket full) is left out: the gate then
 * judges on the carried rows and says so.
 */
export async function storedHoldoutFields(
  tuningId: string,
  holdout: TuningHoldout | undefined,
  store: StoreHoldout,
  onStoreFailure: (err: unknown) => void,
): Promise<Pick<EventData<'tuning.completed'>, 'holdout' | 'test_rows' | 'stored_holdout'>> {
  if (holdout === undefined) return {};
  const fields = { holdout: holdout.carried, test_rows: holdout.testRows };
  if (holdout.whole === undefined) return fields;
  try {
    await store(tuningId, holdout.whole.json);
  } catch (err) {
    onStoreFailure(err);
    return fields;
  }
  return { ...fields, stored_holdout: { bucket: GATE_HOLDOUT_BUCKET, name: tuningId, rows: holdout.whole.rows } };
}

function rowsWithin(data: TrainingData, count: number, byteBudget: number): EventHoldout['rows'] {
  const rows =
    data.kind === 'matrix'
      ? matrixRows(data.test.X, count)
      : tableRows(data.test.table, data.summary.feature_names, count);
  return withinBytes(rows, byteBudget); // a float takes up to 24 characters: a matrix too can pass the bytes
}

function labelsOf(data: TrainingData, count: number): Array<0 | 1> {
  let positive = Number.NEGATIVE_INFINITY;
  for (const label of data.train.y) positive = Math.max(positive, label);
  return Array.from(data.test.y.subarray(0, count), (label) => (label === positive ? 1 : 0));
}

function withinBytes<T>(rows: T[], budget: number): T[] {
  if (!Number.isFinite(budget)) return rows;
  let used = 0;
  const kept = rows.findIndex((row) => {
    used += Buffer.byteLength(JSON.stringify(row)) + 1;
    return used > budget;
  });
  return kept < 0 ? rows : rows.slice(0, Math.max(1, kept));
}

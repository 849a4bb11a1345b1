import { InvalidDataError } from '../errors.js';

/**
 * The cells pandas.read_csv reads as missing by default (its `na_values`), matched as written (" NA" is text, as in
 * pandas): missing in a CSV, and a text value sent as one of them is missing too (so a request, the model and its
 * ONNX graph agree).
 */
export const MISSING_CELLS: ReadonlySet<string> = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
]);

/** A column of numbers as read from a table: NaN marks a missing cell. */
export interface NumberColumn {
  readonly name: string;
  readonly kind: 'number';
  readonly values: Float64Array;
}

/** A column of text as read from a table: null marks a missing cell. */
export interface TextColumn {
  readonly name: string;
  readonly kind: 'text';
  readonly values: readonly (string | null)[];
}

/** One column of a raw table, typed as pandas.read_csv would type it (float64 with NaN, or object). */
export type RawColumn = NumberColumn | TextColumn;

/** A table of named raw columns, all of the same length: what customers' data look like before preprocessing. */
export interface RawTable {
  readonly rows: number;
  readonly columns: readonly RawColumn[];
}

/** A value of a categorical column: a number or a string; null is the missing value. */
export type Category = number | string | null;

/** True when a cell of the column is missing. */
export function isMissing(column: RawColumn, row: number): boolean {
  return column.kind === 'number' ? Number.isNaN(column.values[row]!) : column.values[row] === null;
}

/** How many cells of the column are missing. */
export function missingCount(column: RawColumn): number {
  let missing = 0;
  for (let i = 0; i < column.values.length; i++) if (isMissing(column, i)) missing++;
  return missing;
}

/** The column's cell as a category (null when missing). */
export function categoryAt(column: RawColumn, row: number): Category {
  if (column.kind === 'text') return column.values[row] ?? null;
  const value = column.values[row]!;
  return Number.isNaN(value) ? null : value;
}

/** The column named `name`, or an error listing the columns there are. */
export function columnNamed(table: RawTable, name: string): RawColumn {
  const column = table.columns.find((c) => c.name === name);
  if (column === undefined) {
    throw new InvalidDataError(`no column named "${name}" (columns: ${table.columns.map((c) => c.name).join(', ')})`);
  }
  return column;
}

/** The same table restricted to the given rows, in the given order. */
export function takeTableRows(table: RawTable, indices: ArrayLike<number>): RawTable {
  const columns = table.columns.map((column): RawColumn => {
    if (column.kind === 'number') {
      const values = new Float64Array(indices.length);
      for (let k = 0; k < indices.length; k++) values[k] = column.values[indices[k]!]!;
      return { name: column.name, kind: 'number', values };
    }
    return { name: column.name, kind: 'text', values: Array.from(indices, (i) => column.values[i] ?? null) };
  });
  return { rows: indices.length, columns };
}

/**
 * Orders categories as scikit-learn's encoders do: numbers ascending; strings by Unicode code point (Python's
 * `sorted`, not JavaScript's UTF-16 order); the missing value last.
 */
export function compareCategories(a: Category, b: Category): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return compareCodePoints(String(a), String(b));
}

/** Python's string order: code point by code point (differs from `<` on strings for characters above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–U+DFFF) encode code points above U+FFFF: they sort after every other BMP unit.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** A column a table model takes, by name and storage kind (what a request's values are checked against). */
export interface ColumnSpec {
  readonly name: string;
  readonly kind: RawColumn['kind'];
}

/**
 * Builds a table from rows of cells in `columns` order (a holdout, a request's rows): numbers for number columns,
 * strings for text columns, null (or NaN) where missing. A cell of the wrong type is an InvalidDataError naming the
 * row and the column.
 */
export function tableFromRows(
  columns: readonly ColumnSpec[],
  rows: readonly (readonly Category[])[],
  where = 'rows',
): RawTable {
  const out = columns.map((spec, j): RawColumn => {
    if (spec.kind === 'number') {
      const values = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) values[i] = numberCell(rows[i]![j], spec.name, `${where}[${i}]`);
      return { name: spec.name, kind: 'number', values };
    }
    return {
      name: spec.name,
      kind: 'text',
      values: rows.map((row, i) => textCell(row[j], spec.name, `${where}[${i}]`)),
    };
  });
  rows.forEach((row, i) => {
    if (row.length !== columns.length) {
      throw new InvalidDataError(`${where}[${i}] has ${row.length} values, the model takes ${columns.length}`);
    }
  });
  return { rows: rows.length, columns: out };
}

/** A number column's cell: a finite number, or NaN for null (missing); anything else names the column. */
export function numberCell(value: unknown, column: string, where: string): number {
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === 'number' && (Number.isFinite(value) || Number.isNaN(value))) return value;
  throw new InvalidDataError(`${where}: column "${column}" takes a number or null, got ${describe(value)}`);
}

/** A text column's cell: a string (one of MISSING_CELLS is missing), or null; anything else names the column. */
export function textCell(value: unknown, column: string, where: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return MISSING_CELLS.has(value) ? null : value;
  throw new InvalidDataError(`${where}: column "${column}" takes text or null, got ${describe(value)}`);
}

function describe(value: unknown): string {
  // JSON.stringify writes ±Infinity as null: the value the client sent (1e999) is named instead.
  const text = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

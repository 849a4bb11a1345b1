import { InvalidDataError } from '../errors.js';
import {
  type Category,
  categoryAt,
  columnNamed,
  compareCategories,
  isMissing,
  type RawColumn,
  type RawTable,
} from '../preprocessing/raw-table.js';
import {
  profileValues,
  type ReferenceFeature,
  type ReferenceProfileOptions,
  resolveProfileOptions,
  sampleRows,
} from './profile.js';

/** A numeric raw column of the training rows: its missing cells and the profile of its present values. */
export interface NumericColumnProfile {
  readonly role: 'numeric';
  readonly name: string;
  readonly missing: number;
  readonly present: ReferenceFeature;
}

/** A categorical raw column of the training rows: missing cells and the rows per category (sorted as encoded). */
export interface CategoricalColumnProfile {
  readonly role: 'categorical';
  readonly name: string;
  readonly missing: number;
  readonly categories: (number | string)[];
  readonly counts: number[];
}

/** One raw column of a {@link TableProfile}. */
export type TableColumnProfile = NumericColumnProfile | CategoricalColumnProfile;

/**
 * What a table model's raw columns are compared with (plain JSON): each training column and a seeded sample of the
 * training rows, column by column, coded: a number, a category's index in its column's `categories`, null where
 * missing.
 */
export interface TableProfile {
  readonly version: 2;
  readonly kind: 'table';
  readonly rows: number;
  readonly bins: number;
  readonly sample_size: number;
  readonly random_state: number;
  readonly unique_cap: number;
  readonly columns: TableColumnProfile[];
  readonly sample: { readonly rows: number[]; readonly columns: (number | null)[][] };
}

/** A raw column to profile and what the model uses it as. */
export interface ProfiledColumn {
  readonly name: string;
  readonly role: 'numeric' | 'categorical';
}

/**
 * Profiles the training rows of a table for drift monitoring of its raw columns. The sample is drawn as
 * {@link buildReferenceProfile} draws it. A numeric column with no present value cannot be profiled (an error).
 */
export function buildTableProfile(
  table: RawTable,
  columns: readonly ProfiledColumn[],
  options: ReferenceProfileOptions = {},
): TableProfile {
  const resolved = resolveProfileOptions(options);
  if (table.rows === 0 || columns.length === 0) {
    throw new InvalidDataError(`cannot profile a table of ${table.rows} rows and ${columns.length} columns`);
  }
  const rows = sampleRows(table.rows, resolved.sampleSize, resolved.randomState);
  const profiles: TableColumnProfile[] = [];
  const sample: (number | null)[][] = [];
  for (const { name, role } of columns) {
    const column = columnNamed(table, name);
    const profile =
      role === 'numeric' ? numericProfile(column, resolved.bins, resolved.uniqueCap) : categoricalProfile(column);
    profiles.push(profile);
    sample.push(rows.map(profile.role === 'numeric' ? (i) => numberAt(column, i) : categoryCoder(column, profile)));
  }
  return {
    version: 2,
    kind: 'table',
    rows: table.rows,
    bins: resolved.bins,
    sample_size: resolved.sampleSize,
    random_state: resolved.randomState,
    unique_cap: resolved.uniqueCap,
    columns: profiles,
    sample: { rows, columns: sample },
  };
}

function numericProfile(column: RawColumn, bins: number, uniqueCap: number): NumericColumnProfile {
  if (column.kind !== 'number') throw new InvalidDataError(`column "${column.name}" holds text, not numbers`);
  const present = column.values.filter((v) => !Number.isNaN(v));
  if (present.length === 0) throw new InvalidDataError(`column "${column.name}" has no value to profile`);
  const missing = column.values.length - present.length;
  return { role: 'numeric', name: column.name, missing, present: profileValues(present, column.name, bins, uniqueCap) };
}

function categoricalProfile(column: RawColumn): CategoricalColumnProfile {
  const counts = new Map<Category, number>();
  let missing = 0;
  for (let i = 0; i < column.values.length; i++) {
    const category = categoryAt(column, i);
    if (category === null) missing++;
    else counts.set(category, (counts.get(category) ?? 0) + 1);
  }
  const categories = [...counts.keys()].sort(compareCategories) as (number | string)[];
  return {
    role: 'categorical',
    name: column.name,
    missing,
    categories,
    counts: categories.map((c) => counts.get(c) ?? 0),
  };
}

function numberAt(column: RawColumn, row: number): number | null {
  return isMissing(column, row) ? null : (column.values[row] as number);
}

function categoryCoder(column: RawColumn, profile: CategoricalColumnProfile): (row: number) => number | null {
  const index = new Map<Category, number>(profile.categories.map((c, k) => [c, k]));
  return (row) => {
    const category = categoryAt(column, row);
    return category === null ? null : (index.get(category) ?? null);
  };
}

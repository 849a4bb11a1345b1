import { InvalidDataError } from '../errors.js';
import { type CategoricalDrift, categoricalDrift } from './categorical-drift.js';
import { numpyMean } from './numpy-reductions.js';
import { type PreparedFeature, prepareFeature } from './reference.js';
import { type DriftRules, datasetDrifted, resolveDriftRules } from './rules.js';
import type { CategoricalColumnProfile, NumericColumnProfile, TableProfile } from './table-profile.js';
import { type FeatureDrift, preparedFeatureDrift } from './window-drift.js';

/** A table profile's column ready for windows: the share of missing training cells, and what to compare with. */
export type PreparedTableColumn =
  | {
      readonly profile: NumericColumnProfile;
      readonly missingShare: number;
      /** Null when the reference sample holds no present value of the column (nothing to test against). */
      readonly feature: PreparedFeature | null;
    }
  | { readonly profile: CategoricalColumnProfile; readonly missingShare: number };

/** A {@link TableProfile} prepared once for {@link tableWindowDrift}. */
export interface TableDriftReference {
  readonly profile: TableProfile;
  readonly columns: readonly PreparedTableColumn[];
}

/** Checks a table profile (possibly parsed from JSON) and prepares each column. */
export function prepareTableReference(profile: TableProfile): TableDriftReference {
  if (profile.version !== 2 || profile.kind !== 'table') throw new InvalidDataError('not a table profile');
  if (profile.sample.columns.length !== profile.columns.length) {
    throw new InvalidDataError(`${profile.columns.length} columns but ${profile.sample.columns.length} sample columns`);
  }
  const columns = profile.columns.map((column, j): PreparedTableColumn => {
    const missingShare = column.missing / profile.rows;
    if (column.role === 'categorical') return { profile: column, missingShare };
    const present = (profile.sample.columns[j] ?? []).filter((v): v is number => v !== null);
    return {
      profile: column,
      missingShare,
      feature: present.length === 0 ? null : prepareFeature(column.present, present),
    };
  });
  return { profile, columns };
}

/** One raw column of a window against its reference: the drift of its present values, and its missing cells. */
export interface TableColumnDrift {
  readonly name: string;
  readonly role: 'numeric' | 'categorical';
  /** Null when the window (or the reference sample) has no present value of the column. */
  readonly drift: FeatureDrift | CategoricalDrift | null;
  readonly missingShare: number;
  readonly referenceMissingShare: number;
  /** Numeric: the mean of the present values in the window and in the training rows; null for categorical. */
  readonly mean: number | null;
  readonly referenceMean: number | null;
  /** Categorical: window rows whose category the reference never saw; 0 for numeric. */
  readonly unseen: number;
}

/** A whole window of raw columns against the table profile. */
export interface TableWindowDrift {
  readonly rows: number;
  readonly columns: TableColumnDrift[];
  /** Columns compared (with present values on both sides), of which drifted. */
  readonly compared: number;
  readonly drifted: number;
  readonly shareDrifted: number;
  readonly datasetDrift: boolean;
}

/**
 * Compares a window of raw columns with the table profile. `window` holds one array per profile column, in its
 * order, coded as the profile codes its sample: a number, a category's index in the column's `categories` (any
 * index past them is a category the reference never saw, counted together), NaN where missing. Numeric columns are
 * compared on their present values as featureDrift compares features (as categories when they take at most
 * FEW_NUMERIC_VALUES values), categorical columns as {@link categoricalDrift} decides; every column chooses its test
 * by its present training rows (not the sample's); Bonferroni's m is the number of columns compared.
 */
export function tableWindowDrift(
  reference: TableDriftReference,
  window: readonly Float64Array[],
  overrides: Partial<DriftRules> = {},
): TableWindowDrift {
  const rules = resolveDriftRules(overrides);
  if (window.length !== reference.columns.length) {
    throw new InvalidDataError(`the window has ${window.length} columns, the profile ${reference.columns.length}`);
  }
  const rows = window[0]?.length ?? 0;
  if (rows === 0 || window.some((c) => c.length !== rows)) {
    throw new InvalidDataError('the window needs rows, the same number in every column');
  }
  const present = window.map(presentValues);
  const comparable = reference.columns.map(
    (c, j) => present[j]!.length > 0 && ('feature' in c ? c.feature !== null : true),
  );
  const comparisons = Math.max(1, comparable.filter(Boolean).length);
  const columns = reference.columns.map((column, j) =>
    columnDrift(column, present[j]!, rows, comparable[j]! ? { rules, comparisons } : null),
  );
  const compared = columns.filter((c) => c.drift !== null).length;
  const drifted = columns.filter((c) => c.drift?.drifted === true).length;
  return {
    rows,
    columns,
    compared,
    drifted,
    shareDrifted: compared === 0 ? 0 : drifted / compared,
    datasetDrift: datasetDrifted(drifted, compared, rules.drift_share),
  };
}

function columnDrift(
  column: PreparedTableColumn,
  present: Float64Array,
  rows: number,
  test: { rules: DriftRules; comparisons: number } | null,
): TableColumnDrift {
  const base = {
    name: column.profile.name,
    missingShare: (rows - present.length) / rows,
    referenceMissingShare: column.missingShare,
  };
  if (column.profile.role === 'numeric') {
    const feature = 'feature' in column ? column.feature : null;
    const drift = test === null || feature === null ? null : numericDrift(feature, present, test);
    const mean = present.length === 0 ? null : numpyMean(present);
    return { ...base, role: 'numeric', drift, mean, referenceMean: column.profile.present.mean, unseen: 0 };
  }
  const known = column.profile.categories.length;
  const counts = new Float64Array(known + 1);
  for (const code of present) counts[Math.min(code, known)]!++;
  const unseen = counts[known]!;
  const referenceCounts = Float64Array.from([...column.profile.counts, 0]);
  const drift =
    test === null ? null : categoricalDrift(base.name, referenceCounts, counts, test.rules, test.comparisons);
  return { ...base, role: 'categorical', drift, mean: null, referenceMean: null, unseen };
}

/** Numbers with at most this many distinct values (sample and window together) are compared as categories. */
export const FEW_NUMERIC_VALUES = 5;

/**
 * A numeric column's present values: as a feature, or (Evidently's rule for a numeric column of at most five distinct
 * values, e.g. a 0/1 flag) as categories, counting each value in the reference sample and in the window.
 */
function numericDrift(
  feature: PreparedFeature,
  present: Float64Array,
  test: { rules: DriftRules; comparisons: number },
): FeatureDrift | CategoricalDrift {
  // Every column decides on its present training rows, as Evidently does on the reference (not on the sample).
  const trainingRows = feature.profile.count;
  const values = fewDistinct(feature.sortedSample, present);
  if (values === undefined) {
    const bySize: DriftRules['method'] = trainingRows > test.rules.ks_max_reference_rows ? 'wasserstein' : 'ks';
    const rules = test.rules.method === 'auto' ? { ...test.rules, method: bySize } : test.rules;
    return preparedFeatureDrift(feature, present, rules, test.comparisons);
  }
  const count = (column: Float64Array) => values.map((v) => column.filter((x) => x === v).length);
  const name = feature.profile.name;
  const [reference, current] = [count(feature.sortedSample), count(present)];
  return categoricalDrift(name, reference, current, test.rules, test.comparisons, trainingRows);
}

/** The distinct values of both columns, sorted, when there are at most FEW_NUMERIC_VALUES; else undefined. */
function fewDistinct(a: Float64Array, b: Float64Array): number[] | undefined {
  const distinct = new Set<number>();
  for (const column of [a, b]) {
    for (const v of column) {
      distinct.add(v);
      if (distinct.size > FEW_NUMERIC_VALUES) return undefined;
    }
  }
  return [...distinct].sort((x, y) => x - y);
}

function presentValues(column: Float64Array): Float64Array {
  return column.filter((v) => !Number.isNaN(v));
}

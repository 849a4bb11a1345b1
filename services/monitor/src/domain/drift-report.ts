import type { ColumnDrift, MissingShare, TableProfileData as TableProfile } from '@mlops/contracts';
import {
  buildReferenceProfile,
  type CategoricalDrift,
  type Category,
  type DriftReference,
  type DriftRules,
  denseMatrix,
  type FeatureDrift,
  LogisticRegression,
  prepareDriftReference,
  preparedFeatureDrift,
  prepareTableReference,
  type RawTable,
  type TableColumnDrift,
  type TableDriftReference,
  tableWindowDrift,
  windowDrift,
} from '@mlops/ml';
import type { TrainingMetrics } from './live-performance.js';
import type { ClassLabel, VersionFiles, VersionTable } from './ports.js';
import type { ClosedWindow } from './window-book.js';

export type { DriftRules } from '@mlops/ml';

/** A table model's reference: its raw columns' profile, and how its logged category codes map onto the profile's. */
export interface TableReference {
  readonly drift: TableDriftReference;
  /**
   * Per raw column, the profile's index of each of the model's category codes, the last entry for the code of a
   * category the model never saw (categorical columns only; a category the profile lacks maps past its categories).
   */
  readonly codeMaps: readonly (Float64Array | null)[];
}

/** A version's reference, prepared once: what each window of the version is compared with. */
export interface VersionReference {
  /** The features' reference of a model of numeric features; null for a table model. */
  readonly features: DriftReference | null;
  /** The raw columns' reference of a table model; null otherwise. */
  readonly table?: TableReference | null;
  /** The predicted probability's reference: the version's model scoring the reference sample. */
  readonly prediction: DriftReference | null;
  /** Why drift cannot be computed for this version; null when it can. */
  readonly driftUnavailable: string | null;
  readonly training: TrainingMetrics;
  /** The target's own labels of classes 0 and 1 when it was text. */
  readonly classLabels?: readonly [ClassLabel, ClassLabel];
  /** What a retrain needs of the version: its inputs, classes, and whether it takes a table. */
  readonly inputs?: VersionInputs;
}

/** A version's inputs as a retrain writes them back: feature names in order, the class values, table or matrix. */
export interface VersionInputs {
  readonly featureNames: readonly string[];
  readonly classes: readonly [number, number];
  /** The target's own labels of classes 0 and 1 when it was text: what a retrain's target column holds. */
  readonly classLabels?: readonly [ClassLabel, ClassLabel];
  /** A table model's raw columns and fitted categories (its logged cells decode through them); null for a matrix. */
  readonly table: Pick<VersionTable, 'columns' | 'categories'> | null;
}

/** Rows of the reference sample a version's windows are compared with; null without a reference. */
export function referenceRows(reference: VersionReference): number | null {
  const profile = reference.features?.profile ?? reference.table?.drift.profile;
  return profile?.sample.rows.length ?? null;
}

/**
 * Prepares a version's files for drift: the profile as it is, and a profile of the model's probabilities on it. A
 * profile that cannot be used leaves the version without drift (driftUnavailable says why), cached like any other.
 */
export function prepareReference(files: VersionFiles): VersionReference {
  const inputs: VersionInputs = {
    featureNames: files.model.featureNames,
    classes: files.model.classes,
    ...(files.classLabels === undefined ? {} : { classLabels: files.classLabels }),
    table: files.table === undefined ? null : { columns: files.table.columns, categories: files.table.categories },
  };
  const labels = { inputs, ...(files.classLabels === undefined ? {} : { classLabels: files.classLabels }) };
  try {
    return { ...prepareDrift(files), ...labels };
  } catch (err) {
    // A profile that does not fit the model: drift is off for the version (said in its status), the rest works.
    const reason = `the version's reference profile cannot be used: ${(err as Error).message}`;
    return { features: null, prediction: null, driftUnavailable: reason, training: files.training, ...labels };
  }
}

function prepareDrift(files: VersionFiles): VersionReference {
  const none = (reason: string): VersionReference => ({
    features: null,
    prediction: null,
    driftUnavailable: reason,
    training: files.training,
  });
  if (files.profile === null) {
    return none('the version has no reference profile (registered before profiles were logged)');
  }
  if ('kind' in files.profile) {
    if (files.table === undefined) return none('the version has a table profile but its model takes no table');
    return prepareTableVersion(files.profile, files.table, files.training);
  }
  const features = prepareDriftReference(files.profile);
  const { columns, rows } = files.profile.sample;
  const x = denseMatrix(new Float64Array(rows.length * columns.length), rows.length, columns.length);
  columns.forEach((column, j) => {
    for (let i = 0; i < column.length; i++) x.data[i * columns.length + j] = column[i] as number;
  });
  const model = LogisticRegression.fromState(files.model);
  const probabilities = model.predictWithProba(x).probabilities;
  return {
    features,
    prediction: probabilityReference(probabilities),
    driftUnavailable: null,
    training: files.training,
  };
}

function probabilityReference(probabilities: Float64Array): DriftReference {
  return prepareDriftReference(
    buildReferenceProfile(denseMatrix(probabilities, probabilities.length, 1), { featureNames: ['prediction'] }),
  );
}

function prepareTableVersion(profile: TableProfile, table: VersionTable, training: TrainingMetrics): VersionReference {
  const names = profile.columns.map((c) => c.name).join(', ');
  if (names !== table.columns.map((c) => c.name).join(', ')) {
    throw new Error(`the table profile's columns (${names}) are not the model's input columns`);
  }
  const drift = prepareTableReference(profile);
  const codeMaps = profile.columns.map((column, j) => {
    if (column.role !== 'categorical') return null;
    const index = new Map<Category, number>(column.categories.map((c, k) => [c, k]));
    const modelCategories = table.categories[j] ?? [];
    const codeMap = new Float64Array(modelCategories.length + 1).fill(column.categories.length);
    modelCategories.forEach((category, k) => {
      codeMap[k] = index.get(category) ?? column.categories.length;
    });
    return codeMap;
  });
  const sample = decodedSample(profile, table);
  const prediction = probabilityReference(table.probabilities(sample));
  return { features: null, table: { drift, codeMaps }, prediction, driftUnavailable: null, training };
}

/** The profile's coded sample as the raw table the model scores: category indices back to their values. */
function decodedSample(profile: TableProfile, table: VersionTable): RawTable {
  const rows = profile.sample.rows.length;
  const columns = profile.columns.map((column, j) => {
    const codes = profile.sample.columns[j] ?? [];
    const spec = table.columns[j]!;
    if (spec.kind === 'number') {
      const values = Float64Array.from(codes, (code) => (decodeCell(column, code) ?? Number.NaN) as number);
      return { name: spec.name, kind: 'number' as const, values };
    }
    const values = codes.map((code) => decodeCell(column, code) as string | null);
    return { name: spec.name, kind: 'text' as const, values };
  });
  return { rows, columns };
}

function decodeCell(column: TableProfile['columns'][number], code: number | null): Category {
  if (code === null) return column.role === 'numeric' ? Number.NaN : null;
  return column.role === 'numeric' ? code : (column.categories[code] ?? null);
}

/** One window's drift: per feature (or raw column), for the predicted probability, and the dataset verdict. */
export interface WindowDriftReport {
  readonly features: ColumnDrift[];
  readonly prediction: ColumnDrift | null;
  readonly datasetDrift: boolean | null;
  readonly driftShare: number | null;
  readonly drifted: string[];
  /** A table model's missing cells per raw column; empty otherwise. */
  readonly missing: MissingShare[];
}

/** A window without drift statistics (no reference, too few rows, or rows the statistics cannot take). */
export function noDrift(): WindowDriftReport {
  return { features: [], prediction: null, datasetDrift: null, driftShare: null, drifted: [], missing: [] };
}

/** Compares a closed window with the version's reference; none when unavailable or the window is too small. */
export function driftOfWindow(
  window: ClosedWindow,
  reference: VersionReference,
  rules: DriftRules,
  minRows: number,
): WindowDriftReport {
  const none = noDrift();
  if (window.rows < minRows) return none;
  const prediction = () =>
    reference.prediction === null ? null : predictionDrift(window, reference.prediction, rules);
  if (reference.table != null) return tableDriftOfWindow(window, reference.table, rules, prediction) ?? none;
  if (reference.features === null) return none;
  const columns = reference.features.features.length;
  if (window.parts.some((p) => p.batch.columns !== columns || p.batch.rawColumns)) return none;
  const x = windowMatrix(window, columns);
  const drift = windowDrift(reference.features, x, rules);
  const profile = reference.features.profile.features;
  const features = drift.features.map((f, j) =>
    toColumnDrift(f, meanOfColumn(x.data, columns, j), profile[j]?.mean ?? Number.NaN),
  );
  return {
    features,
    prediction: prediction(),
    datasetDrift: drift.dataset_drift,
    driftShare: drift.share_drifted,
    drifted: features.filter((f) => f.drifted).map((f) => f.name),
    missing: [],
  };
}

/** A table model's window: raw columns (codes mapped onto the profile's), missing shares, the dataset verdict. */
function tableDriftOfWindow(
  window: ClosedWindow,
  reference: TableReference,
  rules: DriftRules,
  prediction: () => ColumnDrift | null,
): WindowDriftReport | undefined {
  const columns = reference.codeMaps.length;
  if (window.parts.some((p) => p.batch.columns !== columns || !p.batch.rawColumns)) return undefined;
  const x = windowMatrix(window, columns);
  const raw = reference.codeMaps.map((codeMap, j) => profileCodes(x.data, columns, j, codeMap));
  const drift = tableWindowDrift(reference.drift, raw, rules);
  const features = drift.columns.flatMap((c) => (c.drift === null ? [] : [tableColumnDrift(c, c.drift)]));
  return {
    features,
    prediction: prediction(),
    datasetDrift: drift.compared === 0 ? null : drift.datasetDrift,
    driftShare: drift.compared === 0 ? null : drift.shareDrifted,
    drifted: features.filter((f) => f.drifted).map((f) => f.name),
    missing: drift.columns.map((c) => ({
      name: c.name,
      share: c.missingShare,
      reference_share: c.referenceMissingShare,
    })),
  };
}

/** Column j of the window; a categorical column's model codes replaced by the profile's (unseen past them). */
function profileCodes(data: Float64Array, columns: number, j: number, codeMap: Float64Array | null): Float64Array {
  const rows = data.length / columns;
  const out = new Float64Array(rows);
  const unseen = codeMap === null ? Number.NaN : (codeMap[codeMap.length - 1] as number);
  for (let i = 0; i < rows; i++) {
    const value = data[i * columns + j] as number;
    out[i] = codeMap === null || Number.isNaN(value) ? value : (codeMap[value] ?? unseen);
  }
  return out;
}

function tableColumnDrift(column: TableColumnDrift, drift: FeatureDrift | CategoricalDrift): ColumnDrift {
  const shared = {
    name: column.name,
    kind: column.role,
    method: drift.method,
    value: drift.score,
    threshold: drift.threshold,
    drifted: drift.drifted,
    psi: drift.psi,
    js_distance: drift.js_distance,
    mean: column.mean,
    reference_mean: column.referenceMean,
  };
  if ('p_value' in drift) {
    const unseen = column.role === 'categorical' ? { unseen: column.unseen } : {};
    return { ...shared, ks_statistic: null, ks_p_value: null, wasserstein_normed: null, ...unseen };
  }
  return {
    ...shared,
    ks_statistic: drift.ks_statistic,
    ks_p_value: drift.ks_p_value,
    wasserstein_normed: drift.wasserstein_normed,
  };
}

function predictionDrift(window: ClosedWindow, reference: DriftReference, rules: DriftRules): ColumnDrift {
  const probabilities = new Float64Array(window.rows);
  let offset = 0;
  for (const { batch, from, to } of window.parts) {
    probabilities.set(batch.probabilities.subarray(from, to), offset);
    offset += to - from;
  }
  const feature = reference.features[0];
  if (feature === undefined) throw new Error('the prediction reference has no column');
  const drift = preparedFeatureDrift(feature, probabilities, rules, 1);
  return toColumnDrift(drift, meanOfColumn(probabilities, 1, 0), feature.profile.mean);
}

function windowMatrix(window: ClosedWindow, columns: number) {
  const x = denseMatrix(new Float64Array(window.rows * columns), window.rows, columns);
  let offset = 0;
  for (const { batch, from, to } of window.parts) {
    x.data.set(batch.features.subarray(from * columns, to * columns), offset * columns);
    offset += to - from;
  }
  return x;
}

function meanOfColumn(data: Float64Array, columns: number, j: number): number {
  const rows = data.length / columns;
  let sum = 0;
  for (let i = 0; i < rows; i++) sum += data[i * columns + j] as number;
  return sum / rows;
}

function toColumnDrift(f: FeatureDrift, mean: number, referenceMean: number): ColumnDrift {
  return {
    name: f.name,
    method: f.method,
    value: f.score,
    threshold: f.threshold,
    drifted: f.drifted,
    psi: f.psi,
    js_distance: f.js_distance,
    ks_statistic: f.ks_statistic,
    ks_p_value: f.ks_p_value,
    wasserstein_normed: f.wasserstein_normed,
    mean,
    reference_mean: referenceMean,
  };
}

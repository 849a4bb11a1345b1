import type { ColumnDrift } from '@mlops/contracts';
import {
  buildReferenceProfile,
  type DriftReference,
  type DriftRules,
  denseMatrix,
  type FeatureDrift,
  featureDrift,
  LogisticRegression,
  prepareDriftReference,
  windowDrift,
} from '@mlops/ml';
import type { TrainingMetrics } from './live-performance.js';
import type { VersionFiles } from './ports.js';
import type { ClosedWindow } from './window-book.js';

export type { DriftRules } from '@mlops/ml';

/** A version's reference, prepared once: what each window of the version is compared with. */
export interface VersionReference {
  readonly features: DriftReference | null;
  /** The predicted probability's reference: the version's model scoring the reference sample. */
  readonly prediction: DriftReference | null;
  /** Why drift cannot be computed for this version; null when it can. */
  readonly driftUnavailable: string | null;
  readonly training: TrainingMetrics;
}

/** Prepares a version's files for drift: the profile as it is, and a profile of the model's probabilities on it. */
export function prepareReference(files: VersionFiles): VersionReference {
  if (files.profile === null) {
    return {
      features: null,
      prediction: null,
      driftUnavailable:
        'the version has no reference profile (registered before profiles were logged, or trained on a CSV table, whose raw columns are not profiled yet)',
      training: files.training,
    };
  }
  const features = prepareDriftReference(files.profile);
  const { columns, rows } = files.profile.sample;
  const x = denseMatrix(new Float64Array(rows.length * columns.length), rows.length, columns.length);
  columns.forEach((column, j) => {
    for (let i = 0; i < column.length; i++) x.data[i * columns.length + j] = column[i] as number;
  });
  const model = LogisticRegression.fromState(files.model);
  const probabilities = model.predictWithProba(x).probabilities;
  const prediction = prepareDriftReference(
    buildReferenceProfile(denseMatrix(probabilities, rows.length, 1), { featureNames: ['prediction'] }),
  );
  return { features, prediction, driftUnavailable: null, training: files.training };
}

/** One window's drift: per feature, for the predicted probability, and the dataset verdict. */
export interface WindowDriftReport {
  readonly features: ColumnDrift[];
  readonly prediction: ColumnDrift | null;
  readonly datasetDrift: boolean | null;
  readonly driftShare: number | null;
  readonly drifted: string[];
}

/** Compares a closed window with the version's reference; none when unavailable or the window is too small. */
export function driftOfWindow(
  window: ClosedWindow,
  reference: VersionReference,
  rules: DriftRules,
  minRows: number,
): WindowDriftReport {
  const none = { features: [], prediction: null, datasetDrift: null, driftShare: null, drifted: [] };
  if (reference.features === null || window.rows < minRows) return none;
  const columns = reference.features.features.length;
  if (window.parts.some((p) => p.batch.columns !== columns)) return none;
  const x = windowMatrix(window, columns);
  const drift = windowDrift(reference.features, x, rules);
  const profile = reference.features.profile.features;
  const features = drift.features.map((f, j) =>
    toColumnDrift(f, meanOfColumn(x.data, columns, j), profile[j]?.mean ?? Number.NaN),
  );
  const prediction = reference.prediction === null ? null : predictionDrift(window, reference.prediction, rules);
  return {
    features,
    prediction,
    datasetDrift: drift.dataset_drift,
    driftShare: drift.share_drifted,
    drifted: features.filter((f) => f.drifted).map((f) => f.name),
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
  const drift = featureDrift(feature.profile, feature.sortedSample, probabilities, rules, 1);
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

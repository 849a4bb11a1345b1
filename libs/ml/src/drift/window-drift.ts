import { InvalidDataError } from '../errors.js';
import type { DenseMatrix } from '../matrix.js';
import { countIntoBins } from './bins.js';
import { jensenShannonDistance } from './jensen-shannon.js';
import type { KsTailMemo } from './ks-tail-memo.js';
import { ksTwoSampleSorted } from './ks-two-sample.js';
import type { ReferenceFeature, ReferenceProfile } from './profile.js';
import { populationStabilityIndex } from './psi.js';
import { type DriftReference, type PreparedFeature, prepareDriftReference, prepareFeature } from './reference.js';
import { type DriftRules, datasetDrifted, perTestAlpha, resolveDriftRules } from './rules.js';
import { assertFinite } from './sorted.js';
import { normedWassersteinSorted } from './wasserstein.js';

/** How one feature of a window compares with its reference (JSON-shaped, snake_case). */
export interface FeatureDrift {
  readonly name: string;
  /** The statistic that decided: KS (p-value below alpha), or a distance/index at or above its threshold. */
  readonly method: 'ks' | 'wasserstein' | 'psi' | 'js';
  /** The deciding value: the KS p-value, else the distance or index. */
  readonly score: number;
  /** The (Bonferroni-corrected) alpha for KS, else the threshold. */
  readonly threshold: number;
  readonly drifted: boolean;
  /** PSI over the reference quantile bins. */
  readonly psi: number;
  /** Jensen–Shannon distance (natural log) over the reference quantile bins. */
  readonly js_distance: number;
  /** W1 / max(std(reference sample), 0.001). */
  readonly wasserstein_normed: number;
  /** KS against the reference sample; null when the rules do not call for it (sample above ks_max_reference_rows). */
  readonly ks_statistic: number | null;
  readonly ks_p_value: number | null;
  /** Window rows per reference bin. */
  readonly current_counts: number[];
}

/** How a whole window compares with the reference profile. */
export interface WindowDrift {
  readonly rows: number;
  readonly features: FeatureDrift[];
  readonly drifted_features: number;
  readonly share_drifted: number;
  readonly dataset_drift: boolean;
  /** The per-feature KS significance used: alpha, or alpha/features with Bonferroni. */
  readonly alpha: number;
  readonly rules: DriftRules;
}

/**
 * Compares one window (rows × the profile's features, same column order; a model's predicted probability can be
 * passed as one more column of both) with the reference profile: per feature PSI, Jensen–Shannon, normed
 * Wasserstein and, when the rules call for it, KS; then the dataset verdict. Prepare the profile once with
 * {@link prepareDriftReference} for speed (a raw profile is prepared on each call).
 */
export function windowDrift(
  reference: DriftReference | ReferenceProfile,
  current: DenseMatrix,
  overrides: Partial<DriftRules> = {},
): WindowDrift {
  const prepared = 'prepared' in reference ? reference : prepareDriftReference(reference);
  const rules = resolveDriftRules(overrides);
  const m = prepared.features.length;
  if (current.rows === 0) throw new InvalidDataError('the window has no rows: drift needs at least one');
  if (current.cols !== m) throw new InvalidDataError(`the window has ${current.cols} columns, the profile ${m}`);
  assertFinite(current.data, 'the window');
  const alpha = perTestAlpha(rules, m);
  const features = prepared.features.map((feature, j) =>
    driftOfPrepared(feature, windowColumn(current, j), rules, alpha, prepared.ksTails),
  );
  const drifted = features.filter((f) => f.drifted).length;
  return {
    rows: current.rows,
    features,
    drifted_features: drifted,
    share_drifted: drifted / m,
    dataset_drift: datasetDrifted(drifted, m, rules.drift_share),
    alpha,
    rules,
  };
}

/**
 * One feature's drift: its profile entry, its reference sample column (any order; a sorted Float64Array is used as
 * it is) and the window's values. `comparisons` is the number of features tested together, for Bonferroni.
 */
export function featureDrift(
  profileFeature: ReferenceFeature,
  sampleColumn: ArrayLike<number>,
  currentValues: ArrayLike<number>,
  overrides: Partial<DriftRules> = {},
  comparisons = 1,
): FeatureDrift {
  return preparedFeatureDrift(prepareFeature(profileFeature, sampleColumn), currentValues, overrides, comparisons);
}

/** {@link featureDrift} against a feature prepared once ({@link prepareFeature}): no sorting of the sample per window. */
export function preparedFeatureDrift(
  feature: PreparedFeature,
  currentValues: ArrayLike<number>,
  overrides: Partial<DriftRules> = {},
  comparisons = 1,
): FeatureDrift {
  const rules = resolveDriftRules(overrides);
  if (currentValues.length === 0) throw new InvalidDataError('the window has no rows: drift needs at least one');
  const alpha = perTestAlpha(rules, comparisons);
  assertFinite(currentValues, `window values of ${feature.profile.name}`);
  const current = Float64Array.from(currentValues).sort();
  return driftOfPrepared(feature, current, rules, alpha);
}

/** Column j of the window, sorted. */
function windowColumn(current: DenseMatrix, j: number): Float64Array {
  const column = new Float64Array(current.rows);
  for (let i = 0; i < current.rows; i++) column[i] = current.data[i * current.cols + j]!;
  return column.sort();
}

function driftOfPrepared(
  feature: PreparedFeature,
  current: Float64Array,
  rules: DriftRules,
  alpha: number,
  ksTails?: KsTailMemo,
): FeatureDrift {
  const counts = countIntoBins(feature.edges, current);
  const referenceCounts = feature.profile.bin_counts;
  const psi = populationStabilityIndex(referenceCounts, counts, { epsilon: rules.psi_epsilon });
  const js = jensenShannonDistance(referenceCounts, counts);
  const wasserstein = normedWassersteinSorted(feature.sortedSample, current, feature.sampleStd);
  const method = decidingMethod(rules, feature.sortedSample.length);
  const ks = method === 'ks' ? ksTwoSampleSorted(feature.sortedSample, current, ksTails) : null;
  const score = ks !== null ? ks.pValue : method === 'psi' ? psi : method === 'js' ? js : wasserstein;
  const threshold = method === 'ks' ? alpha : thresholdOf(rules, method);
  return {
    name: feature.profile.name,
    method,
    score,
    threshold,
    drifted: method === 'ks' ? score < threshold : score >= threshold,
    psi,
    js_distance: js,
    wasserstein_normed: wasserstein,
    ks_statistic: ks?.statistic ?? null,
    ks_p_value: ks?.pValue ?? null,
    current_counts: counts,
  };
}

function decidingMethod(rules: DriftRules, sampleRows: number): FeatureDrift['method'] {
  if (rules.method !== 'auto') return rules.method;
  return sampleRows <= rules.ks_max_reference_rows ? 'ks' : 'wasserstein';
}

function thresholdOf(rules: DriftRules, method: 'psi' | 'js' | 'wasserstein'): number {
  if (method === 'psi') return rules.psi_threshold;
  return method === 'js' ? rules.js_threshold : rules.wasserstein_threshold;
}

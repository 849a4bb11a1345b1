import { InvalidDataError } from '../errors.js';
import { KsTailMemo } from './ks-tail-memo.js';
import { numpyStd } from './numpy-reductions.js';
import type { ReferenceFeature, ReferenceProfile } from './profile.js';
import { assertFinite, isSortedAscending } from './sorted.js';

/** A profile feature ready for the monitor: typed edges, the sample sorted once, the sample's std computed once. */
export interface PreparedFeature {
  readonly profile: ReferenceFeature;
  readonly edges: Float64Array;
  readonly sortedSample: Float64Array;
  /** numpy.std of the sample column in its stored order (the normed Wasserstein denominator). */
  readonly sampleStd: number;
}

/** A {@link ReferenceProfile} prepared once so that each window costs only its own sorting and merging. */
export interface DriftReference {
  readonly prepared: true;
  readonly profile: ReferenceProfile;
  readonly features: readonly PreparedFeature[];
  /** The exact KS tails counted so far against this reference's sample (windows of one size repeat them). */
  readonly ksTails: KsTailMemo;
}

/** Checks a (possibly parsed-from-JSON) profile and prepares it for {@link windowDrift}. */
export function prepareDriftReference(profile: ReferenceProfile): DriftReference {
  if (profile.version !== 1) throw new InvalidDataError(`unsupported profile version ${String(profile.version)}`);
  const { features, sample } = profile;
  if (features.length === 0) throw new InvalidDataError('the profile has no features');
  if (sample.columns.length !== features.length) {
    throw new InvalidDataError(
      `the profile has ${features.length} features but ${sample.columns.length} sample columns`,
    );
  }
  return {
    prepared: true,
    profile,
    features: features.map((feature, j) => prepareFeature(feature, sample.columns[j]!)),
    ksTails: new KsTailMemo(),
  };
}

/** One feature prepared from its profile entry and its sample column (any order). */
export function prepareFeature(feature: ReferenceFeature, sampleColumn: ArrayLike<number>): PreparedFeature {
  const edges = Float64Array.from(feature.quantile_edges);
  if (edges.length === 0 || !isSortedAscending(edges)) {
    throw new InvalidDataError(`${feature.name}: quantile_edges must be 1 or more ascending values`);
  }
  if (feature.bin_counts.length !== Math.max(edges.length - 1, 1)) {
    throw new InvalidDataError(`${feature.name}: ${feature.bin_counts.length} bin_counts for ${edges.length} edges`);
  }
  if (sampleColumn.length === 0) throw new InvalidDataError(`${feature.name}: the reference sample is empty`);
  assertFinite(sampleColumn, `the reference sample of ${feature.name}`);
  const sampleStd = numpyStd(sampleColumn);
  const alreadySorted = sampleColumn instanceof Float64Array && isSortedAscending(sampleColumn);
  const sortedSample = alreadySorted ? sampleColumn : Float64Array.from(sampleColumn).sort();
  return { profile: feature, edges, sortedSample, sampleStd };
}

import { InvalidDataError, InvalidParameterError } from '../errors.js';
import type { DenseMatrix } from '../matrix.js';
import { RandomState } from '../random/random-state.js';
import { countIntoBins } from './bins.js';
import { numpyMean, numpyStd } from './numpy-reductions.js';
import { distinctSorted, quantileEdges } from './quantiles.js';
import { assertFinite } from './sorted.js';

/** One feature of a {@link ReferenceProfile}: summary statistics and the quantile bins of the training column. */
export interface ReferenceFeature {
  readonly name: string;
  /** Training rows. */
  readonly count: number;
  /** numpy's mean and population standard deviation (ddof 0) of the training column. */
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
  /** numpy.quantile at 0, 1/bins, …, 1 ('linear'), repeated edges dropped (numpy.unique): 1 to bins + 1 edges. */
  readonly quantile_edges: number[];
  /** Training rows per bin (see countIntoBins): numpy.histogram(column, quantile_edges); sums to count. */
  readonly bin_counts: number[];
  /** Distinct training values, capped at the profile's unique_cap (a value equal to the cap means "at least"). */
  readonly unique_count: number;
}

/** The reference sample: training rows kept for the two-sample tests, stored column by column. */
export interface ReferenceSample {
  /** Training row indices, in draw order. */
  readonly rows: number[];
  /** One array per feature, entry i from training row rows[i] (rows stay aligned across columns). */
  readonly columns: number[][];
}

/** What a window is compared with: plain JSON (numbers and arrays only), written once per model version. */
export interface ReferenceProfile {
  readonly version: 1;
  /** Training rows the profile was built from. */
  readonly rows: number;
  readonly bins: number;
  readonly sample_size: number;
  readonly random_state: number;
  readonly unique_cap: number;
  readonly features: ReferenceFeature[];
  readonly sample: ReferenceSample;
}

/** Options of {@link buildReferenceProfile}. */
export interface ReferenceProfileOptions {
  /** Quantile bins per feature. @defaultValue 10 */
  readonly bins?: number;
  /** At most this many training rows go into the sample. @defaultValue 5000 */
  readonly sampleSize?: number;
  /** Seed of the sample draw. @defaultValue 0 */
  readonly randomState?: number;
  /** One name per column. @defaultValue x0, x1, … */
  readonly featureNames?: readonly string[];
  /** unique_count stops counting here. @defaultValue 1000 */
  readonly uniqueCap?: number;
}

/**
 * Profiles a training matrix for drift monitoring. The sample is every row (in order) when there are at most
 * sampleSize rows, else the first sampleSize of numpy's `RandomState(randomState).permutation(rows)`: without
 * replacement and reproducible.
 */
export function buildReferenceProfile(x: DenseMatrix, options: ReferenceProfileOptions = {}): ReferenceProfile {
  const resolved = resolveOptions(x, options);
  if (x.rows === 0 || x.cols === 0) throw new InvalidDataError(`cannot profile a ${x.rows}x${x.cols} matrix`);
  assertFinite(x.data, 'the training matrix');
  const rows = sampleRows(x.rows, resolved.sampleSize, resolved.randomState);
  const features: ReferenceFeature[] = [];
  const columns: number[][] = [];
  for (let j = 0; j < x.cols; j++) {
    features.push(profileColumn(x, j, resolved.names[j]!, resolved.bins, resolved.uniqueCap));
    columns.push(rows.map((i) => x.data[i * x.cols + j]!));
  }
  return {
    version: 1,
    rows: x.rows,
    bins: resolved.bins,
    sample_size: resolved.sampleSize,
    random_state: resolved.randomState,
    unique_cap: resolved.uniqueCap,
    features,
    sample: { rows, columns },
  };
}

/** The options with their defaults, checked. */
export function resolveProfileOptions(options: ReferenceProfileOptions) {
  const bins = options.bins ?? 10;
  const sampleSize = options.sampleSize ?? 5000;
  const randomState = options.randomState ?? 0;
  const uniqueCap = options.uniqueCap ?? 1000;
  if (!Number.isInteger(bins) || bins < 1) throw new InvalidParameterError('bins', bins, 'an integer ≥ 1');
  if (!Number.isInteger(sampleSize) || sampleSize < 1) {
    throw new InvalidParameterError('sampleSize', sampleSize, 'an integer ≥ 1');
  }
  if (!Number.isInteger(uniqueCap) || uniqueCap < 1) {
    throw new InvalidParameterError('uniqueCap', uniqueCap, 'an integer ≥ 1');
  }
  return { bins, sampleSize, randomState, uniqueCap };
}

function resolveOptions(x: DenseMatrix, options: ReferenceProfileOptions) {
  const names = options.featureNames ?? Array.from({ length: x.cols }, (_, j) => `x${j}`);
  if (names.length !== x.cols) {
    throw new InvalidParameterError('featureNames', names.length, `one name per column (${x.cols})`);
  }
  return { ...resolveProfileOptions(options), names };
}

/** Every row when there are few enough, else the first sampleSize of a seeded permutation. */
export function sampleRows(rows: number, sampleSize: number, randomState: number): number[] {
  if (rows <= sampleSize) return Array.from({ length: rows }, (_, i) => i);
  return Array.from(new RandomState(randomState).permutation(rows).subarray(0, sampleSize));
}

function profileColumn(x: DenseMatrix, j: number, name: string, bins: number, uniqueCap: number): ReferenceFeature {
  const column = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) column[i] = x.data[i * x.cols + j]!;
  return profileValues(column, name, bins, uniqueCap);
}

/** One column's profile entry from its values (finite, at least one; sorted in place). */
export function profileValues(column: Float64Array, name: string, bins: number, uniqueCap: number): ReferenceFeature {
  const mean = numpyMean(column);
  const std = numpyStd(column);
  const sorted = column.sort();
  const edges = distinctSorted(quantileEdges(sorted, bins));
  return {
    name,
    count: column.length,
    mean,
    std,
    min: sorted[0]!,
    max: sorted[column.length - 1]!,
    quantile_edges: Array.from(edges),
    bin_counts: countIntoBins(edges, sorted),
    unique_count: Math.min(distinctSorted(sorted).length, uniqueCap),
  };
}

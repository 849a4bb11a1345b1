import { expect } from 'vitest';
import { type DenseMatrix, denseMatrix } from '../../src/matrix.js';
import { RandomState } from '../../src/random/random-state.js';
import { loadFixture } from './fixtures.js';

/** A generated sample: bellCurve(seed, size) * scale + loc, floored when `floor`. */
export interface SampleSpec {
  seed: number;
  size: number;
  loc: number;
  scale: number;
  floor: boolean;
}

export interface TwoSampleCase {
  name: string;
  reference: SampleSpec | number[];
  current: SampleSpec | number[];
  reference_sum?: number;
  current_sum?: number;
  ks_statistic: number;
  ks_p_value: number;
  ks_method: 'exact' | 'asymp';
  wasserstein: number;
  wasserstein_normed: number;
}

export interface ProfileFeatureExpected {
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  quantile_edges: number[];
  bin_counts: number[];
  unique_count: number;
}

export interface WindowSpec {
  seed: number;
  rows: number;
  shifts: number[];
}

export interface ProfileCase {
  name: string;
  seed: number;
  rows: number;
  sample_size: number;
  random_state: number;
  bins: number;
  features: ProfileFeatureExpected[];
  sample_rows: number[];
  window: WindowSpec;
  window_counts: number[][];
}

export interface WindowFeatureExpected {
  psi: number;
  js_distance: number;
  ks_statistic: number;
  ks_p_value: number;
  wasserstein_normed: number;
  current_counts: number[];
  method: 'ks' | 'wasserstein';
  drifted: boolean;
}

export interface WindowCase {
  name: string;
  seed: number;
  rows: number;
  sample_size: number;
  window: WindowSpec;
  features: WindowFeatureExpected[];
  drifted_features: number;
  dataset_drift: boolean;
}

export interface DriftFixture {
  profile_columns: { scale: number; loc: number; floor: boolean }[];
  two_sample: TwoSampleCase[];
  kstwo: { n: number; x: number; sf: number }[];
  jensenshannon: { name: string; p: number[]; q: number[]; base: number | null; distance: number }[];
  psi: { name: string; reference_counts: number[]; current_counts: number[]; epsilon: number; psi: number }[];
  chisquare: {
    name: string;
    reference_counts: number[];
    current_counts: number[];
    statistic: number | null;
    p_value: number;
    degrees_of_freedom: number;
  }[];
  chi2_sf: { df: number; x: number; sf: number }[];
  profiles: ProfileCase[];
  windows: WindowCase[];
}

/** drift.json, written by tools/fixtures/generate.py (section "drift"). */
export const driftFixture = loadFixture<DriftFixture>('drift.json');

/**
 * The generator's bell_curve: each value is the sum of 12 consecutive `RandomState(seed).random_sample()` draws,
 * added left to right, minus 6. Bit for bit the same as numpy's (standard_normal would differ in the last bit, as
 * its log and sqrt come from another libm).
 */
export function bellCurve(seed: number, count: number): Float64Array {
  const rng = new RandomState(seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let total = rng.randomSample();
    for (let k = 1; k < 12; k++) total += rng.randomSample();
    out[i] = total - 6;
  }
  return out;
}

/** Regenerates a sample exactly as the generator drew it. */
export function sampleOf(spec: SampleSpec | number[]): Float64Array {
  if (Array.isArray(spec)) return Float64Array.from(spec);
  return bellCurve(spec.seed, spec.size).map((v) => {
    const value = v * spec.scale + spec.loc;
    return spec.floor ? Math.floor(value) : value;
  });
}

/** The generator's profile_matrix: bellCurve(seed, rows × columns) row by row, each column per its recipe. */
export function profileMatrix(seed: number, rows: number, shifts?: readonly number[]): DenseMatrix {
  const recipes = driftFixture.profile_columns;
  const cols = recipes.length;
  const data = bellCurve(seed, rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const recipe = recipes[j]!;
      const value = data[i * cols + j]! * recipe.scale + (recipe.loc + (shifts?.[j] ?? 0));
      data[i * cols + j] = recipe.floor ? Math.floor(value) : value;
    }
  }
  return denseMatrix(data, rows, cols);
}

/** |actual − expected| ≤ tolerance · max(1, |expected|): absolute for probabilities, relative for large values. */
export function expectClose(actual: number, expected: number, tolerance: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    tolerance * Math.max(1, Math.abs(expected)),
  );
}

/** |actual − expected| ≤ tolerance · |expected| (exactly equal when expected is 0). */
export function expectRelative(actual: number, expected: number, tolerance: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    tolerance * Math.abs(expected),
  );
}

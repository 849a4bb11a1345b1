import { describe, expect, it } from 'vitest';
import { KsTailMemo } from '../src/drift/ks-tail-memo.js';
import { buildReferenceProfile } from '../src/drift/profile.js';
import { prepareDriftReference } from '../src/drift/reference.js';
import { DEFAULT_DRIFT_RULES, resolveDriftRules } from '../src/drift/rules.js';
import { featureDrift, windowDrift } from '../src/drift/window-drift.js';
import { InvalidDataError, InvalidParameterError } from '../src/errors.js';
import { type DenseMatrix, denseMatrix } from '../src/matrix.js';
import { RandomState } from '../src/random/random-state.js';
import { driftFixture, expectClose, expectRelative, profileMatrix } from './support/drift-fixture.js';

describe('windowDrift (against numpy PSI and scipy jensenshannon, ks_2samp, wasserstein_distance)', () => {
  for (const c of driftFixture.windows) {
    it(`when the case is ${c.name}, then every statistic, method and verdict matches`, () => {
      const profile = buildReferenceProfile(profileMatrix(c.seed, c.rows), { sampleSize: c.sample_size });
      const result = windowDrift(profile, profileMatrix(c.window.seed, c.window.rows, c.window.shifts));
      c.features.forEach((expected, j) => {
        const f = result.features[j]!;
        expect([f.method, f.drifted, f.current_counts]).toEqual([
          expected.method,
          expected.drifted,
          expected.current_counts,
        ]);
        expectClose(f.psi, expected.psi, 1e-12, `psi of x${j}`);
        expectClose(f.js_distance, expected.js_distance, 1e-12, `js of x${j}`);
        expectRelative(f.wasserstein_normed, expected.wasserstein_normed, 1e-12, `normed W1 of x${j}`);
        // KS is only computed when it decides (null otherwise); when computed it must match scipy.
        expectRelative(f.ks_p_value ?? expected.ks_p_value, expected.ks_p_value, 1e-12, `KS p of x${j}`);
        expect(f.ks_statistic ?? expected.ks_statistic).toBe(expected.ks_statistic);
        expect(f.ks_p_value === null).toBe(expected.method !== 'ks');
      });
      expect([result.drifted_features, result.dataset_drift]).toEqual([c.drifted_features, c.dataset_drift]);
      expect(result.alpha).toBe(0.05 / c.features.length);
    });
  }
});

const FEATURES = 20;
const SHIFTED = [3, 8, 15];

/** rows × FEATURES standard normals (our RandomState), the listed columns shifted by +shift. */
function normalMatrix(seed: number, rows: number, shifted: readonly number[] = [], shift = 1): DenseMatrix {
  const data = new RandomState(seed).standardNormals(rows * FEATURES);
  for (let i = 0; i < rows; i++) for (const j of shifted) data[i * FEATURES + j]! += shift;
  return denseMatrix(data, rows, FEATURES);
}

const driftedColumns = (result: { features: { drifted: boolean }[] }) =>
  result.features.flatMap((f, j) => (f.drifted ? [j] : []));

describe('windowDrift behaviour on 20 features, windows of 500 rows', () => {
  const small = prepareDriftReference(buildReferenceProfile(normalMatrix(1, 800)));
  const large = prepareDriftReference(buildReferenceProfile(normalMatrix(2, 5000)));

  it('when 40 windows come from the training distribution, then no dataset drifts and KS flags stay near alpha', () => {
    const results = Array.from({ length: 40 }, (_, w) => windowDrift(small, normalMatrix(100 + w, 500)));
    expect(results.filter((r) => r.dataset_drift)).toEqual([]);
    // 800 feature comparisons at alpha 0.05/20 each; this run flags 5.
    expect(results.reduce((n, r) => n + r.drifted_features, 0)).toBeLessThanOrEqual(8);
  });

  it('when 40 same-distribution windows meet the 5000-row reference, then Wasserstein 0.1 flags some features of 500-row windows but none of 2000-row ones', () => {
    const count = (rows: number) =>
      Array.from({ length: 40 }, (_, w) => windowDrift(large, normalMatrix(100 + w, rows)));
    const short = count(500);
    expect(short.filter((r) => r.dataset_drift)).toEqual([]);
    // W1 of 500 rows against the population is ≈ 0.055 on average: this run flags 47 of 800 comparisons (≈ 6%).
    expect(short.reduce((n, r) => n + r.drifted_features, 0)).toBeLessThanOrEqual(60);
    expect(count(2000).reduce((n, r) => n + r.drifted_features, 0)).toBe(0);
  });

  it('when three features shift by +1.0, then exactly those drift: KS (800 rows), Wasserstein (5000 rows, 2000-row window)', () => {
    const bySmall = windowDrift(small, normalMatrix(7, 500, SHIFTED));
    const byLarge = windowDrift(large, normalMatrix(7, 2000, SHIFTED));
    expect([driftedColumns(bySmall), driftedColumns(byLarge)]).toEqual([SHIFTED, SHIFTED]);
    expect([bySmall.features[0]!.method, byLarge.features[0]!.method]).toEqual(['ks', 'wasserstein']);
    expect([bySmall.dataset_drift, byLarge.dataset_drift]).toEqual([false, false]);
  });

  it('when three features shift by +1.0 in a 500-row window, then their normed Wasserstein stands far above the rest', () => {
    const distances = windowDrift(large, normalMatrix(7, 500, SHIFTED)).features.map((f) => f.wasserstein_normed);
    const shifted = SHIFTED.map((j) => distances[j]!);
    const others = distances.filter((_, j) => !SHIFTED.includes(j));
    expect(Math.min(...shifted)).toBeGreaterThan(0.8);
    expect(Math.max(...others)).toBeLessThan(0.2);
  });

  it('when PSI or Jensen–Shannon decides instead, then the same three features drift', () => {
    const window = normalMatrix(8, 500, SHIFTED);
    expect(driftedColumns(windowDrift(large, window, { method: 'psi' }))).toEqual(SHIFTED);
    expect(driftedColumns(windowDrift(large, window, { method: 'js' }))).toEqual(SHIFTED);
    expect(windowDrift(large, window, { method: 'ks' }).features[3]!.ks_p_value).toBeLessThan(1e-20);
  });

  it('when half the features shift, then the dataset drifts; one fewer, and it does not', () => {
    const half = Array.from({ length: 10 }, (_, j) => j);
    expect(windowDrift(small, normalMatrix(9, 500, half)).dataset_drift).toBe(true);
    expect(windowDrift(small, normalMatrix(9, 500, half.slice(1))).dataset_drift).toBe(false);
    expect(windowDrift(small, normalMatrix(9, 500, half.slice(1)), { drift_share: 0.45 }).dataset_drift).toBe(true);
  });

  it('when the model’s predicted probability is passed as one more column, then it is compared like a feature', () => {
    const withProbability = (x: DenseMatrix) => {
      const cols = x.cols + 1;
      const data = new Float64Array(x.rows * cols);
      for (let i = 0; i < x.rows; i++) {
        data.set(x.data.subarray(i * x.cols, (i + 1) * x.cols), i * cols);
        data[i * cols + x.cols] = 1 / (1 + Math.exp(-x.data[i * x.cols + 3]!));
      }
      return denseMatrix(data, x.rows, cols);
    };
    const profile = buildReferenceProfile(withProbability(normalMatrix(1, 800)));
    const result = windowDrift(profile, withProbability(normalMatrix(10, 500, SHIFTED)));
    expect(driftedColumns(result)).toEqual([...SHIFTED, FEATURES]);
    expect(result.alpha).toBe(0.05 / 21);
  });
});

describe('windowDrift on degenerate input', () => {
  const constantTraining = denseMatrix(
    Float64Array.from({ length: 800 }, (_, i) => (i % 2 === 0 ? 1.5 : i)),
    400,
    2,
  );
  const profile = buildReferenceProfile(constantTraining);
  const windowOf = (constant: number) =>
    denseMatrix(
      Float64Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? constant : 2 * i + 1)),
      50,
      2,
    );

  it('when a training column is constant, then its profile has one edge and one bin', () => {
    expect(profile.features[0]).toMatchObject({ std: 0, min: 1.5, max: 1.5, quantile_edges: [1.5], bin_counts: [400] });
    expect(profile.features[0]!.unique_count).toBe(1);
  });

  it('when the window keeps the constant, then nothing drifts on it; when the constant moves, KS and Wasserstein see it', () => {
    const same = windowDrift(profile, windowOf(1.5)).features[0]!;
    expect([same.drifted, same.psi, same.js_distance, same.wasserstein_normed, same.ks_p_value]).toEqual([
      false,
      0,
      0,
      0,
      1,
    ]);
    const moved = windowDrift(profile, windowOf(2)).features[0]!;
    expect([moved.drifted, moved.psi, moved.js_distance]).toEqual([true, 0, 0]);
    expect(moved.wasserstein_normed).toBeCloseTo(0.5 / 0.001, 9);
  });

  it('when the window is empty, has the wrong width or a NaN, then it says so', () => {
    expect(() => windowDrift(profile, denseMatrix(new Float64Array(0), 0, 2))).toThrow(/no rows/);
    expect(() => windowDrift(profile, denseMatrix(new Float64Array(3), 1, 3))).toThrow(/3 columns, the profile 2/);
    expect(() => windowDrift(profile, denseMatrix(Float64Array.of(1, Number.NaN), 1, 2))).toThrow(InvalidDataError);
    expect(() => featureDrift(profile.features[0]!, [1.5], [])).toThrow(/no rows/);
  });

  it('when the profile comes back from JSON, or is prepared first, then the answer is the same', () => {
    const window = windowOf(1.5);
    const direct = windowDrift(profile, window);
    expect(windowDrift(JSON.parse(JSON.stringify(profile)), window)).toEqual(direct);
    expect(windowDrift(prepareDriftReference(profile), window)).toEqual(direct);
    expect(() => prepareDriftReference({ ...profile, version: 2 as 1 })).toThrow(/version 2/);
  });
});

describe('featureDrift and the rules', () => {
  const profile = buildReferenceProfile(normalMatrix(1, 800));
  const window = normalMatrix(7, 500, SHIFTED);
  const column = (j: number) => Array.from({ length: window.rows }, (_, i) => window.data[i * FEATURES + j]!);

  it('when called for one feature with the window’s feature count, then it equals that feature of windowDrift', () => {
    const whole = windowDrift(profile, window);
    const one = featureDrift(profile.features[8]!, profile.sample.columns[8]!, column(8), {}, FEATURES);
    expect(one).toEqual(whole.features[8]);
  });

  it('when Bonferroni is off, then alpha is used as it is', () => {
    expect(windowDrift(profile, window, { bonferroni: false }).alpha).toBe(0.05);
    expect(DEFAULT_DRIFT_RULES).toMatchObject({ alpha: 0.05, bonferroni: true, drift_share: 0.5, method: 'auto' });
  });

  it('when a rule is out of range, then it is refused by name', () => {
    expect(() => resolveDriftRules({ alpha: 0 })).toThrow(InvalidParameterError);
    expect(() => resolveDriftRules({ method: 'magic' as 'ks' })).toThrow(/method/);
    expect(() => resolveDriftRules({ psi_threshold: -1 })).toThrow(/psi_threshold/);
    expect(() => resolveDriftRules({ ks_max_reference_rows: 1.5 })).toThrow(/ks_max_reference_rows/);
  });
});

describe('the KS tail memo of a prepared reference', () => {
  it('when windows of one size repeat a statistic, then its tail is counted once and every result stays the same', () => {
    const memoized = prepareDriftReference(buildReferenceProfile(normalMatrix(5, 800)));
    const windows = Array.from({ length: 12 }, (_, w) => normalMatrix(300 + w, 500, w % 3 === 0 ? SHIFTED : []));
    const fresh = windows.map((window) =>
      windowDrift({ ...memoized, ksTails: new KsTailMemo() }, window).features.map((f) => f.ks_p_value),
    );
    const once = windows.map((window) => windowDrift(memoized, window).features.map((f) => f.ks_p_value));
    expect(once).toEqual(fresh);
    const held = memoized.ksTails.size;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(12 * FEATURES);
    const again = windows.map((window) => windowDrift(memoized, window).features.map((f) => f.ks_p_value));
    expect(again).toEqual(fresh);
    expect(memoized.ksTails.size).toBe(held);
  });

  it('when a tail is looked up, then it is the value computed for those sizes and statistic only', () => {
    const memo = new KsTailMemo();
    expect(memo.tail(800, 500, 120, () => 0.25)).toBe(0.25);
    expect(memo.tail(800, 500, 120, () => 0.75)).toBe(0.25);
    expect(memo.tail(800, 400, 120, () => 0.75)).toBe(0.75);
    expect(memo.tail(800, 500, 121, () => 0.5)).toBe(0.5);
    expect(memo.size).toBe(3);
  });
});

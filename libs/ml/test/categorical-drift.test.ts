import { describe, expect, it } from 'vitest';
import { categoricalDrift, proportionsZTest } from '../src/drift/categorical-drift.js';
import { buildReferenceProfile } from '../src/drift/profile.js';
import { prepareTableReference, tableWindowDrift } from '../src/drift/table-drift.js';
import { buildTableProfile } from '../src/drift/table-profile.js';
import { InvalidDataError } from '../src/errors.js';
import { denseMatrix } from '../src/matrix.js';
import type { RawTable } from '../src/preprocessing/raw-table.js';
import { expectClose, expectRelative } from './support/drift-fixture.js';
import { loadFixture } from './support/fixtures.js';

interface CategoricalCase {
  name: string;
  categories: (string | number)[];
  reference_counts: number[];
  current_counts: number[];
  default_stattest: 'chisquare' | 'z' | 'jensenshannon';
  js_distance: number;
  psi: number;
  z_p_value?: number;
  chisquare_p_value?: number;
}

const fixture = loadFixture<{ cases: CategoricalCase[] }>('categorical-drift.json');
const METHOD = { chisquare: 'chisquare', z: 'z', jensenshannon: 'js' } as const;

describe('categoricalDrift (against Evidently 0.7 stattests on pandas Series of categories)', () => {
  for (const c of fixture.cases) {
    it(`when the case is ${c.name}, then the default test, its score and the distances match`, () => {
      const drift = categoricalDrift('column', c.reference_counts, c.current_counts);
      expect(drift.method).toBe(METHOD[c.default_stattest]);
      expectClose(drift.js_distance, c.js_distance, 1e-12, 'js');
      expectRelative(drift.psi, c.psi, 1e-12, 'psi');
      const byDistance = c.default_stattest === 'jensenshannon';
      const score = byDistance ? c.js_distance : (c.z_p_value ?? c.chisquare_p_value ?? Number.NaN);
      expectRelative(drift.score, score, 1e-11, 'score');
      expect(drift.drifted).toBe(byDistance ? score >= 0.1 : score < 0.05);
    });
  }

  it('when the window has no value, then it refuses', () => {
    expect(() => categoricalDrift('plan', [5, 3], [0, 0])).toThrow(InvalidDataError);
  });

  it('when several columns are compared with Bonferroni, then the alpha is divided among them', () => {
    const drift = categoricalDrift('plan', [300, 150, 50], [61, 29, 10], {}, 4);
    expect(drift.threshold).toBe(0.0125);
  });

  it('when the rules ask for psi, then psi decides against its threshold', () => {
    const drift = categoricalDrift('plan', [300, 150, 50], [100, 100, 100], { method: 'psi' });
    expect(drift.method).toBe('psi');
    expect(drift.score).toBe(drift.psi);
    expect(drift.drifted).toBe(true);
  });

  it('when more than two categories reach the Z-test, then it refuses', () => {
    expect(() => proportionsZTest([1, 2, 3], [1, 1, 1])).toThrow(/at most 2/);
  });
});

const table: RawTable = {
  rows: 8,
  columns: [
    { name: 'tenure', kind: 'number', values: Float64Array.from([1, 5, Number.NaN, 12, 30, Number.NaN, 2, 7]) },
    { name: 'plan', kind: 'text', values: ['pro', 'basic', null, 'plus', 'basic', 'basic', 'pro', null] },
    { name: 'seats', kind: 'number', values: Float64Array.from([1, 2, 2, Number.NaN, 3, 1, 2, 2]) },
  ],
};
const columns = [
  { name: 'tenure', role: 'numeric' },
  { name: 'plan', role: 'categorical' },
  { name: 'seats', role: 'categorical' },
] as const;

describe('buildTableProfile', () => {
  it('when a table has missing cells, then numeric columns profile their present values and categories are counted', () => {
    const profile = buildTableProfile(table, columns, { sampleSize: 5, randomState: 3 });
    const [tenure, plan, seats] = profile.columns;
    expect(tenure).toMatchObject({ role: 'numeric', missing: 2 });
    const present = buildReferenceProfile(denseMatrix(Float64Array.from([1, 5, 12, 30, 2, 7]), 6, 1), {
      featureNames: ['tenure'],
    });
    expect(tenure?.role === 'numeric' ? tenure.present : undefined).toEqual(present.features[0]);
    expect(plan).toEqual({
      role: 'categorical',
      name: 'plan',
      missing: 2,
      categories: ['basic', 'plus', 'pro'],
      counts: [3, 1, 2],
    });
    expect(seats).toEqual({ role: 'categorical', name: 'seats', missing: 1, categories: [1, 2, 3], counts: [2, 4, 1] });
  });

  it('when it samples, then it draws the rows buildReferenceProfile draws and codes them (null where missing)', () => {
    const profile = buildTableProfile(table, columns, { sampleSize: 5, randomState: 3 });
    const drawn = buildReferenceProfile(denseMatrix(new Float64Array(8), 8, 1), { sampleSize: 5, randomState: 3 });
    expect(profile.sample.rows).toEqual(drawn.sample.rows);
    const planCodes = { pro: 2, basic: 0, plus: 1 } as Record<string, number>;
    const plan = table.columns[1]?.values as (string | null)[];
    expect(profile.sample.columns[1]).toEqual(profile.sample.rows.map((i) => (plan[i] ? planCodes[plan[i]] : null)));
    const tenure = table.columns[0]?.values as Float64Array;
    expect(profile.sample.columns[0]).toEqual(
      profile.sample.rows.map((i) => (Number.isNaN(tenure[i]) ? null : tenure[i])),
    );
  });

  it('when a numeric column has no value, then it cannot be profiled', () => {
    const empty: RawTable = {
      rows: 2,
      columns: [{ name: 'x', kind: 'number', values: Float64Array.from([NaN, NaN]) }],
    };
    expect(() => buildTableProfile(empty, [{ name: 'x', role: 'numeric' }])).toThrow(/no value/);
  });
});

describe('tableWindowDrift', () => {
  const profile = buildTableProfile(table, columns);
  const reference = prepareTableReference(profile);

  it('when a window shifts a category, has unseen ones and one column is all missing, then each is reported', () => {
    const window = [
      Float64Array.from([NaN, NaN, NaN, NaN, NaN, NaN]),
      Float64Array.from([2, 2, 2, 2, 3, NaN]),
      Float64Array.from([0, 1, 1, 2, 1, 0]),
    ];
    const drift = tableWindowDrift(reference, window);
    const [tenure, plan, seats] = drift.columns;
    expect(tenure).toMatchObject({ drift: null, missingShare: 1, referenceMissingShare: 0.25, mean: null });
    expect(plan).toMatchObject({ role: 'categorical', unseen: 1, missingShare: 1 / 6, referenceMissingShare: 0.25 });
    const expected = categoricalDrift('plan', [3, 1, 2, 0], [0, 0, 4, 1], {}, 2);
    expect(plan?.drift).toEqual(expected);
    expect(plan?.drift?.drifted).toBe(true);
    expect(seats?.drift).toEqual(categoricalDrift('seats', [2, 4, 1, 0], [2, 3, 1, 0], {}, 2));
    expect(drift).toMatchObject({ rows: 6, compared: 2, drifted: 1, shareDrifted: 0.5, datasetDrift: true });
  });

  it('when a numeric column has present values, then they are compared as a feature and their mean reported', () => {
    const window = [
      Float64Array.from([3, 4, NaN, 6]),
      Float64Array.from([0, 1, 2, 0]),
      Float64Array.from([0, 1, 2, 1]),
    ];
    const [tenure] = tableWindowDrift(reference, window).columns;
    expect(tenure?.drift?.name).toBe('tenure');
    expect(tenure?.mean).toBe(13 / 3);
    expect(tenure?.referenceMean).toBe(57 / 6);
    expect(tenure?.missingShare).toBe(0.25);
  });

  it('when a numeric column has at most five distinct values, then its values are compared as categories (Evidently)', () => {
    const flags: RawTable = {
      rows: 10,
      columns: [{ name: 'senior', kind: 'number', values: Float64Array.from([0, 1, 0, 0, 1, 0, 0, 0, 1, 0]) }],
    };
    const flagReference = prepareTableReference(buildTableProfile(flags, [{ name: 'senior', role: 'numeric' }]));
    const [senior] = tableWindowDrift(flagReference, [Float64Array.from([1, 1, 1, 1, 0, 1])]).columns;
    expect(senior?.drift).toEqual(categoricalDrift('senior', [7, 3], [1, 5]));
    expect(senior?.drift?.method).toBe('z');
    expect(senior?.mean).toBe(5 / 6);
  });

  it('when the window has the wrong number of columns, then it refuses', () => {
    expect(() => tableWindowDrift(reference, [Float64Array.from([1])])).toThrow(/3/);
  });
});

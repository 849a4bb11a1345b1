import { buildTableProfile, type Category, DEFAULT_DRIFT_RULES, type RawTable } from '@mlops/ml';
import { describe, expect, it } from 'vitest';
import { driftOfWindow, prepareReference, referenceRows } from '../src/domain/drift-report.js';
import type { VersionFiles } from '../src/domain/ports.js';
import type { ClosedWindow } from '../src/domain/window-book.js';

const PLANS = ['basic', 'plus', 'pro'];
/** 40 training rows: tenure 1…40 with every 10th missing, plan basic/plus/pro (every 8th missing). */
const training: RawTable = {
  rows: 40,
  columns: [
    {
      name: 'tenure',
      kind: 'number',
      values: Float64Array.from({ length: 40 }, (_, i) => (i % 10 === 9 ? NaN : i + 1)),
    },
    { name: 'plan', kind: 'text', values: Array.from({ length: 40 }, (_, i) => (i % 8 === 7 ? null : PLANS[i % 3]!)) },
  ],
};
const profile = buildTableProfile(training, [
  { name: 'tenure', role: 'numeric' },
  { name: 'plan', role: 'categorical' },
]);
/** The model's fitted categories end with null ("missing is a category", sorted last as the encoder sorts it). */
const MODEL_CATEGORIES: Category[] = ['basic', 'plus', 'pro', null];
const scored: RawTable[] = [];
const files: VersionFiles = {
  profile,
  model: { classes: [0, 1], coef: [0, 0], intercept: 0, featureNames: ['tenure', 'plan_basic'] },
  training: {},
  table: {
    columns: [
      { name: 'tenure', kind: 'number', role: 'numeric' },
      { name: 'plan', kind: 'text', role: 'categorical' },
    ],
    categories: [[], MODEL_CATEGORIES],
    probabilities: (table) => {
      scored.push(table);
      return Float64Array.from({ length: table.rows }, (_, i) => (i % 5) / 5);
    },
  },
};

/** A closed window of one logged message of raw coded rows [tenure, plan code]. */
function windowOf(rows: [number, number][]): ClosedWindow {
  const features = Float64Array.from(rows.flat());
  const batch = {
    model: 'churn',
    version: '1',
    requests: [{ requestId: 'r', predictedAtMs: 0, rows: rows.length }],
    rows: rows.length,
    columns: 2,
    features,
    rawColumns: true,
    probabilities: Float64Array.from(rows, (_, i) => (i % 4) / 4),
    labels: new Float64Array(rows.length),
    sequence: 1,
  };
  return {
    key: 'churn:1',
    model: 'churn',
    version: '1',
    index: 0,
    parts: [{ batch, from: 0, to: rows.length, settle: undefined }],
    rows: rows.length,
    openedAtMs: 0,
    closedBy: 'rows',
    closedAtMs: 1,
  };
}

describe("a table model's windows", () => {
  const reference = prepareReference(files);

  it('when the reference is prepared, then the model scores the decoded sample (categories back to text, NaN/null where missing)', () => {
    expect(reference.driftUnavailable).toBeNull();
    expect(referenceRows(reference)).toBe(40);
    const sample = scored.at(-1);
    expect(sample?.columns[1]?.values).toEqual(training.columns[1]?.values);
    expect(sample?.columns[0]?.values).toEqual(training.columns[0]?.values);
  });

  it("when rows come with the model's codes, then categories are compared as the profile counts them, unseen apart", () => {
    // Model codes: 2 pro, 4 = a category the model never saw (after its 4 categories, null included); NaN missing.
    const rows: [number, number][] = Array.from({ length: 30 }, (_, i) => [
      i < 3 ? NaN : 100 + i,
      i % 3 === 0 ? 4 : i % 3 === 1 ? 2 : NaN,
    ]);
    const report = driftOfWindow(windowOf(rows), reference, DEFAULT_DRIFT_RULES, 10);
    const plan = report.features.find((f) => f.name === 'plan');
    expect(plan).toMatchObject({ kind: 'categorical', method: 'chisquare', drifted: true, unseen: 10, mean: null });
    const tenure = report.features.find((f) => f.name === 'tenure');
    expect(tenure).toMatchObject({ kind: 'numeric', method: 'ks', drifted: true, ks_statistic: 1 });
    expect(tenure?.mean).toBeCloseTo(116, 12);
    expect(report.missing).toEqual([
      { name: 'tenure', share: 0.1, reference_share: 0.1 },
      { name: 'plan', share: 1 / 3, reference_share: 5 / 40 },
    ]);
    expect(report.datasetDrift).toBe(true);
    expect(report.prediction?.name).toBe('prediction');
  });

  it('when a window has no value of a column, then the column is not compared and its missing share is 1', () => {
    const rows: [number, number][] = Array.from({ length: 20 }, (_, i) => [NaN, i % 3]);
    const report = driftOfWindow(windowOf(rows), reference, DEFAULT_DRIFT_RULES, 10);
    expect(report.features.map((f) => f.name)).toEqual(['plan']);
    expect(report.missing[0]).toEqual({ name: 'tenure', share: 1, reference_share: 0.1 });
    expect(report.features[0]?.unseen).toBe(0);
  });

  it("when the logged rows are a model's encoded features, not raw columns, then no drift is computed", () => {
    const window = windowOf([[1, 1]]);
    const part = window.parts[0]!;
    const encoded = { ...window, parts: [{ ...part, batch: { ...part.batch, rawColumns: false } }] };
    expect(driftOfWindow(encoded, reference, DEFAULT_DRIFT_RULES, 1).features).toEqual([]);
  });

  it("when the profile's columns are not the model's, then drift is off for the version, saying why", () => {
    const other = { ...files, table: { ...files.table!, columns: [...files.table!.columns].reverse() } };
    const unusable = prepareReference(other);
    expect(unusable.driftUnavailable).toMatch(/cannot be used: .*not the model's input columns/);
    expect(driftOfWindow(windowOf([[1, 1]]), unusable, DEFAULT_DRIFT_RULES, 1).features).toEqual([]);
  });
});

describe("a table model's numeric categorical column", () => {
  it('when the sample is decoded for the model, then its categories come back as numbers and missing cells as NaN', () => {
    const seats: RawTable = {
      rows: 6,
      columns: [{ name: 'seats', kind: 'number', values: Float64Array.from([1, 2, NaN, 3, 2, 1]) }],
    };
    const decoded: RawTable[] = [];
    const reference = prepareReference({
      profile: buildTableProfile(seats, [{ name: 'seats', role: 'categorical' }]),
      model: { classes: [0, 1], coef: [0], intercept: 0, featureNames: ['seats_1'] },
      training: {},
      table: {
        columns: [{ name: 'seats', kind: 'number', role: 'categorical' }],
        categories: [[1, 2, 3]],
        probabilities: (table) => {
          decoded.push(table);
          return new Float64Array(table.rows).fill(0.5);
        },
      },
    });
    expect(reference.driftUnavailable).toBeNull();
    expect(decoded[0]?.columns[0]).toEqual(seats.columns[0]);
  });
});

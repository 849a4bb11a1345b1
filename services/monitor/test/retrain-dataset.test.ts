import { createHash } from 'node:crypto';
import { makeClassification, readRawTable } from '@mlops/ml';
import { describe, expect, it } from 'vitest';
import type { LabelledWindow } from '../src/domain/label-join.js';
import type { LoggedRequestFeatures } from '../src/domain/ports.js';
import { RetrainDataError, retrainDatasetFile } from '../src/domain/retrain-dataset.js';

const { X, y } = makeClassification({ nSamples: 40, nFeatures: 3, nRedundant: 0, randomState: 7 });
const NAMES = ['x0', 'x1', 'y'];

/** Four logged requests of 10 rows each; every other row labelled with the generator's class. */
function parts(maxRows = 1000) {
  const requests = new Map<string, { labels: Int8Array; predictedAtMs: number }>();
  const features = new Map<string, LoggedRequestFeatures>();
  for (let r = 0; r < 4; r++) {
    const labels = new Int8Array(10).fill(-1);
    for (let i = 0; i < 10; i += 2) labels[i] = y[r * 10 + i] as 0 | 1;
    requests.set(`req${r}`, { labels, predictedAtMs: Date.UTC(2026, 11, 2, 6, r) });
    features.set(`req${r}`, { features: X.data.slice(r * 30, r * 30 + 30), columns: 3, rawColumns: false });
  }
  const window: LabelledWindow = {
    requests,
    predictions: 40,
    labelled: 20,
    newLabelled: 20,
    classCounts: [0, 0],
    firstMs: Date.UTC(2026, 11, 2, 6, 0),
    lastMs: Date.UTC(2026, 11, 2, 6, 3),
  };
  return {
    model: 'One Customer/Classifier',
    version: '3',
    inputs: { featureNames: NAMES, classes: [0, 1] as const, table: null },
    window,
    features,
    maxRows,
  };
}

describe('retrain data set', () => {
  it('when labelled rows are written, then the CSV reads back as exactly the logged doubles and labels, and the digest is of its bytes', () => {
    const file = retrainDatasetFile(parts());
    const table = readRawTable(file.text, { source: 'test' });
    expect(table.rows).toBe(20);
    expect(table.columns.map((c) => c.name)).toEqual(['x0', 'x1', 'y', 'y_']);
    for (let row = 0; row < 20; row++) {
      const source = 2 * row;
      for (let j = 0; j < 3; j++) {
        const column = table.columns[j];
        if (column?.kind !== 'number') throw new Error('a feature column is not numeric');
        expect(column.values[row]).toBe(X.data[source * 3 + j]);
      }
      const target = table.columns[3];
      if (target?.kind !== 'number') throw new Error('the target column is not numeric');
      expect(target.values[row]).toBe(y[source]);
    }
    expect(file.target).toBe('y_');
    expect(file.summary.sha256).toBe(createHash('sha256').update(file.text).digest('hex'));
    expect(file.summary.path).toBe(`retrain/One_Customer_Classifier-v3-${file.summary.sha256.slice(0, 12)}.csv`);
    expect(file.summary).toMatchObject({
      rows: 20,
      positives: Array.from({ length: 20 }, (_, i) => y[2 * i]).filter((v) => v === 1).length,
      predictions: 40,
      window: { from: '2026-12-02T06:00:00.000Z', to: '2026-12-02T06:03:00.000Z' },
    });
  });

  it('when there are more labelled rows than the limit, then the newest are kept', () => {
    const file = retrainDatasetFile(parts(7));
    const lines = file.text.trimEnd().split('\n');
    expect(lines).toHaveLength(8);
    expect(lines[7]).toBe(`${Array.from(X.data.subarray(38 * 3, 39 * 3), String).join(',')},${y[38]}`);
    expect(file.summary.window.from).toBe('2026-12-02T06:02:00.000Z');
  });

  it('when a request was not found in the log, then its rows are left out', () => {
    const p = parts();
    p.features.delete('req1');
    expect(retrainDatasetFile(p).summary.rows).toBe(15);
  });
  it('when the version takes a table, then numbers are written as sent, categories by the fitted ones, missing and unseen cells empty, and text classes by their labels', () => {
    const table = {
      columns: [
        { name: 'tenure', kind: 'number' as const, role: 'numeric' as const },
        { name: 'seats', kind: 'number' as const, role: 'categorical' as const },
        { name: 'plan, tier', kind: 'text' as const, role: 'categorical' as const },
      ],
      categories: [[], [1, 5], ['basic', 'pro "max"']],
    };
    const logged = [0.1, 1, 1, Number.NaN, 0, Number.NaN, 7, 2, 0, 1e21, Number.NaN, 2];
    const requests = new Map([['r', { labels: Int8Array.from([1, -1, 0, 0]), predictedAtMs: Date.UTC(2026, 11, 2) }]]);
    const file = retrainDatasetFile({
      ...parts(),
      inputs: { featureNames: ['unused'], classes: [0, 1], classLabels: ['stay', 'churn'], table },
      window: { ...parts().window, requests, predictions: 4 },
      features: new Map([['r', { features: Float64Array.from(logged), columns: 3, rawColumns: true }]]),
    });
    expect(file.text).toBe('tenure,seats,"plan, tier",y\n0.1,5,"pro ""max""",churn\n7,,basic,stay\n1e+21,,,stay\n');
    expect(file.table).toEqual({ numeric: ['tenure'], categorical: ['seats', 'plan, tier'] });
    expect(file.summary).toMatchObject({ rows: 3, positives: 1, predictions: 4, unseen_cells: 2 });
    const back = readRawTable(file.text, { source: 'test' });
    expect(back.columns.map((c) => c.kind)).toEqual(['number', 'number', 'text', 'text']);
  });

  it("when a logged request is not the version's kind of input (matrix rows for a table model), then it is left out", () => {
    const table = { columns: [{ name: 'a', kind: 'number' as const, role: 'numeric' as const }], categories: [[]] };
    const file = retrainDatasetFile({ ...parts(), inputs: { featureNames: ['a'], classes: [0, 1], table } });
    expect(file.summary.rows).toBe(0);
  });

  it("when a text column's recent cells all look like numbers, then the data set is refused naming the column", () => {
    const table = {
      columns: [
        { name: 'tenure', kind: 'number' as const, role: 'numeric' as const },
        { name: 'zip', kind: 'text' as const, role: 'categorical' as const },
      ],
      categories: [[], ['01234', '99999', 'unknown']],
    };
    const requests = new Map([['r', { labels: Int8Array.from([1, 0]), predictedAtMs: Date.UTC(2026, 11, 2) }]]);
    const build = () =>
      retrainDatasetFile({
        ...parts(),
        inputs: { featureNames: ['unused'], classes: [0, 1], table },
        window: { ...parts().window, requests, predictions: 2 },
        features: new Map([['r', { features: Float64Array.from([3, 0, 4, 1]), columns: 2, rawColumns: true }]]),
      });
    expect(build).toThrow(RetrainDataError);
    expect(build).toThrow(
      'column "zip" of One Customer/Classifier version 3 holds text, but its recent cells read back as number',
    );
  });
});

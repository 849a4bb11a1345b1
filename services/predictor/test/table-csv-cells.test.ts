import { tableFromRows } from '@mlops/ml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestServer, type TestServer, tableModel } from './support/harness.js';

// How pandas.read_csv (2.3.3, default options) reads these cells, as libs/ml/test/support/pandas-csv-cells.py
// measures: " plus" and " NA" are text as written, " 3 " is the number 3, a blank " " is text (so a number column
// holding one is object dtype, which the logged model's schema refuses).
const model = tableModel();
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ model });
});
afterAll(async () => {
  await t.close();
});

/** The model's probabilities for rows of [tenure, plan, seats], scored directly. */
const scored = (rows: (number | string | null)[][]) =>
  Array.from(
    model.model.predictPositiveProba(model.table.preprocessor.transform(tableFromRows(model.table.columns, rows))),
  );

const csv = (body: string) => call(t.base, 'POST', '/invocations', body, { 'content-type': 'text/csv' });
const probabilities = (json: { predictions: { probability: number }[] }) => json.predictions.map((p) => p.probability);

describe('a table model reads CSV cells as pandas.read_csv, as the model it logs does', () => {
  it('when " plus" (leading space) is sent as CSV and as JSON records, then both score it as the same unseen category', async () => {
    const viaCsv = await csv('tenure,plan,seats\n3, plus,2\n');
    const viaJson = await call(
      t.base,
      'POST',
      '/predict',
      JSON.stringify({ records: [{ tenure: 3, plan: ' plus', seats: 2 }] }),
    );
    expect([viaCsv.status, viaJson.status]).toEqual([200, 200]);
    expect(probabilities(viaCsv.json)).toEqual(viaJson.json.probabilities);
    expect(viaJson.json.probabilities).toEqual(scored([[3, 'gold', 2]]));
    expect(viaJson.json.probabilities).not.toEqual(scored([[3, 'plus', 2]]));
  });

  it('when " NA" is sent in a text column, then it is a category as written, not a missing cell ("NA" is one)', async () => {
    const answer = await csv('tenure,plan,seats\n3, NA,2\n3,NA,2\n');
    expect(answer.status).toBe(200);
    expect(probabilities(answer.json)).toEqual(
      scored([
        [3, 'gold', 2],
        [3, null, 2],
      ]),
    );
  });

  it('when a number has spaces around it, then it is that number; a blank cell in a number column is refused', async () => {
    const spaced = await csv('tenure,plan,seats\n 3 ,plus,\t2\n');
    expect(probabilities(spaced.json)).toEqual(scored([[3, 'plus', 2]]));
    const blank = await csv('tenure,plan,seats\n ,plus,2\n');
    expect(blank.status).toBe(400);
    expect(blank.json.message).toMatch(/CSV line 2: column "tenure" takes a number, got " "/);
  });
});

import { GATE_HOLDOUT_BUCKET, HoldoutSchema, parseTuneRequest, type TuneRequestInput } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { buildTrainingData, type MatrixTrainingData, type TrainingData } from '../src/domain/dataset.js';
import { holdoutOf, storedHoldoutFields, type TuningHoldout } from '../src/domain/holdout.js';

async function dataOf(input: TuneRequestInput): Promise<TrainingData> {
  const parsed = parseTuneRequest(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return await buildTrainingData(parsed.request, async () => {
    throw new Error('no CSV here');
  });
}

const wholeOf = (holdout: TuningHoldout) =>
  HoldoutSchema.parse(JSON.parse(Buffer.from(holdout.whole?.json ?? []).toString()));

describe('the gate holdout of a tuning', () => {
  it('when the test split fits the event (the default data set), then all of it is carried and nothing is stored', async () => {
    const holdout = holdoutOf(await dataOf({ dataset: { kind: 'synthetic' } }));
    expect(holdout.carried.rows).toHaveLength(200);
    expect(holdout.testRows).toBe(200);
    expect(holdout.whole).toBeUndefined();
  });

  it('when the test split is wider than the event holds, then the first rows are carried and the whole is ready to store', async () => {
    const data = await dataOf({ dataset: { kind: 'synthetic', n_samples: 4000, n_features: 500, n_informative: 5 } });
    const holdout = holdoutOf(data);
    expect(holdout.carried.rows).toHaveLength(50); // 25,000 cells of 500 features
    expect(holdout.testRows).toBe(800);
    const whole = wholeOf(holdout);
    expect(holdout.whole?.rows).toBe(800);
    expect(whole.rows).toHaveLength(800);
    expect(whole.rows.slice(0, 50)).toEqual(holdout.carried.rows);
    expect(whole.labels.slice(0, 50)).toEqual(holdout.carried.labels);
    expect(whole.rows[799]).toEqual(Array.from((data as MatrixTrainingData).test.X.data.subarray(799 * 500)));
    expect(whole.labels.filter((label) => label === 1).length).toBeGreaterThan(300);
  });
});

describe('the holdout fields of tuning.completed', () => {
  const cut: TuningHoldout = {
    carried: { feature_names: ['a'], rows: [[1]], labels: [1] },
    testRows: 2,
    whole: { json: Buffer.from('{}'), rows: 2 },
  };

  it('when a cut holdout is stored, then the event names where, beside the carried rows', async () => {
    const stored: string[] = [];
    const fields = await storedHoldoutFields(
      'tun-1',
      cut,
      async (name) => void stored.push(name),
      () => {},
    );
    expect(stored).toEqual(['tun-1']);
    expect(fields).toEqual({
      holdout: cut.carried,
      test_rows: 2,
      stored_holdout: { bucket: GATE_HOLDOUT_BUCKET, name: 'tun-1', rows: 2 },
    });
  });

  it('when the store refuses it, then the event carries the cut rows only and the failure is told', async () => {
    const told: unknown[] = [];
    const refused = new Error('bucket full');
    const fields = await storedHoldoutFields(
      'tun-1',
      cut,
      async () => {
        throw refused;
      },
      (err) => told.push(err),
    );
    expect(fields).toEqual({ holdout: cut.carried, test_rows: 2 });
    expect(told).toEqual([refused]);
  });

  it('when nothing was cut or there is no holdout, then nothing is stored', async () => {
    const store = async () => {
      throw new Error('not expected');
    };
    const whole = { carried: cut.carried, testRows: 1 };
    expect(await storedHoldoutFields('tun-1', whole, store, () => {})).toEqual({ holdout: cut.carried, test_rows: 1 });
    expect(await storedHoldoutFields('tun-1', undefined, store, () => {})).toEqual({});
  });
});

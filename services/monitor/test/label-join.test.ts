import { describe, expect, it } from 'vitest';
import { LabelJoin, type LoggedBatch } from '../src/domain/label-join.js';

const HOUR = 3600_000;

/** A logged message holding one request. */
function request(requestId: string, predictedAtMs: number, probabilities: number[], version = '1'): LoggedBatch {
  return {
    model: 'm',
    version,
    requests: [{ requestId, predictedAtMs, rows: probabilities.length }],
    probabilities: Float64Array.from(probabilities),
    labels: Float64Array.from(probabilities.map((p) => (p >= 0.5 ? 1 : 0))),
  };
}

describe('LabelJoin', () => {
  it('when a label names a logged row, then it joins once; a repeat is a duplicate and does not change the truth', () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    join.addBatch(request('r1', 0, [0.9, 0.2]), 10);
    expect(join.applyLabel('r1-1', 1, 5000)).toMatchObject({ ok: true, version: '1' });
    expect(join.check('r1-1', undefined)).toMatchObject({ ok: false, refusal: 'duplicate' });
    const rows = join.rowsOf('m:1', 0);
    expect(rows).toEqual({ predictions: 2, truth: [1], probability: [0.2], predicted: [0], latencyMs: [5000] });
  });

  it('when ids are unknown, out of range, of another model, or expired, then each refusal says which', () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    join.addBatch(request('old', 0, [0.5]), 0);
    join.addBatch(request('r2', HOUR, [0.5]), HOUR);
    join.evict(HOUR + 1);
    expect(join.check('nope-0', undefined)).toMatchObject({ ok: false, refusal: 'unknown' });
    expect(join.check('r2-3', undefined)).toMatchObject({ ok: false, refusal: 'bad_row' });
    expect(join.check('r2-0', 'other')).toMatchObject({ ok: false, refusal: 'other_model' });
    expect(join.check('old-0', undefined)).toMatchObject({ ok: false, refusal: 'expired' });
    expect(join.check('r2-0', 'm')).toMatchObject({ ok: true });
  });

  it('when a request read back at start is already past the horizon, then its labels are refused as expired, not unknown', () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    join.addBatch(request('late', 0, [0.5, 0.7]), HOUR + 1);
    expect(join.size).toBe(0);
    expect(join.check('late-1', undefined)).toMatchObject({ ok: false, refusal: 'expired' });
    expect(join.check('never-0', undefined)).toMatchObject({ ok: false, refusal: 'unknown' });
  });

  it('when more requests than it remembers are past the horizon, then the oldest are forgotten (unknown), the newest expired', () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    for (let i = 0; i <= 200_000; i += 1000) {
      const requests = Array.from({ length: Math.min(1000, 200_001 - i) }, (_, j) => ({
        requestId: `old${i + j}`,
        predictedAtMs: 0,
        rows: 1,
      }));
      const n = requests.length;
      join.addBatch(
        { model: 'm', version: '1', requests, probabilities: new Float64Array(n), labels: new Float64Array(n) },
        2 * HOUR,
      );
    }
    expect(join.check('old0-0', undefined)).toMatchObject({ ok: false, refusal: 'unknown' });
    expect(join.check('old1-0', undefined)).toMatchObject({ ok: false, refusal: 'expired' });
    expect(join.check('old200000-0', undefined)).toMatchObject({ ok: false, refusal: 'expired' });
  });

  it('when more rows than the limit are logged, then the oldest requests are forgotten first', () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 4 });
    for (const id of ['a', 'b', 'c']) join.addBatch(request(id, 0, [0.1, 0.9]), 0);
    expect(join.size).toBe(4);
    expect(join.check('a-0', undefined)).toMatchObject({ ok: false, refusal: 'expired' });
    expect(join.check('c-1', undefined)).toMatchObject({ ok: true });
  });

  it('when the same request is offered again (a replay), then it is kept once with its labels', () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    join.addBatch(request('r', 0, [0.7]), 0);
    join.applyLabel('r-0', 0, 10);
    join.addBatch(request('r', 0, [0.7]), 0);
    expect(join.size).toBe(1);
    expect(join.rowsOf('m:1', 0).truth).toEqual([0]);
  });

  it("when requests share a message, then each label lands on its own request's row, and a redelivery adds only new requests", () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    const shared: LoggedBatch = {
      model: 'm',
      version: '1',
      requests: [
        { requestId: 'a', predictedAtMs: 0, rows: 2 },
        { requestId: 'b', predictedAtMs: 5, rows: 1 },
        { requestId: 'c', predictedAtMs: 9, rows: 3 },
      ],
      probabilities: Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.6, 0.7]),
      labels: Float64Array.from([0, 0, 0, 0, 1, 1]),
    };
    join.addBatch(shared, 10);
    expect(join.size).toBe(6);
    expect(join.applyLabel('b-0', 1, 1005)).toMatchObject({ ok: true, predictedAtMs: 5 });
    expect(join.applyLabel('c-2', 0, 1009)).toMatchObject({ ok: true, predictedAtMs: 9 });
    expect(join.check('b-1', undefined)).toMatchObject({ ok: false, refusal: 'bad_row' });
    expect(join.check('a-1', undefined)).toMatchObject({ ok: true });
    join.addBatch(shared, 20);
    expect(join.size).toBe(6);
    expect(join.rowsOf('m:1', 0)).toEqual({
      predictions: 6,
      truth: [1, 0],
      probability: [0.3, 0.7],
      predicted: [0, 1],
      latencyMs: [1000, 1000],
    });
    expect(join.rowsOf('m:1', 6).predictions).toBe(3);
  });
});

describe('LabelJoin with requests logged in parts', () => {
  /** A message holding rows [firstRow, firstRow + probabilities.length) of request `big` of `requestRows` rows. */
  function part(firstRow: number, probabilities: number[], requestRows = 7): LoggedBatch {
    const logged = request('big', 0, probabilities);
    return {
      ...logged,
      requests: [{ requestId: 'big', predictedAtMs: 0, rows: probabilities.length, firstRow, requestRows }],
    };
  }

  it('when the parts come out of order, then each label joins the row of its part, and a row past the request is refused with its size', () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    join.addBatch(part(3, [0.4, 0.6, 0.8]), 10);
    join.addBatch(part(0, [0.1, 0.2, 0.3]), 10);
    expect(join.applyLabel('big-4', 1, 2000)).toMatchObject({ ok: true, version: '1', predictedAtMs: 0 });
    expect(join.applyLabel('big-0', 0, 1000)).toMatchObject({ ok: true });
    expect(join.check('big-4', undefined)).toMatchObject({ ok: false, refusal: 'duplicate' });
    expect(join.check('big-3', 'm')).toMatchObject({ ok: true });
    expect(join.check('big-7', undefined)).toEqual({
      ok: false,
      refusal: 'bad_row',
      message: 'prediction big-7: request big has 7 rows',
    });
    expect(join.check('big-6', undefined)).toMatchObject({ ok: false, refusal: 'unknown' });
    const { predictions, truth, probability, latencyMs } = join.rowsOf('m:1', 0);
    expect([join.size, predictions]).toEqual([6, 6]);
    expect([truth, probability, latencyMs]).toEqual([
      [1, 0],
      [0.6, 0.1],
      [2000, 1000],
    ]);
    expect([...join.labelledWindow('m:1', 0, -1).requests.get('big')!.labels]).toEqual([0, -1, -1, -1, 1, -1, -1]);
  });

  it('when a part is delivered again, then it is kept once with its labels, and the last part still joins after it', () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    join.addBatch(part(0, [0.1, 0.2, 0.3]), 10);
    join.applyLabel('big-1', 1, 50);
    join.addBatch(part(0, [0.1, 0.2, 0.3]), 20);
    expect(join.size).toBe(3);
    expect(join.check('big-1', undefined)).toMatchObject({ ok: false, refusal: 'duplicate' });
    join.addBatch(part(6, [0.9]), 30);
    expect(join.size).toBe(4);
    expect(join.applyLabel('big-6', 1, 60)).toMatchObject({ ok: true });
    expect(join.rowsOf('m:1', 0).truth).toEqual([1, 1]);
  });

  it('when a request in parts is past the horizon, then it is forgotten whole and a late part of it is refused as expired', () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    join.addBatch(part(0, [0.1, 0.2, 0.3]), 10);
    join.evict(HOUR + 1);
    join.addBatch(part(3, [0.4, 0.6, 0.8]), HOUR + 2);
    expect(join.size).toBe(0);
    expect(join.check('big-1', undefined)).toMatchObject({ ok: false, refusal: 'expired' });
    expect(join.check('big-4', undefined)).toMatchObject({ ok: false, refusal: 'expired' });
  });
});

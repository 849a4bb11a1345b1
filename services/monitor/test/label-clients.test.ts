import { type EventOf, makeEvent, PREDICTION_ENCODING, SUBJECTS } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { decodePrediction } from '../src/adapters/prediction-wire.js';
import { recordLabels } from '../src/domain/label-intake.js';
import { LabelJoin, type LoggedBatch } from '../src/domain/label-join.js';
import { harness, logged, NOW } from './support/served-harness.js';

const HOUR = 3600_000;
const A = '0123456789abcdef';
const B = 'fedcba9876543210';

/** A logged message of model m version 1: one request per entry, scored by the client named (or none). */
function scored(requests: [id: string, rows: number, client: string | undefined][], predictedAtMs = 0): LoggedBatch {
  const n = requests.reduce((sum, [, rows]) => sum + rows, 0);
  return {
    model: 'm',
    version: '1',
    requests: requests.map(([requestId, rows, client]) => ({
      requestId,
      predictedAtMs,
      rows,
      ...(client === undefined ? {} : { client }),
    })),
    probabilities: new Float64Array(n).fill(0.8),
    labels: new Float64Array(n).fill(1),
  };
}

const unknownAnswer = (id: string) => `no prediction ${id} was logged (or it was not sampled)`;

describe('LabelJoin and the clients that scored', () => {
  it("when a label names a client, then it joins that client's predictions; another client's are refused as other_client in the words of an unknown id", () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    join.addBatch(scored([['byA', 2, A]]), 10);
    expect(join.check('byA-0', 'm', A)).toMatchObject({ ok: true });
    expect(join.check('byA-0', 'm', B)).toEqual({
      ok: false,
      refusal: 'other_client',
      message: unknownAnswer('byA-0'),
    });
    // A client it never saw is another client too.
    expect(join.check('byA-0', 'm', '1111111111111111')).toMatchObject({ ok: false, refusal: 'other_client' });
    // An operator's label (no client) joins it as before.
    expect(join.check('byA-1', 'm', undefined)).toMatchObject({ ok: true });
    expect(join.check('nope-0', 'm', B)).toEqual({ ok: false, refusal: 'unknown', message: unknownAnswer('nope-0') });
  });

  it("when another client's label names a row past the request, another model or a labelled row, then it is still refused as unknown: nothing tells the id exists", () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    join.addBatch(scored([['byA', 2, A]]), 10);
    join.applyLabel('byA-0', 1, 20);
    expect(join.check('byA-0', 'm', A)).toMatchObject({ ok: false, refusal: 'duplicate' });
    for (const [id, model] of [
      ['byA-0', 'm'],
      ['byA-5', 'm'],
      ['byA-1', 'other'],
    ] as const) {
      expect(join.check(id, model, B), `${id} ${model}`).toEqual({
        ok: false,
        refusal: 'other_client',
        message: unknownAnswer(id),
      });
    }
    expect(join.check('byA-5', 'm', A)).toMatchObject({ ok: false, refusal: 'bad_row' });
  });

  it('when a prediction was scored without a client (no tokens), then a label of any client joins it', () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    join.addBatch(scored([['open', 1, undefined]]), 10);
    expect(join.check('open-0', 'm', A)).toMatchObject({ ok: true });
    expect(join.check('open-0', 'm', B)).toMatchObject({ ok: true });
  });

  it('when requests of several clients share a message, then each keeps its own client, and so do the parts of a request', () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    join.addBatch(
      scored([
        ['a1', 1, A],
        ['b1', 2, B],
        ['o1', 1, undefined],
      ]),
      10,
    );
    const part = (firstRow: number): LoggedBatch => ({
      ...scored([['big', 2, B]]),
      requests: [{ requestId: 'big', predictedAtMs: 0, rows: 2, firstRow, requestRows: 4, client: B }],
    });
    join.addBatch(part(2), 10);
    join.addBatch(part(0), 10);
    expect([join.check('a1-0', 'm', A).ok, join.check('a1-0', 'm', B).ok]).toEqual([true, false]);
    expect([join.check('b1-1', 'm', B).ok, join.check('b1-1', 'm', A).ok]).toEqual([true, false]);
    expect([join.check('o1-0', 'm', A).ok, join.check('o1-0', 'm', B).ok]).toEqual([true, true]);
    expect([join.check('big-3', 'm', B).ok, join.check('big-3', 'm', A).ok]).toEqual([true, false]);
    expect(join.check('big-9', 'm', A)).toMatchObject({ refusal: 'other_client', message: unknownAnswer('big-9') });
  });

  it("when another client's prediction is past the horizon, then its label is refused as unknown (other_client), not expired", () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    join.addBatch(scored([['old', 1, A]]), 0);
    join.evict(HOUR + 1);
    join.addBatch(scored([['late', 1, A]], 0), HOUR + 2); // read back past the horizon at a restart
    for (const id of ['old-0', 'late-0']) {
      expect(join.check(id, 'm', A)).toMatchObject({ ok: false, refusal: 'expired' });
      expect(join.check(id, 'm', B)).toEqual({ ok: false, refusal: 'other_client', message: unknownAnswer(id) });
      expect(join.check(id, 'm', undefined)).toMatchObject({ ok: false, refusal: 'expired' });
    }
  });

  it('when a logged message is read back from the stream (a restart replays it), then its requests keep their clients', () => {
    const pack = (values: number[]) => Buffer.from(Float64Array.from(values).buffer).toString('base64');
    const at = new Date(NOW).toISOString();
    const event = makeEvent(SUBJECTS.predictionLogged, {
      key: 'r1',
      source: 'predictor',
      data: {
        model: 'm',
        version: '1',
        requests: [
          { request_id: 'r1', predicted_at: at, rows: 1, client: A },
          { request_id: 'r2', predicted_at: at, rows: 1 },
        ],
        rows: 2,
        columns: 1,
        encoding: PREDICTION_ENCODING,
        features: pack([1, 2]),
        probabilities: pack([0.9, 0.1]),
        labels: pack([1, 0]),
        sample_rate: 1,
        dropped_before: 0,
      },
    }) as EventOf<'prediction.logged'>;
    const batch = decodePrediction(JSON.parse(JSON.stringify(event)), 7);
    expect(batch.requests.map((r) => r.client)).toEqual([A, undefined]);
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    join.addBatch(batch, NOW);
    expect(join.check('r1-0', 'm', B)).toMatchObject({ ok: false, refusal: 'other_client' });
    expect(join.check('r1-0', 'm', A)).toMatchObject({ ok: true });
    expect(join.check('r2-0', 'm', B)).toMatchObject({ ok: true });
  });
});

describe('labels of another client, taken in', () => {
  it('when one label names another client and one an unknown id, then both get the same answer, and the counts and metrics tell them apart', async () => {
    const join = new LabelJoin({ horizonMs: HOUR, maxRows: 100 });
    join.addBatch(scored([['byA', 2, A]], NOW), NOW);
    const counted: [string, string, number][] = [];
    const stored: unknown[] = [];
    const deps = {
      join,
      classesOf: async () => ({ classes: [0, 1] as const }),
      announce: { labelRecorded: async (label: unknown) => void stored.push(label) },
      metrics: { labels: (key: string, outcome: string, n: number) => void counted.push([key, outcome, n]) },
      now: () => NOW,
    };
    const refused = await recordLabels(
      [
        { prediction_id: 'byA-0', label: 1, client: B },
        { prediction_id: 'gone-0', label: 1, client: B },
      ],
      deps,
    );
    expect(refused.reply).toEqual({
      status: 'rejected',
      accepted: 0,
      duplicates: 0,
      conflicting: 0,
      refused: 2,
      errors: [
        { path: '0.prediction_id', message: unknownAnswer('byA-0') },
        { path: '1.prediction_id', message: unknownAnswer('gone-0') },
      ],
    });
    expect(stored).toEqual([]);
    const accepted = await recordLabels([{ prediction_id: 'byA-0', label: 1, client: A }], deps);
    expect(accepted.reply).toMatchObject({ status: 'accepted', accepted: 1 });
    expect(counted).toEqual([
      ['', 'unknown', 1], // another client's: counted as unknown where /metrics would show it
      ['', 'unknown', 1],
      ['m:1', 'joined', 1],
    ]);
    expect(join.labelCounts('')).toMatchObject({ unknown: 1, other_client: 1, joined: 0 });
  });

  it("when the monitor is asked, then another client's label waits as long as an unknown id's, gets its answer, and status counts it as other_client", async () => {
    let reads = 0;
    let at = NOW;
    const { monitor } = harness(() => {
      reads++;
      at += 1000;
      return at;
    });
    monitor.rememberPrediction({
      ...logged('1', 'byA', [1, 1]),
      requests: [{ requestId: 'byA', predictedAtMs: NOW - 1000, rows: 2, client: A }],
    });
    const readsOf = async (label: { prediction_id: string; label: number; client?: string }) => {
      const before = reads;
      const reply = await monitor.feedback([label]);
      return { reply, reads: reads - before };
    };
    const other = await readsOf({ prediction_id: 'byA-0', label: 1, client: B });
    const unknown = await readsOf({ prediction_id: 'byZ-0', label: 1, client: B });
    expect(other.reply).toEqual({
      ...unknown.reply,
      errors: [{ path: 'prediction_id', message: unknownAnswer('byA-0') }],
    });
    expect(unknown.reply.errors).toEqual([{ path: 'prediction_id', message: unknownAnswer('byZ-0') }]);
    expect(other.reads).toBe(unknown.reads);
    const own = await readsOf({ prediction_id: 'byA-0', label: 1, client: A });
    expect(own.reply).toMatchObject({ status: 'accepted', accepted: 1 });
    expect(own.reads).toBeLessThan(other.reads);
    const operator = await monitor.feedback([{ prediction_id: 'byA-1', label: 0 }]);
    expect(operator).toMatchObject({ status: 'accepted', accepted: 1 });
    const [status] = await monitor.status({});
    expect(status?.labels).toMatchObject({ joined: 2, unknown: 1, other_client: 1, duplicate: 0 });
  });
});

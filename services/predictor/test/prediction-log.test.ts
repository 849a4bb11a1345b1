import {
  makeEvent,
  type PredictionLoggedData,
  PredictionLoggedDataSchema,
  RAW_COLUMNS_CODING,
  SUBJECTS,
} from '@mlops/contracts';
import { tableFromRows } from '@mlops/ml';
import { createLogger } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import { createPredictorMetrics, type PredictorMetrics } from '../src/adapters/metrics.js';
import {
  BufferedPredictionLog,
  type PredictionLogOptions,
  packDoubles,
  packRequests,
} from '../src/adapters/prediction-log.js';
import type { ScoredRequest } from '../src/domain/ports.js';
import { score } from '../src/domain/scoring.js';
import { call, fittedModel, startTestServer, tableModel } from './support/harness.js';

const served = fittedModel();
const logger = createLogger({ service: 'test', level: 'silent' });

/** Doubles back from the log's base64. */
function unpack(text: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  return Array.from({ length: bytes.length / 8 }, (_, i) => bytes.readDoubleLE(i * 8));
}

/** `rows` rows of 20 features, each value telling its row and column apart. */
function matrix(rows: number, seed = 0) {
  const data = Float64Array.from({ length: rows * 20 }, (_, k) => seed + k / 7 - 3);
  return { rows, cols: 20, data };
}

/** A publish function whose calls are recorded and settled by the test. */
function fakePublish() {
  const calls: { data: PredictionLoggedData; key: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  const publish = (data: PredictionLoggedData, key: string) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ data, key, resolve, reject });
    });
  return { calls, publish };
}

/** A log over `publish`, with its metrics; defaults: log all, 1 MiB buffer, 4 in flight. */
function createLog(
  publish: (d: PredictionLoggedData, k: string) => Promise<unknown>,
  options: Partial<PredictionLogOptions> = {},
) {
  const metrics = createPredictorMetrics();
  const log = new BufferedPredictionLog(
    publish,
    { sampleRate: 1, bufferBytes: 1024 * 1024, maxInFlight: 4, maxPayload: () => 1024 * 1024, ...options },
    metrics,
    logger,
  );
  return { log, metrics };
}

/** What makes a scored request look like one from version 2 of the model. */
function otherVersion(requestId: string) {
  return {
    model: { name: served.name, version: '2' },
    requestId,
    scoredAt: Date.now(),
    X: matrix(1),
    rawColumns: false,
    client: undefined,
  };
}

/**
 * Scores `rows` rows through the domain's score(), logging into `log` (under `client`, a caller's client id);
 * returns what the answer holds.
 */
function scoreInto(
  log: BufferedPredictionLog,
  metrics: PredictorMetrics,
  requestId: string,
  rows = 1,
  seed = 0,
  client?: string,
) {
  const X = matrix(rows, seed);
  return { X, scored: score(served, X, { metrics, log }, requestId, client) };
}

async function value(metrics: PredictorMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  const wanted = Object.entries(labels);
  const found = metric?.values.find((v) => wanted.every(([k, l]) => v.labels[k] === l));
  return found?.value ?? Number.NaN;
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('the prediction log', () => {
  it('when requests are scored, then they are published once, in order, with the sent rows and the answers; waiting ones share a message', async () => {
    const published: { data: PredictionLoggedData; key: string }[] = [];
    const { log, metrics } = createLog(async (data, key) => {
      published.push({ data, key });
    });
    const one = scoreInto(log, metrics, 'reqA', 1, 0);
    const many = scoreInto(log, metrics, 'reqB', 1000, 5);
    await log.close(1000);
    expect(published.map((p) => p.key)).toEqual(['reqA']);
    const { data } = published[0]!;
    expect(PredictionLoggedDataSchema.safeParse(data).success).toBe(true);
    expect(data).toMatchObject({ model: served.name, version: served.version, rows: 1001, columns: 20 });
    expect(data.requests.map((r) => [r.request_id, r.rows])).toEqual([
      ['reqA', 1],
      ['reqB', 1000],
    ]);
    expect(data).toMatchObject({ sample_rate: 1, dropped_before: 0 });
    expect(unpack(data.features)).toEqual([...one.X.data, ...many.X.data]);
    expect(unpack(data.probabilities)).toEqual([...one.scored.probabilities, ...many.scored.probabilities]);
    expect(unpack(data.labels)).toEqual([...one.scored.labels, ...many.scored.labels]);
    expect(many.scored.ids.at(-1)).toBe(`${data.requests[1]?.request_id}-999`);
    expect(Date.now() - Date.parse(data.requests[0]?.predicted_at ?? '')).toBeLessThan(10_000);
    expect(await value(metrics, 'predictor_prediction_log_published_total')).toBe(2);
    expect(await value(metrics, 'predictor_prediction_log_rows_published_total')).toBe(1001);
  });

  it('when the log lingers, then requests arriving within the linger share a message, and a later one gets its own', async () => {
    const { calls, publish } = fakePublish();
    const { log, metrics } = createLog(publish, { lingerMs: 30 });
    scoreInto(log, metrics, 'a');
    await turn();
    expect(calls).toHaveLength(0);
    scoreInto(log, metrics, 'b');
    await new Promise((resolve) => setTimeout(resolve, 60));
    scoreInto(log, metrics, 'c');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls.map((c) => c.data.requests.map((r) => r.request_id))).toEqual([['a', 'b'], ['c']]);
  });

  it('when requests of another version or more rows than fit are waiting, then they start a new message', async () => {
    const { calls, publish } = fakePublish();
    const { log, metrics } = createLog(publish, { maxInFlight: 1, maxPayload: () => 64 * 1024 });
    scoreInto(log, metrics, 'a', 1);
    scoreInto(log, metrics, 'b', 200);
    scoreInto(log, metrics, 'c', 200);
    log.record({ ...scoreInto(log, createPredictorMetrics(), 'ignored', 1).scored, ...otherVersion('d') });
    await turn();
    calls[0]?.resolve();
    await turn();
    await turn();
    calls[1]?.resolve();
    await turn();
    await turn();
    expect(calls.map((c) => c.data.requests.map((r) => r.request_id))).toEqual([['a', 'b'], ['c', 'ignored'], ['d']]);
  });

  it('when a request is recorded, then nothing is encoded or sent on the request path: the publisher runs later', async () => {
    const { calls, publish } = fakePublish();
    const { log, metrics } = createLog(publish);
    scoreInto(log, metrics, 'r1');
    expect(calls).toHaveLength(0);
    await turn();
    expect(calls).toHaveLength(1);
  });

  it('when publishes are slow, then up to maxInFlight are pending at once, the rest wait in order and start together once half the slots are free', async () => {
    const { calls, publish } = fakePublish();
    const { log, metrics } = createLog(publish, { maxRequestsPerMessage: 1, maxInFlight: 4 });
    for (let i = 0; i < 7; i++) scoreInto(log, metrics, `r${i}`);
    await turn();
    expect(calls.map((c) => c.key)).toEqual(['r0', 'r1', 'r2', 'r3']);
    expect(await value(metrics, 'predictor_prediction_log_in_flight')).toBe(4);
    expect(await value(metrics, 'predictor_prediction_log_queue_requests')).toBe(3);
    calls[1]!.resolve();
    await turn();
    await turn();
    expect(calls).toHaveLength(4);
    calls[3]!.resolve();
    await turn();
    await turn();
    expect(calls.map((c) => c.key)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    for (const call of calls) call.resolve();
    await turn();
    await turn();
    expect(calls.map((c) => c.key)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
  });

  it('when the buffer is full, then a request is dropped and counted, never queued, and the next message says so', async () => {
    const { calls, publish } = fakePublish();
    const bytesOfOne = 20 * 8 + 8 + 8;
    const { log, metrics } = createLog(publish, {
      maxRequestsPerMessage: 1,
      maxInFlight: 1,
      bufferBytes: 2 * bytesOfOne,
    });
    for (let i = 0; i < 10; i++) scoreInto(log, metrics, `r${i}`);
    expect(await value(metrics, 'predictor_prediction_log_queue_requests')).toBe(2);
    expect(await value(metrics, 'predictor_prediction_log_queue_bytes')).toBe(2 * bytesOfOne);
    expect(await value(metrics, 'predictor_prediction_log_dropped_total', { reason: 'buffer_full' })).toBe(8);
    await turn();
    expect(calls[0]!.data.dropped_before).toBe(8);
    calls[0]!.resolve();
    await turn();
    await turn();
    expect(calls[1]!.data.dropped_before).toBe(0);
    expect(calls.map((c) => c.key)).toEqual(['r0', 'r1']);
  });

  it('when a publish fails, then it is dropped and counted, and the next published message carries the drops', async () => {
    const { calls, publish } = fakePublish();
    const { log, metrics } = createLog(publish, { maxRequestsPerMessage: 1, maxInFlight: 1 });
    scoreInto(log, metrics, 'r0');
    scoreInto(log, metrics, 'r1');
    await turn();
    calls[0]!.reject(new Error('NATS is down'));
    await turn();
    await turn();
    expect(await value(metrics, 'predictor_prediction_log_dropped_total', { reason: 'publish_failed' })).toBe(1);
    expect(calls[1]!.data.dropped_before).toBe(1);
    calls[1]!.reject(new Error('still down'));
    await turn();
    scoreInto(log, metrics, 'r2');
    await turn();
    expect(calls[2]!.data.dropped_before).toBe(2);
    calls[2]!.resolve();
    await log.close(1000);
    expect(await value(metrics, 'predictor_prediction_log_published_total')).toBe(1);
  });

  it('when the publish function throws at once, then the request still succeeds and the drop is counted', async () => {
    const { log, metrics } = createLog(() => {
      throw new Error('boom');
    });
    expect(() => scoreInto(log, metrics, 'r0')).not.toThrow();
    await log.close(1000);
    expect(await value(metrics, 'predictor_prediction_log_dropped_total', { reason: 'publish_failed' })).toBe(1);
  });

  it('when a request is larger than a message (10,000 rows of 20), then its parts, each alone in a message keyed by its first row, hold every row once', async () => {
    const published: { data: PredictionLoggedData; key: string }[] = [];
    const { log, metrics } = createLog(
      async (data, key) => {
        published.push({ data, key });
      },
      { bufferBytes: 64 * 1024 * 1024 },
    );
    const { X, scored } = scoreInto(log, metrics, 'big', 10_000, 3);
    scoreInto(log, metrics, 'after', 1);
    await log.close(5000);
    const parts = published.slice(0, -1);
    expect(parts.length).toBeGreaterThan(2);
    expect(published.at(-1)).toMatchObject({
      key: 'after',
      data: { requests: [{ request_id: 'after', rows: 1 }], encoding: 'f64le-base64' },
    });
    let next = 0;
    for (const { data, key } of parts) {
      expect(PredictionLoggedDataSchema.safeParse(data).success).toBe(true);
      expect(JSON.stringify(data).length).toBeLessThanOrEqual(1024 * 1024);
      const [part, ...others] = data.requests;
      expect(others).toEqual([]);
      expect(part).toMatchObject({ request_id: 'big', first_row: next, request_rows: 10_000, rows: data.rows });
      expect(data.encoding, 'a monitor older than parts refuses it rather than misread it').toBe('f64le-base64-parts');
      expect(key).toBe(`big@${next}`);
      expect(unpack(data.features)).toEqual([...X.data.subarray(next * 20, (next + data.rows) * 20)]);
      expect(unpack(data.probabilities)).toEqual([...scored.probabilities.subarray(next, next + data.rows)]);
      next += data.rows;
    }
    expect(next).toBe(10_000);
    expect(await value(metrics, 'predictor_prediction_log_published_total')).toBe(2);
    expect(await value(metrics, 'predictor_prediction_log_rows_published_total')).toBe(10_001);
    expect(await value(metrics, 'predictor_prediction_log_dropped_total', { reason: 'too_large' })).toBe(0);
  });

  it('when a request waits in parts, then it holds its bytes in the buffer until its last part leaves the queue', async () => {
    const { calls, publish } = fakePublish();
    const { log, metrics } = createLog(publish, { maxInFlight: 1, maxPayload: () => 64 * 1024 });
    scoreInto(log, metrics, 'big', 1000);
    const held = await value(metrics, 'predictor_prediction_log_queue_bytes');
    expect(held).toBeGreaterThanOrEqual(1000 * 22 * 8);
    const queued: [number, number][] = [];
    await turn();
    while (calls.length > queued.length) {
      const requests = await value(metrics, 'predictor_prediction_log_queue_requests');
      queued.push([requests, await value(metrics, 'predictor_prediction_log_queue_bytes')]);
      calls.at(-1)!.resolve();
      await turn();
      await turn();
    }
    expect(calls.length).toBeGreaterThan(2);
    expect(queued).toEqual([...calls.slice(1).map(() => [1, held]), [0, 0]]);
  });

  it('when parts of a request fail to publish, then the request is counted dropped once and never as published', async () => {
    const { calls, publish } = fakePublish();
    const { log, metrics } = createLog(publish, { maxInFlight: 8, maxPayload: () => 64 * 1024 });
    scoreInto(log, metrics, 'big', 1000);
    await turn();
    const parts = calls.length;
    expect(parts).toBeGreaterThan(2);
    calls[0]!.reject(new Error('NATS is down'));
    calls[1]!.reject(new Error('still down'));
    for (const call of calls.slice(2)) call.resolve();
    await turn();
    scoreInto(log, metrics, 'next');
    await turn();
    calls.at(-1)!.resolve();
    await log.close(1000);
    expect(await value(metrics, 'predictor_prediction_log_dropped_total', { reason: 'publish_failed' })).toBe(1);
    expect(await value(metrics, 'predictor_prediction_log_published_total')).toBe(1);
    expect(calls.at(-1)!.data).toMatchObject({ requests: [{ request_id: 'next' }], dropped_before: 1 });
  });

  it('when a single row is larger than the server payload limit, then its request is dropped as too_large, not sent', async () => {
    const { calls, publish } = fakePublish();
    const { log, metrics } = createLog(publish, { maxRequestsPerMessage: 1, maxPayload: () => 16 * 1024 });
    const wide = { rows: 3, cols: 2000, data: new Float64Array(3 * 2000) };
    log.record({ ...otherVersion('wide'), X: wide, probabilities: new Float64Array(3), labels: new Float64Array(3) });
    scoreInto(log, metrics, 'small', 1);
    await turn();
    expect(calls.map((c) => [c.key, c.data.dropped_before])).toEqual([['small', 1]]);
    expect(await value(metrics, 'predictor_prediction_log_dropped_total', { reason: 'too_large' })).toBe(1);
  });

  it('when the sample rate is 0, then nothing is logged nor counted as dropped', async () => {
    const { calls, publish } = fakePublish();
    const { log, metrics } = createLog(publish, { sampleRate: 0 });
    for (let i = 0; i < 20; i++) scoreInto(log, metrics, `r${i}`);
    await log.close(100);
    expect(calls).toHaveLength(0);
    expect(await value(metrics, 'predictor_prediction_log_dropped_total', { reason: 'buffer_full' })).toBe(0);
  });

  it('when a request logged in parts is sampled, then all its parts are logged; one not sampled has none', async () => {
    const draws = [0.9, 0.1];
    const { calls, publish } = fakePublish();
    const { log, metrics } = createLog(publish, {
      sampleRate: 0.5,
      maxInFlight: 100,
      maxPayload: () => 64 * 1024,
      random: () => draws.shift() ?? 1,
    });
    scoreInto(log, metrics, 'skipped', 1000);
    scoreInto(log, metrics, 'sampled', 1000);
    await turn();
    expect(new Set(calls.map((c) => c.data.requests[0]?.request_id))).toEqual(new Set(['sampled']));
    expect(calls.reduce((rows, c) => rows + c.data.rows, 0)).toBe(1000);
  });

  it('when the sample rate is 0.25, then a request is logged when its draw is under it, and the messages say 0.25', async () => {
    const draws = [0.1, 0.3, 0.249, 0.25, 0.9, 0];
    const { calls, publish } = fakePublish();
    const { log, metrics } = createLog(publish, {
      maxRequestsPerMessage: 1,
      sampleRate: 0.25,
      random: () => draws.shift() ?? 1,
    });
    for (let i = 0; i < 6; i++) scoreInto(log, metrics, `r${i}`);
    await turn();
    expect(calls.map((c) => c.key)).toEqual(['r0', 'r2', 'r5']);
    expect(calls.map((c) => c.data.sample_rate)).toEqual([0.25, 0.25, 0.25]);
  });

  it('when closed, then what is queued is published before close resolves, and later requests are ignored', async () => {
    const published: string[] = [];
    const { log, metrics } = createLog(
      async (_data, key) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        published.push(key);
      },
      { maxRequestsPerMessage: 1, maxInFlight: 2 },
    );
    for (let i = 0; i < 7; i++) scoreInto(log, metrics, `r${i}`);
    await log.close(5000);
    expect(published).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    scoreInto(log, metrics, 'late');
    await turn();
    expect(published).toHaveLength(7);
  });

  it('when closing takes longer than allowed, then close returns in time and counts what was left as shutdown drops', async () => {
    const { calls, publish } = fakePublish();
    const { log, metrics } = createLog(publish, { maxRequestsPerMessage: 1, maxInFlight: 2 });
    for (let i = 0; i < 5; i++) scoreInto(log, metrics, `r${i}`);
    const started = Date.now();
    await log.close(50);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(calls).toHaveLength(2);
    expect(await value(metrics, 'predictor_prediction_log_dropped_total', { reason: 'shutdown' })).toBe(3);
    expect(await value(metrics, 'predictor_prediction_log_queue_requests')).toBe(0);
  });

  it('when requests are scored under client ids, then each entry names its client, and one scored without a token names none', async () => {
    const published: PredictionLoggedData[] = [];
    const { log, metrics } = createLog(async (data) => {
      published.push(data);
    });
    scoreInto(log, metrics, 'byA', 1, 0, '0123456789abcdef');
    scoreInto(log, metrics, 'open', 2, 1);
    scoreInto(log, metrics, 'byB', 1, 2, 'fedcba9876543210');
    await log.close(1000);
    expect(published).toHaveLength(1);
    expect(PredictionLoggedDataSchema.safeParse(published[0]).success).toBe(true);
    const requests = published[0]?.requests ?? [];
    expect(requests.map((r) => [r.request_id, r.client])).toEqual([
      ['byA', '0123456789abcdef'],
      ['open', undefined],
      ['byB', 'fedcba9876543210'],
    ]);
    expect(Object.keys(requests[1] ?? {})).not.toContain('client');
  });

  it('when a thousand single-row requests of a wide model wait under client ids, then every message, entries and envelope included, fits the payload limit', async () => {
    const maxPayload = 1024 * 1024;
    const sizes: number[] = [];
    let requests = 0;
    const { log } = createLog(
      async (data, key) => {
        requests += data.requests.length;
        sizes.push(Buffer.byteLength(JSON.stringify(makeEvent(SUBJECTS.predictionLogged, { key, source: 'p', data }))));
      },
      { maxInFlight: 1, bufferBytes: 64 * 1024 * 1024, maxPayload: () => maxPayload },
    );
    for (let i = 0; i < 1000; i++) {
      log.record({
        model: served,
        requestId: `wide-request-${i}`,
        scoredAt: Date.now(),
        X: { rows: 1, cols: 100, data: Float64Array.from({ length: 100 }, (_, j) => i + j / 3) },
        rawColumns: false,
        probabilities: Float64Array.of(0.5),
        labels: Float64Array.of(1),
        client: '0123456789abcdef',
      });
    }
    await log.close(5000);
    expect(requests).toBe(1000);
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(maxPayload);
  });

  it('when doubles are packed from a view into a larger buffer, then only the view’s values are written', () => {
    const whole = Float64Array.from([9, 1.5, -2, Number.MAX_VALUE, 9]);
    expect(unpack(packDoubles([whole.subarray(1, 4)]))).toEqual([1.5, -2, Number.MAX_VALUE]);
    expect(unpack(packDoubles([whole.subarray(0, 2), whole.subarray(3, 5)]))).toEqual([9, 1.5, Number.MAX_VALUE, 9]);
  });
});

describe('the prediction log of table models (raw columns coded)', () => {
  /** A scored one-row request of version 1: 20 values, either features or (as far as the log knows) coded raw columns. */
  const request = (requestId: string, rawColumns: boolean): ScoredRequest => ({
    model: served,
    requestId,
    scoredAt: Date.now(),
    X: matrix(1),
    rawColumns,
    probabilities: Float64Array.of(0.25),
    labels: Float64Array.of(0),
    client: undefined,
  });

  it('when requests hold coded raw columns, then their message says features_coding raw_columns; features leave the field out', () => {
    const whole = (r: ScoredRequest) => ({ request: r, firstRow: 0, rows: r.X.rows });
    const coded = packRequests([whole(request('a', true)), whole(request('b', true))], 1, 0);
    expect(PredictionLoggedDataSchema.safeParse(coded).success).toBe(true);
    expect(coded).toMatchObject({ features_coding: RAW_COLUMNS_CODING, rows: 2, columns: 20 });
    const plain = packRequests([whole(request('c', false))], 1, 0);
    expect(PredictionLoggedDataSchema.safeParse(plain).success).toBe(true);
    expect(Object.keys(plain)).not.toContain('features_coding');
  });

  it('when coded and uncoded requests of one version and width wait together, then they never share a message', async () => {
    const { calls, publish } = fakePublish();
    const { log } = createLog(publish);
    log.record(request('a', false));
    log.record(request('b', true));
    log.record(request('c', true));
    log.record(request('d', false));
    await turn();
    expect(calls.map((c) => [c.data.requests.map((r) => r.request_id), c.data.features_coding ?? 'features'])).toEqual([
      [['a'], 'features'],
      [['b', 'c'], RAW_COLUMNS_CODING],
      [['d'], 'features'],
    ]);
  });

  it('when a table model is scored by each protocol, then the log holds its raw columns coded: numbers as sent, category indices, the unseen index, NaN where missing', async () => {
    const published: PredictionLoggedData[] = [];
    const { log } = createLog(async (data) => {
      published.push(data);
    });
    const model = tableModel();
    const t = await startTestServer({ model, predictionLog: log });
    const rows = [
      [3.5, 'pro', 2],
      [null, 'gold', 7],
      [10, null, null],
    ];
    const records = rows.map(([tenure, plan, seats]) => ({ tenure, plan, seats }));
    const inputs = [
      { name: 'tenure', datatype: 'FP64', shape: [3], data: [3.5, null, 10] },
      { name: 'plan', datatype: 'BYTES', shape: [3], data: ['pro', 'gold', null] },
      { name: 'seats', datatype: 'FP64', shape: [3], data: [2, 7, null] },
    ];
    const answers = [
      await call(t.base, 'POST', '/predict', JSON.stringify({ records })),
      await call(t.base, 'POST', '/invocations', 'tenure,plan,seats\n3.5,pro,2\n,gold,7\n10,NA,\n', {
        'content-type': 'text/csv',
      }),
      await call(t.base, 'POST', `/v2/models/${model.name}/infer`, JSON.stringify({ inputs })),
    ];
    await t.close();
    await log.close(1000);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const encoded = model.table.preprocessor.transform(tableFromRows(model.table.columns, rows));
    expect(answers[0]!.json.probabilities).toEqual(Array.from(model.model.predictPositiveProba(encoded)));
    // tenure as sent; plan of [basic, plus, pro, missing]; seats of [1, 2, 3, missing]: unseen is 4 in both.
    const coded = [3.5, 2, 1, Number.NaN, 4, 4, 10, Number.NaN, Number.NaN];
    expect(published.flatMap((d) => d.requests.map((r) => r.rows))).toEqual([3, 3, 3]);
    expect(published.every((d) => PredictionLoggedDataSchema.safeParse(d).success)).toBe(true);
    expect(new Set(published.map((d) => `${d.features_coding}/${d.columns}`))).toEqual(new Set(['raw_columns/3']));
    expect(published.flatMap((d) => unpack(d.features))).toEqual([...coded, ...coded, ...coded]);
  });
});

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, type ConsumerHandle, connectBus } from '@mlops/bus';
import {
  type FeedbackItem,
  type FeedbackReply,
  type PredictionLoggedData,
  parseEvent,
  STREAMS,
  SUBJECTS,
} from '@mlops/contracts';
import { createMlflowClient } from '@mlops/mlflow';
import { serializeWeights } from '@mlops/model-format';
import type { MonitorService } from '@mlops/monitor';
import { createLogger } from '@mlops/service-kit';
import { findFreePort, type NatsServerHandle, registerTestModel, startNatsServer } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createPredictor, type Predictor } from '../src/service.js';
import { tableWeights } from './support/harness.js';
import { startLabelMonitor } from './support/monitor.js';

const logger = createLogger({ service: 'predictor-test', level: 'silent' });
const name = `predlog_${randomUUID().slice(0, 8)}`;
const FEATURES = Array.from({ length: 20 }, (_, j) => `x${j}`);
const started: Predictor[] = [];
let nats: NatsServerHandle;
let natsPort: number;
let storeDir: string;
let reader: NatsConnection;
let predictor: Predictor;

/** A predictor of the test's model on the test's nats-server, with extra settings. */
async function startPredictor(env: Record<string, string>): Promise<Predictor> {
  const config = loadConfig({
    NATS_URL: nats.url,
    MLFLOW_TRACKING_URI: inject('mlflowTrackingUri'),
    MODEL_NAME: name,
    PREDICTOR_PORT: '0',
    PREDICTOR_LOG_FLUSH_TIMEOUT_MS: '1000',
    ...env,
  });
  const bus = await connectBus({ servers: nats.url, name: `p-${started.length}`, logger });
  const p = createPredictor(config, { bus, logger });
  started.push(p);
  await p.start();
  return p;
}

async function post(p: Predictor, path: string, body: unknown) {
  const response = await fetch(`http://127.0.0.1:${p.port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: each protocol answers its own shape
  return { status: response.status, json: (await response.json()) as any };
}

async function metric(p: Predictor, line: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${p.port}/metrics`)).text();
  return Number(line.exec(text)?.[1] ?? Number.NaN);
}

/** Every `prediction.logged` stored in PREDICTIONS, envelopes checked against the contract. */
async function storedLogs(): Promise<{ id: string; data: PredictionLoggedData }[]> {
  const jsm = await jetstreamManager(reader);
  const { state } = await jsm.streams.info(STREAMS.predictions.name);
  const out = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const message = await jsm.streams.getMessage(STREAMS.predictions.name, { seq });
    const parsed = parseEvent(SUBJECTS.predictionLogged, message?.json());
    if (!parsed.ok) throw new Error(`#${seq} breaks the contract: ${parsed.reason}`);
    out.push({ id: parsed.event.id, data: parsed.event.data });
  }
  return out;
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

function doubles(text: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  return Array.from({ length: bytes.length / 8 }, (_, i) => bytes.readDoubleLE(i * 8));
}

const rows = (n: number) => Array.from({ length: n }, () => FEATURES.map(() => Math.random() * 4 - 2));

beforeAll(async () => {
  storeDir = await mkdtemp(join(tmpdir(), 'predlog-nats-'));
  natsPort = await findFreePort();
  nats = await startNatsServer({ port: natsPort, storeDir });
  reader = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  const mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
  const { experimentId } = await mlflow.getOrCreateExperiment(name);
  await mlflow.getOrCreateRegisteredModel({ name });
  const coef = FEATURES.map((_, j) => (j % 3) - 1 + j / 40);
  await registerTestModel(mlflow, { experimentId, name, weights: { coef, intercept: 0.1, featureNames: FEATURES } });
  predictor = await startPredictor({
    PREDICTOR_LOG_BUFFER_BYTES: String(1024 * 1024),
    PREDICTOR_LOG_MAX_IN_FLIGHT: '2',
    // Each request its own message, as under light traffic (sharing messages is the unit tests' subject).
    PREDICTOR_LOG_LINGER_MS: '0',
  });
}, 90_000);

afterAll(async () => {
  for (const p of started) await p.stop();
  await reader?.close();
  await nats?.stop();
  await rm(storeDir, { recursive: true, force: true });
}, 60_000);

describe('the prediction log on a real nats-server', () => {
  it('when three requests are scored (1 row, 1,000 rows, Open Inference), then three messages hold exactly what was sent and answered', async () => {
    const one = rows(1);
    const batch = rows(1000);
    const oip = rows(3);
    const answers = [
      await post(predictor, '/predict', { features: one }),
      await post(predictor, '/predict', { features: batch }),
      await post(predictor, `/v2/models/${name}/infer`, {
        inputs: [{ name: 'x', shape: [3, 20], datatype: 'FP64', data: oip }],
      }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const outputs = answers[2]!.json.outputs as { name: string; data: unknown[] }[];
    const answered = [
      { sent: one, probabilities: answers[0]!.json.probabilities, ids: answers[0]!.json.prediction_ids },
      { sent: batch, probabilities: answers[1]!.json.probabilities, ids: answers[1]!.json.prediction_ids },
      {
        sent: oip,
        probabilities: outputs.find((o) => o.name === 'probability')!.data,
        ids: outputs.find((o) => o.name === 'prediction_id')!.data,
      },
    ];
    const logs = await waitFor(storedLogs, (found) => found.length >= 3);
    expect(logs).toHaveLength(3);
    for (const [i, { id, data }] of logs.entries()) {
      const { sent, probabilities, ids } = answered[i]!;
      const [request] = data.requests;
      expect(data.requests).toHaveLength(1);
      expect(id).toBe(`prediction.logged:${request?.request_id}`);
      expect(data).toMatchObject({ model: name, version: '1', rows: sent.length, columns: 20, sample_rate: 1 });
      expect(doubles(data.features)).toEqual(sent.flat());
      expect(doubles(data.probabilities)).toEqual(probabilities);
      expect(Array.from({ length: data.rows }, (_, r) => `${request?.request_id}-${r}`)).toEqual(ids);
    }
    const published = () => metric(predictor, /^predictor_prediction_log_rows_published_total (\S+)$/m);
    expect(await waitFor(published, (n) => n === 1004)).toBe(1004);
  });

  it('when the predictor provisions PREDICTIONS, then the stream has the configured age, size and a short duplicate window', async () => {
    const jsm = await jetstreamManager(reader);
    const { config } = await jsm.streams.info(STREAMS.predictions.name);
    expect(config.max_age).toBe(7 * 24 * 3600 * 1e9);
    expect(config.max_bytes).toBe(1024 * 1024 * 1024);
    expect(config.discard).toBe('old');
    expect(config.duplicate_window).toBe(120 * 1e9);
  });

  it('when the sample rate is 0, then scoring stores nothing', async () => {
    const quiet = await startPredictor({ PREDICTOR_LOG_SAMPLE: '0', PREDICTOR_INSTANCE: 'quiet' });
    const before = (await storedLogs()).length;
    for (let i = 0; i < 5; i++) expect((await post(quiet, '/predict', { features: rows(2) })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await storedLogs()).length).toBe(before);
    expect(await metric(quiet, /^predictor_prediction_log_published_total (\S+)$/m)).toBe(0);
  });
});

describe('the prediction log of a table model on a real nats-server', () => {
  const tableName = `${name}_table`;
  let table: Predictor;

  beforeAll(async () => {
    const mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
    const { experimentId } = await mlflow.getOrCreateExperiment(tableName);
    await mlflow.getOrCreateRegisteredModel({ name: tableName });
    const weights = serializeWeights(tableWeights());
    await registerTestModel(mlflow, { experimentId, name: tableName, weights });
    table = await startPredictor({ MODEL_NAME: tableName, PREDICTOR_INSTANCE: 'table' });
  }, 60_000);

  it('when a table model registered in MLflow is scored, then its message holds the raw columns coded: numbers, category indices, the unseen index, NaN where missing', async () => {
    const records = [
      { tenure: 3.5, plan: 'pro', seats: 2 },
      { tenure: null, plan: 'gold', seats: 7 },
      { tenure: 10, plan: null, seats: null },
    ];
    const answer = await post(table, '/predict', { records });
    expect(answer.status).toBe(200);
    const ofTable = () => storedLogs().then((logs) => logs.filter((l) => l.data.model === tableName));
    const logs = await waitFor(ofTable, (found) => found.length >= 1);
    expect(logs).toHaveLength(1);
    const { data } = logs[0]!;
    expect(data).toMatchObject({ features_coding: 'raw_columns', rows: 3, columns: 3 });
    // tenure as sent; plan of [basic, plus, pro, missing]; seats of [1, 2, 3, missing]: unseen is 4 in both.
    expect(doubles(data.features)).toEqual([3.5, 2, 1, Number.NaN, 4, 4, 10, Number.NaN, Number.NaN]);
    expect(doubles(data.probabilities)).toEqual(answer.json.probabilities);
  });

  it('when the table model loaded from MLflow gets a row in another column order by position, then every positional form answers 400 naming its columns in order and the row sent by name scores as its record', async () => {
    // A file whose columns are seats, plan, tenure: by position its row would score as tenure 2 and seats 3.5.
    const fileColumns = ['seats', 'plan', 'tenure'];
    const fileRow = [2, 'pro', 3.5];
    const byRecord = await post(table, '/predict', { records: [{ seats: 2, plan: 'pro', tenure: 3.5 }] });
    expect(byRecord.status).toBe(200);
    const inOrder = /by name, not by position \(its columns, in order: tenure, plan, seats\)/;
    const features = await post(table, '/predict', { features: [fileRow] });
    expect([features.status, features.json.error.code]).toEqual([400, 'BAD_REQUEST']);
    expect(features.json.error.message).toMatch(inOrder);
    expect(features.json.error.message).toMatch(/send \{"records": \[\{"tenure": …, "plan": …, "seats": …\}\]\}/);
    for (const body of [{ instances: [fileRow] }, { inputs: [fileRow] }, { dataframe_split: { data: [fileRow] } }]) {
      const refused = await post(table, '/invocations', body);
      expect([refused.status, refused.json.error_code], JSON.stringify(body)).toEqual([400, 'BAD_REQUEST']);
      expect(refused.json.message).toMatch(inOrder);
      expect(refused.json.message).toMatch(/"dataframe_split": \{"columns": \["tenure", "plan", "seats"\]/);
    }
    const split = await post(table, '/invocations', { dataframe_split: { columns: fileColumns, data: [fileRow] } });
    expect(split.status).toBe(200);
    expect(split.json.predictions[0].probability).toBe(byRecord.json.probabilities[0]);
  });
});

describe('POST /feedback on a real nats-server', () => {
  const label = { prediction_id: 'abcdefgh-0', label: 1 };

  it('when no monitor answers, then 503 says the monitor is not running', async () => {
    const answer = await post(predictor, '/feedback', label);
    expect(answer.status).toBe(503);
    expect(answer.json.error.message).toMatch(/the monitor is not running/);
  });

  it('when the body is malformed or a label is wrong, then 400 naming the problem', async () => {
    const malformed = await post(predictor, '/feedback', '{"prediction_id": ');
    expect([malformed.status, malformed.json.error.code]).toEqual([400, 'MALFORMED_JSON']);
    const wrong = await post(predictor, '/feedback', [label, { ...label, label: true }]);
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.message).toMatch(/^\[1\]\.label: /);
  });

  describe('with a stand-in monitor answering feedback.received', () => {
    let monitorBus: Bus;
    let handle: ConsumerHandle;
    const received: unknown[] = [];
    let next: FeedbackReply = { status: 'accepted', accepted: 2, duplicates: 0, errors: [] };

    beforeAll(async () => {
      monitorBus = await connectBus({ servers: nats.url, name: 'stand-in-monitor', logger });
      handle = await monitorBus.serve(SUBJECTS.feedbackReceived, 'monitor-feedback', async (data) => {
        received.push(JSON.parse(new TextDecoder().decode(data)));
        return next;
      });
    });
    afterAll(async () => {
      await handle?.stop();
      await monitorBus?.close();
    });

    it('when labels are posted, then they are forwarded with the model named and the replies mapped to 202, 207, 404', async () => {
      const ids = (await post(predictor, '/predict', { features: rows(2) })).json.prediction_ids as string[];
      const labels: FeedbackItem[] = [
        { prediction_id: ids[0]!, label: 1 },
        { prediction_id: ids[1]!, label: 0, model: 'Another_Model' },
      ];
      const accepted = await post(predictor, '/feedback', labels);
      expect([accepted.status, accepted.json]).toEqual([202, next]);
      expect(received).toEqual([[{ ...labels[0], model: name }, labels[1]]]);
      next = {
        status: 'partial',
        accepted: 1,
        duplicates: 0,
        errors: [{ path: '[1].model', message: 'another model' }],
      };
      expect((await post(predictor, '/feedback', labels)).status).toBe(207);
      const unknown = { path: '[0].prediction_id', message: 'unknown prediction id' };
      next = { status: 'rejected', accepted: 0, duplicates: 0, errors: [unknown] };
      const rejected = await post(predictor, '/feedback', labels[0]);
      expect([rejected.status, rejected.json.errors]).toEqual([404, [unknown]]);
    });
  });
});

describe('a request too large for one message, on a real nats-server read by a real monitor', () => {
  let monitor: MonitorService;
  let large: Predictor;

  beforeAll(async () => {
    large = await startPredictor({ PREDICTOR_INSTANCE: 'large', PREDICTOR_LOG_BUFFER_BYTES: String(16 * 1024 * 1024) });
    monitor = await startLabelMonitor(nats.url, inject('mlflowTrackingUri'), logger);
  }, 60_000);
  afterAll(async () => {
    await monitor?.stop();
  }, 60_000);

  it('when 10,000 rows of 20 are scored, then parts keyed by their first row log every row once, and the monitor joins labels of every part', async () => {
    const sent = rows(10_000);
    const answer = await post(large, '/predict', { features: sent });
    expect(answer.status).toBe(200);
    const ids = answer.json.prediction_ids as string[];
    const requestId = ids[0]!.slice(0, ids[0]!.lastIndexOf('-'));
    const ofRequest = () =>
      storedLogs().then((logs) => logs.filter((l) => l.data.requests[0]?.request_id === requestId));
    const rowsIn = (logs: { data: PredictionLoggedData }[]) => logs.reduce((n, l) => n + l.data.rows, 0);
    const parts = await waitFor(ofRequest, (found) => rowsIn(found) >= 10_000);
    expect(parts.length).toBeGreaterThan(1);
    expect(rowsIn(parts)).toBe(10_000);
    const byFirstRow = parts.map(({ id, data }) => ({ id, data, first: data.requests[0]?.first_row ?? -1 }));
    byFirstRow.sort((a, b) => a.first - b.first);
    expect(byFirstRow.map((p) => p.id)).toEqual(byFirstRow.map((p) => `prediction.logged:${requestId}@${p.first}`));
    const loggedIds = byFirstRow.flatMap(({ data, first }) =>
      Array.from({ length: data.rows }, (_, i) => `${requestId}-${first + i}`),
    );
    expect(loggedIds).toEqual(ids);
    expect(byFirstRow.flatMap((p) => doubles(p.data.features))).toEqual(sent.flat());
    expect(byFirstRow.flatMap((p) => doubles(p.data.probabilities))).toEqual(answer.json.probabilities);
    const tooLarge = /^predictor_prediction_log_dropped_total\{reason="too_large"\} (\S+)$/m;
    expect(await metric(large, tooLarge)).toBe(0);

    const labels = [0, 5000, 9999].map((row) => ({ prediction_id: ids[row]!, label: 1 }));
    const joined = await post(large, '/feedback', labels);
    expect([joined.status, joined.json.accepted]).toEqual([202, 3]);
    const past = await post(large, '/feedback', { prediction_id: `${requestId}-10000`, label: 1 });
    expect(past.status).toBe(404);
    expect(past.json.errors[0].message).toContain(`request ${requestId} has 10000 rows`);
  }, 90_000);
});

describe('the prediction log while nats-server is down', () => {
  it('when nats-server is stopped, then requests are still answered, the drops are counted, and the next message after its return says how many', async () => {
    await nats.kill();
    const statuses = [];
    const began = Date.now();
    for (let i = 0; i < 20; i++) statuses.push((await post(predictor, '/predict', { features: rows(1000) })).status);
    for (let i = 0; i < 50; i++) statuses.push((await post(predictor, '/predict', { features: rows(1) })).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(Date.now() - began).toBeLessThan(10_000);
    const dropped = /^predictor_prediction_log_dropped_total\{reason="buffer_full"\} (\S+)$/m;
    expect(await metric(predictor, dropped)).toBeGreaterThan(0);

    nats = await startNatsServer({ port: natsPort, storeDir });
    await waitFor(
      () => metric(predictor, /^predictor_prediction_log_queue_requests (\S+)$/m),
      (queued) => queued === 0,
      60_000,
    );
    const last = (await post(predictor, '/predict', { features: rows(1) })).json.prediction_ids[0] as string;
    const reconnected = () => storedLogs().catch(() => []);
    const ids = (l: { data: { requests: { request_id: string }[] } }) => l.data.requests.map((r) => `${r.request_id}-`);
    const logs = await waitFor(reconnected, (found) => found.some((l) => ids(l).some((id) => last.startsWith(id))));
    const totalDropped = await metric(
      predictor,
      /^predictor_prediction_log_dropped_total\{reason="buffer_full"\} (\S+)$/m,
    );
    const failed = await metric(
      predictor,
      /^predictor_prediction_log_dropped_total\{reason="publish_failed"\} (\S+)$/m,
    );
    const holding = logs.filter((l) =>
      l.data.requests.some((r) => r.request_id === last.slice(0, last.lastIndexOf('-'))),
    );
    expect(holding).toHaveLength(1);
    expect(logs.reduce((sum, l) => sum + l.data.dropped_before, 0)).toBe(totalDropped + failed);
  }, 120_000);
});

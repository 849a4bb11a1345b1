import { createHash, randomUUID } from 'node:crypto';
import { type Bus, connectBus, requestReply } from '@mlops/bus';
import { type FeedbackReply, parseEvent, STREAMS, SUBJECTS } from '@mlops/contracts';
import { createMlflowClient } from '@mlops/mlflow';
import type { MonitorService } from '@mlops/monitor';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, okReply, registerTestModel, startNatsServer, until } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createPredictor, type Predictor } from '../src/service.js';
import { startLabelMonitor } from './support/monitor.js';

const logger = createLogger({ service: 'feedback-clients-test', level: 'silent' });
const name = `fbclients_${randomUUID().slice(0, 8)}`;
const FEATURES = ['x0', 'x1', 'x2'];
const TOKEN_A = `token-a-${randomUUID()}`;
const TOKEN_B = `token-b-${randomUUID()}`;
/** The client id each token is known by: 16 hex characters of its SHA-256. */
const clientOf = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 16);
const unknownAnswer = (id: string) => `no prediction ${id} was logged (or it was not sampled)`;

let nats: NatsServerHandle;
let bus: Bus;
let predictor: Predictor;
let monitor: MonitorService;

/** A monitor of the test's nats-server, joining labels. */
const startMonitor = () => startLabelMonitor(nats.url, inject('mlflowTrackingUri'), logger);

async function post(path: string, body: unknown, token: string) {
  const response = await fetch(`http://127.0.0.1:${predictor.port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: /predict and /feedback answer their own shapes
  return { status: response.status, json: (await response.json()) as any };
}

/** Scores `rows` rows with `token`; returns the prediction ids. */
async function score(token: string, rows: number): Promise<string[]> {
  const answer = await post('/predict', { features: Array.from({ length: rows }, (_, i) => [i, -i, 0.5]) }, token);
  expect(answer.status).toBe(200);
  return answer.json.prediction_ids as string[];
}

/** `monitor_labels_total` of the running monitor, by outcome (refusals are counted under no version). */
async function labelCounts(service: MonitorService): Promise<Record<string, number>> {
  const values = (await service.metrics.registry.getSingleMetric('monitor_labels_total')?.get())?.values ?? [];
  const out: Record<string, number> = {};
  for (const v of values) out[String(v.labels.outcome)] = (out[String(v.labels.outcome)] ?? 0) + v.value;
  return out;
}

/** Waits until the monitor keeps the rows of every request named (the prediction log reached its join). */
async function seenByMonitor(service: MonitorService, rows: number): Promise<void> {
  await until(
    `${rows} predictions in the monitor`,
    async () => {
      const [version] = await service.monitor.status({ name });
      return (version?.performance.predictions ?? 0) >= rows ? true : undefined;
    },
    30_000,
  );
}

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await connectBus({ servers: nats.url, name: 'labeller', logger });
  const mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
  const { experimentId } = await mlflow.getOrCreateExperiment(name);
  await mlflow.getOrCreateRegisteredModel({ name });
  await registerTestModel(mlflow, {
    experimentId,
    name,
    weights: { coef: [1, -1, 0.5], intercept: 0, featureNames: FEATURES },
  });
  monitor = await startMonitor();
  const config = loadConfig({
    NATS_URL: nats.url,
    MLFLOW_TRACKING_URI: inject('mlflowTrackingUri'),
    MODEL_NAME: name,
    PREDICTOR_PORT: '0',
    PREDICTOR_AUTH_TOKENS: `${TOKEN_A},${TOKEN_B}`,
    PREDICTOR_LOG_LINGER_MS: '0',
    PREDICTOR_LOG_FLUSH_TIMEOUT_MS: '1000',
  });
  predictor = createPredictor(config, {
    bus: await connectBus({ servers: nats.url, name: 'predictor', logger }),
    logger,
  });
  await predictor.start();
}, 120_000);

afterAll(async () => {
  await predictor?.stop();
  await monitor?.stop();
  await bus?.close();
  await nats?.stop();
}, 60_000);

describe('labels tied to the bearer token that scored the prediction, on a real nats-server', () => {
  let byA: string[];
  let byB: string[];

  it("when tokens A and B score, then each logged request names its token's client id, and no stored message holds a token", async () => {
    byA = await score(TOKEN_A, 2);
    byB = await score(TOKEN_B, 1);
    const requestOf = (id: string) => id.slice(0, id.lastIndexOf('-'));
    const jsm = await jetstreamManager(bus.connection);
    const stored = async () => {
      const { state } = await jsm.streams.info(STREAMS.predictions.name);
      const out: string[] = [];
      for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
        const message = await jsm.streams.getMessage(STREAMS.predictions.name, { seq });
        if (message !== null) out.push(new TextDecoder().decode(message.data));
      }
      return out;
    };
    const texts = await until('both requests logged', async () => {
      const found = await stored();
      return found.some((t) => t.includes(requestOf(byB[0]!))) && found.some((t) => t.includes(requestOf(byA[0]!)))
        ? found
        : undefined;
    });
    const requests = texts.flatMap((text) => {
      const parsed = parseEvent(SUBJECTS.predictionLogged, JSON.parse(text));
      if (!parsed.ok) throw new Error(parsed.reason);
      return parsed.event.data.requests;
    });
    expect(requests.map((r) => [r.request_id, r.client])).toEqual([
      [requestOf(byA[0]!), clientOf(TOKEN_A)],
      [requestOf(byB[0]!), clientOf(TOKEN_B)],
    ]);
    for (const text of texts) {
      expect(text).not.toContain(TOKEN_A);
      expect(text).not.toContain(TOKEN_B);
      expect(text).not.toContain('token-');
    }
  });

  it("when token B labels A's prediction, then 404 as for an unknown id and nothing is stored; A's label is stored; a plain NATS label without client joins B's prediction", async () => {
    await seenByMonitor(monitor, 3);
    const before = await labelCounts(monitor);
    const other = await post('/feedback', { prediction_id: byA[0], label: 1 }, TOKEN_B);
    const unknownId = `${randomUUID().replaceAll('-', '').slice(0, 12)}-0`;
    const unknown = await post('/feedback', { prediction_id: unknownId, label: 1 }, TOKEN_B);
    expect([other.status, unknown.status]).toEqual([404, 404]);
    expect(other.json).toEqual({
      ...unknown.json,
      errors: [{ path: 'prediction_id', message: unknownAnswer(byA[0]!) }],
    });
    expect(unknown.json).toEqual({
      status: 'rejected',
      accepted: 0,
      duplicates: 0,
      conflicting: 0,
      refused: 1,
      errors: [{ path: 'prediction_id', message: unknownAnswer(unknownId) }],
    });
    // B's refusal stored nothing: A's own label for that prediction is the first, not a duplicate.
    const own = await post('/feedback', { prediction_id: byA[0], label: 1 }, TOKEN_A);
    expect([own.status, own.json.accepted, own.json.duplicates]).toEqual([202, 1, 0]);
    // A's token labels only A's predictions.
    expect((await post('/feedback', { prediction_id: byB[0], label: 0 }, TOKEN_A)).status).toBe(404);
    const operator: FeedbackReply = await requestReply(
      bus.connection,
      SUBJECTS.feedbackReceived,
      { prediction_id: byB[0]!, label: 1 },
      { timeoutMs: 15_000 },
    );
    expect(operator).toMatchObject({ status: 'accepted', accepted: 1 });
    const after = await labelCounts(monitor);
    const added = (outcome: string) => (after[outcome] ?? 0) - (before[outcome] ?? 0);
    // /metrics tells another client's id from no id at all nowhere: both are unknown there; the status tells them apart.
    expect([added('joined'), added('other_client'), added('unknown')]).toEqual([2, 0, 3]);
    const status = okReply(await requestReply(bus.connection, SUBJECTS.monitorStatus, { name }, { timeoutMs: 15_000 }));
    expect(status.versions[0]?.labels).toMatchObject({ joined: 2, other_client: 2, unknown: 1 });
  }, 60_000);

  it('when the monitor restarts, then the predictions it reads back from the stream keep the client that scored them', async () => {
    await monitor.stop();
    monitor = await startMonitor();
    await seenByMonitor(monitor, 3);
    const other = await post('/feedback', { prediction_id: byA[1], label: 0 }, TOKEN_B);
    expect([other.status, other.json.errors]).toEqual([
      404,
      [{ path: 'prediction_id', message: unknownAnswer(byA[1]!) }],
    ]);
    const own = await post('/feedback', { prediction_id: byA[1], label: 0 }, TOKEN_A);
    expect([own.status, own.json.accepted]).toEqual([202, 1]);
    // The labels stored before the restart are read back too: A's first label is still the first.
    const again = await post('/feedback', { prediction_id: byA[0], label: 0 }, TOKEN_A);
    // It names another class than the first (1): a conflicting repeat, counted as such, changing nothing.
    expect([again.status, again.json.duplicates, again.json.conflicting]).toEqual([202, 1, 1]);
    expect(await labelCounts(monitor)).toMatchObject({ unknown: 1, joined: 1 });
  }, 60_000);

  it('when a client sets client in its labels itself, then 400 and nothing reaches the monitor', async () => {
    const forged = await post('/feedback', { prediction_id: byA[0], label: 1, client: clientOf(TOKEN_A) }, TOKEN_B);
    expect([forged.status, forged.json.error.code]).toEqual([400, 'BAD_REQUEST']);
    expect(forged.json.error.message).toMatch(/^client: is set by the predictor from the bearer token/);
  });
});

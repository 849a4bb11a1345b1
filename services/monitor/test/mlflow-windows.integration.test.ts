import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, type ConsumerHandle, connectBus } from '@mlops/bus';
import { CONSUMERS, type MonitorWindowData, STREAMS, SUBJECTS } from '@mlops/contracts';
import { createMlflowClient, type MlflowClient } from '@mlops/mlflow';
import { createLogger } from '@mlops/service-kit';
import {
  findFreePort,
  type MlflowServerHandle,
  type NatsServerHandle,
  registerTestModel,
  startMlflowServer,
  startNatsServer,
  until,
} from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONITOR_TAGS, mlflowMonitoringRuns } from '../src/adapters/mlflow-monitoring-runs.js';
import { consumeMlflowWindows, provisionMlflowWindows } from '../src/entry-points/mlflow-windows.js';
import { columnsWindow } from './support/drift-window.js';

// The monitor's windows reach MLflow from the MONITOR stream: none is lost while MLflow is away or the monitor is not
// consuming, and an outage costs no delivery (a real nats-server, a real MLflow stopped and started on its store).

const COLUMNS = ['x0', 'x1', 'x2'];
const logger = createLogger({ service: 'mlflow-windows-test', level: 'silent' });
let nats: NatsServerHandle;
let mlflowServer: MlflowServerHandle | undefined;
let mlflowDir: string;
let mlflowPort: number;
let mlflow: MlflowClient;
let bus: Bus;
let consumer: ConsumerHandle | undefined;
let model: string;
let version: string;

const startMlflow = async () => {
  mlflowServer = await startMlflowServer({ port: mlflowPort, dataDir: mlflowDir });
};

beforeAll(async () => {
  nats = await startNatsServer();
  mlflowDir = await mkdtemp(join(tmpdir(), 'mlflow-windows-'));
  mlflowPort = await findFreePort();
  await startMlflow();
  mlflow = createMlflowClient({ trackingUri: `http://127.0.0.1:${mlflowPort}` });
  model = `windows_${randomUUID().slice(0, 8)}`;
  const { experimentId } = await mlflow.getOrCreateExperiment(model);
  await mlflow.getOrCreateRegisteredModel({ name: model });
  const weights = { coef: COLUMNS.map(() => 0.1), intercept: 0, featureNames: COLUMNS };
  version = (await registerTestModel(mlflow, { experimentId, name: model, weights })).version;
  bus = await connectBus({ servers: nats.url, name: 'mlflow-windows-test', logger });
  await bus.ensureStream({ ...STREAMS.monitor, maxBytes: 64 * 1024 ** 2 });
  await provisionMlflowWindows(bus, true);
}, 120_000);

afterAll(async () => {
  await consumer?.stop();
  await bus?.close();
  await mlflowServer?.stop();
  await nats?.stop();
  await rm(mlflowDir, { recursive: true, force: true });
});

/** Stores window `index` of the version in MONITOR, as the monitor does once the window closed. */
async function storeWindow(index: number, ofVersion = version): Promise<void> {
  const base = columnsWindow(COLUMNS, { model, version: ofVersion, index });
  const window: MonitorWindowData = {
    ...base,
    sequences: [],
    opened_at: base.closed_at,
    closed_by: 'rows',
    reference_rows: 800,
    drifted_features: [],
    checkpoints: {},
    performance: {
      ...base.performance,
      predictions: 500,
      labelled: 0,
      label_latency_p50_s: null,
      label_latency_p95_s: null,
      training: null,
      degraded: false,
    },
  };
  await bus.publishEvent(SUBJECTS.monitorWindow, window, { key: `${model}:${ofVersion}:${index}` });
}

/** The steps of `rows` in the version's monitoring run (none before the run exists). */
async function loggedSteps(): Promise<number[]> {
  const runId = (await mlflow.getModelVersion(model, version)).tags[MONITOR_TAGS.runId];
  if (runId === undefined) return [];
  return (await mlflow.getMetricHistory(runId, 'rows')).map((m) => m.step ?? -1).sort((a, b) => a - b);
}

const consume = async () => {
  consumer = await consumeMlflowWindows(bus, mlflowMonitoringRuns(mlflow), logger);
};

async function untilSteps(steps: number[], timeoutMs: number): Promise<void> {
  const wanted = JSON.stringify(steps);
  await until(
    `steps ${wanted} in MLflow`,
    async () => (JSON.stringify(await loggedSteps()) === wanted ? true : undefined),
    timeoutMs,
    200,
  );
}

describe('windows written to MLflow from the MONITOR stream', () => {
  it('when MLflow is away while windows close, then they are written once it is back, and the outage costs no delivery', async () => {
    await consume();
    await storeWindow(0);
    await untilSteps([0], 30_000);
    await mlflowServer?.stop();
    await storeWindow(1);
    await storeWindow(2);
    // Longer than the client's own retries (about 4 s): the windows are held, not failed.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    await startMlflow();
    await untilSteps([0, 1, 2], 60_000);
    const jsm = await jetstreamManager(bus.connection);
    const info = await jsm.consumers.info(STREAMS.monitor.name, CONSUMERS.monitorMlflowWindows);
    expect(info.delivered.consumer_seq, 'each window delivered once').toBe(3);
    await until(
      'every window acknowledged',
      async () => {
        const { num_ack_pending } = await jsm.consumers.info(STREAMS.monitor.name, CONSUMERS.monitorMlflowWindows);
        return num_ack_pending === 0 ? true : undefined;
      },
      10_000,
      100,
    );
  }, 150_000);

  it('when windows close while nothing writes them (the monitor stopped or crashed), then the next consumer writes them', async () => {
    await consumer?.stop();
    consumer = undefined;
    await storeWindow(3);
    await storeWindow(4);
    expect(await loggedSteps()).toEqual([0, 1, 2]);
    await consume();
    await untilSteps([0, 1, 2, 3, 4], 30_000);
  }, 60_000);

  it('when MLflow refuses a window for good (its version is not there), then it is skipped, not retried or dead-lettered', async () => {
    const jsm = await jetstreamManager(bus.connection);
    const consumerInfo = () => jsm.consumers.info(STREAMS.monitor.name, CONSUMERS.monitorMlflowWindows);
    const redeliveredBefore = (await consumerInfo()).num_redelivered;
    await storeWindow(0, '999');
    await storeWindow(5);
    await untilSteps([0, 1, 2, 3, 4, 5], 30_000);
    await until(
      'every window acknowledged',
      async () => ((await consumerInfo()).num_ack_pending === 0 ? true : undefined),
      10_000,
      100,
    );
    expect((await consumerInfo()).num_redelivered).toBe(redeliveredBefore);
  }, 60_000);

  it('when runs are turned off, then the consumer goes with its backlog; turned on again, only new windows are written', async () => {
    await consumer?.stop();
    consumer = undefined;
    await storeWindow(6);
    await provisionMlflowWindows(bus, false);
    const jsm = await jetstreamManager(bus.connection);
    const names = async () => (await jsm.consumers.list(STREAMS.monitor.name).next()).map((c) => c.name);
    expect(await names()).not.toContain(CONSUMERS.monitorMlflowWindows);
    await provisionMlflowWindows(bus, false); // none there: nothing to do
    await provisionMlflowWindows(bus, true);
    await consume();
    await storeWindow(7);
    await untilSteps([0, 1, 2, 3, 4, 5, 7], 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await loggedSteps()).toEqual([0, 1, 2, 3, 4, 5, 7]);
  }, 60_000);
});

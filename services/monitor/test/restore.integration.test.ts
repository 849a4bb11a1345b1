import { type Bus, connectBus } from '@mlops/bus';
import { PREDICTION_ENCODING, type ReferenceProfileData, STREAMS, SUBJECTS } from '@mlops/contracts';
import { buildReferenceProfile } from '@mlops/ml';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMonitorMetrics } from '../src/adapters/metrics.js';
import { natsAnnouncer } from '../src/adapters/nats-announcer.js';
import { loadConfig } from '../src/config.js';
import { Monitor, type MonitorDeps } from '../src/domain/monitor.js';
import type { MonitorMetrics, VersionFiles } from '../src/domain/ports.js';
import type { PredictionBatch } from '../src/domain/prediction-batch.js';
import { provisionModelEvents } from '../src/entry-points/model-events.js';
import { provisionMonitor, restoreMonitor } from '../src/entry-points/predictions.js';

const logger = createLogger({ service: 'monitor-restore-test', level: 'silent' });
const config = loadConfig(
  { MONITOR_WINDOW_ROWS: '100', MONITOR_MIN_WINDOW_ROWS: '30', MONITOR_RETRAIN: 'false' },
  '/srv',
);
const profile = buildReferenceProfile({
  rows: 400,
  cols: 1,
  data: Float64Array.from({ length: 400 }, (_, i) => (i + 0.5) / 400),
}) as unknown as ReferenceProfileData;
const FILES: VersionFiles = {
  profile,
  model: { classes: [0, 1], coef: [1], intercept: 0, featureNames: ['x0'] },
  training: { accuracy: 0.9 },
};
let nats: NatsServerHandle;
let bus: Bus;
const stopping = new AbortController();

/** A monitor publishing to the test server, with MLflow left out (and metrics, unless given). */
function monitorOnBus(metrics?: MonitorMetrics): Monitor {
  const deps = {
    files: { load: async () => FILES },
    announce: natsAnnouncer(bus, logger, stopping.signal),
    metrics: metrics ?? (new Proxy({}, { get: () => () => undefined }) as unknown as MonitorMetrics),
    logger,
  } as unknown as MonitorDeps;
  const { window, drift, join, performance, retrain } = config;
  return new Monitor({ window, drift, join, performance, retrain }, deps);
}

let sequence = 0;
/** 100 logged rows of model m `version` (features shifted by `shift`: 0.5 drifts). */
function logged(version: string, shift = 0): PredictionBatch {
  sequence++;
  return {
    model: 'm',
    version,
    requests: [{ requestId: `r${sequence}`, predictedAtMs: Date.now(), rows: 100 }],
    rows: 100,
    columns: 1,
    features: Float64Array.from({ length: 100 }, (_, i) => (i + 0.5) / 100 + shift),
    rawColumns: false,
    probabilities: new Float64Array(100).fill(0.5),
    labels: new Float64Array(100),
    sequence,
  };
}

/** Publishes a batch as the predictor logs it, so that a restart reads it back for joining labels. */
async function published(batch: PredictionBatch): Promise<PredictionBatch> {
  const pack = (values: Float64Array) =>
    Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
  const requests = batch.requests.map((r) => ({
    request_id: r.requestId,
    predicted_at: new Date(r.predictedAtMs).toISOString(),
    rows: r.rows,
  }));
  await bus.publishEvent(
    SUBJECTS.predictionLogged,
    {
      model: batch.model,
      version: batch.version,
      requests,
      rows: batch.rows,
      columns: batch.columns,
      encoding: PREDICTION_ENCODING,
      features: pack(batch.features),
      probabilities: pack(batch.probabilities),
      labels: pack(batch.labels),
      sample_rate: 1,
      dropped_before: 0,
    },
    { key: requests[0]?.request_id ?? 'none' },
  );
  return batch;
}

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await connectBus({ servers: nats.url, name: 'monitor-restore-test', logger });
  await provisionMonitor(bus, config.window.ms, config.streamMaxBytes);
  await provisionModelEvents(bus);
}, 60_000);

afterAll(async () => {
  stopping.abort();
  await bus?.close();
  await nats?.stop();
});

describe('a monitor restarted on the MONITOR stream', () => {
  it('when versions 1 and 2 closed windows, then after the restart each shows its own last window', async () => {
    const before = monitorOnBus();
    const settle = { ack: async () => undefined };
    for (let i = 0; i < 3; i++) await before.onPrediction(logged('1'), settle);
    for (let i = 0; i < 2; i++) await before.onPrediction(logged('2'), settle);
    const after = monitorOnBus();
    await restoreMonitor(bus, after, logger, undefined);
    const status = await after.status({ name: 'm' });
    expect(status.map((s) => [s.version, s.windows, s.last_window?.window ?? null])).toEqual([
      ['1', 3, 2],
      ['2', 2, 1],
    ]);
  });

  it("when the monitor restarts, then /metrics shows each version's drift at once and its live performance at the first tick", async () => {
    const before = monitorOnBus();
    await restoreMonitor(bus, before, logger, undefined);
    const settle = { ack: async () => undefined };
    for (let i = 0; i < 2; i++) await before.onPrediction(await published(logged('5', 0.5)), settle);
    const labels = Array.from({ length: 100 }, (_, i) => ({ prediction_id: `r${sequence}-${i}`, label: 0 }));
    expect(await before.feedback(labels)).toMatchObject({ accepted: 100 });
    const metrics = createMonitorMetrics();
    const after = monitorOnBus(metrics);
    await restoreMonitor(bus, after, logger, undefined);
    const gauge = async (name: string, labels: Record<string, string> = {}) => {
      const values = (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
      const wanted = { model_name: 'm', model_version: '5', ...labels };
      return values.find((v) => Object.entries(wanted).every(([k, x]) => v.labels[k] === x))?.value;
    };
    expect(await gauge('monitor_dataset_drift')).toBe(1);
    expect(await gauge('monitor_column_drifted', { column: 'x0' })).toBe(1);
    expect(await gauge('monitor_labelled_rows')).toBeUndefined();
    expect(await gauge('monitor_windows_total')).toBeUndefined(); // shown, not counted again
    await after.tick();
    expect(await gauge('monitor_labelled_rows')).toBe(100);
    expect(await gauge('monitor_live_metric', { metric: 'accuracy' })).toBe(1);
    expect(await gauge('monitor_live_metric', { metric: 'label_coverage' })).toBe(0.5);
  });

  it('when the last labels before a stop were still waiting to be judged, then the restarted monitor judges them: performance.degraded', async () => {
    const before = monitorOnBus();
    await restoreMonitor(bus, before, logger, undefined);
    const settle = { ack: async () => undefined };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      await before.onPrediction(await published(logged('7')), settle);
      ids.push(...Array.from({ length: 100 }, (_, row) => `r${sequence}-${row}`));
    }
    // predicted 0 everywhere: 100 right labels (judged at once: too few to judge), then 200 wrong ones within the second
    expect(await before.feedback(ids.slice(0, 100).map((id) => ({ prediction_id: id, label: 0 })))).toMatchObject({
      accepted: 100,
    });
    expect(await before.feedback(ids.slice(100).map((id) => ({ prediction_id: id, label: 1 })))).toMatchObject({
      accepted: 200,
    });
    const degraded = async () => {
      const found: unknown[] = [];
      await bus.replayEvents(SUBJECTS.performanceDegraded, ({ data }) => {
        if (data.version === '7') found.push(data);
      });
      return found;
    };
    expect(await degraded(), 'the wrong labels wait for the next second').toEqual([]);
    const after = monitorOnBus(); // `before` stops here, its judgement still pending
    await restoreMonitor(bus, after, logger, undefined);
    await after.tick();
    expect(await degraded()).toEqual([
      expect.objectContaining({ model: 'm', version: '7', labelled: 300, episode: 1 }),
    ]);
  });

  it('when MONITOR passed its size limit, then the oldest windows are gone and a restart still resumes from the newest', async () => {
    const jsm = await jetstreamManager(bus.connection);
    expect((await jsm.streams.info(STREAMS.monitor.name)).config.max_bytes).toBe(256 * 1024 ** 2); // the default
    const limit = 64 * 1024;
    await provisionMonitor(bus, config.window.ms, limit);
    const before = monitorOnBus();
    await restoreMonitor(bus, before, logger, undefined);
    const settle = { ack: async () => undefined };
    let windows = 0;
    while ((await jsm.streams.info(STREAMS.monitor.name)).state.first_seq === 1) {
      await before.onPrediction(logged('3'), settle);
      windows++;
    }
    const { config: kept, state } = await jsm.streams.info(STREAMS.monitor.name);
    expect(kept.max_bytes).toBe(limit);
    expect(state.bytes).toBeLessThanOrEqual(limit);
    const after = monitorOnBus();
    await restoreMonitor(bus, after, logger, undefined);
    const [status] = await after.status({ name: 'm', version: '3' });
    expect([status?.windows, status?.last_window?.window]).toEqual([windows, windows - 1]);
  });
});

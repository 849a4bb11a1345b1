import { type Bus, connectBus } from '@mlops/bus';
import { type ReferenceProfileData, STREAMS } from '@mlops/contracts';
import { buildReferenceProfile } from '@mlops/ml';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** A monitor publishing to the test server, with MLflow and metrics left out. */
function monitorOnBus(): Monitor {
  const deps = {
    files: { load: async () => FILES },
    announce: natsAnnouncer(bus, logger, stopping.signal),
    runs: undefined,
    metrics: new Proxy({}, { get: () => () => undefined }) as unknown as MonitorMetrics,
    logger,
  } as unknown as MonitorDeps;
  const { window, drift, join, performance, retrain } = config;
  return new Monitor({ window, drift, join, performance, retrain }, deps);
}

let sequence = 0;
/** 100 logged rows of model m `version`. */
function logged(version: string): PredictionBatch {
  sequence++;
  return {
    model: 'm',
    version,
    requests: [{ requestId: `r${sequence}`, predictedAtMs: Date.now(), rows: 100 }],
    rows: 100,
    columns: 1,
    features: Float64Array.from({ length: 100 }, (_, i) => (i + 0.5) / 100),
    rawColumns: false,
    probabilities: new Float64Array(100).fill(0.5),
    labels: new Float64Array(100),
    sequence,
  };
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

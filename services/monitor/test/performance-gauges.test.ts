import type { ReferenceProfileData } from '@mlops/contracts';
import { buildReferenceProfile } from '@mlops/ml';
import { createLogger } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import { createMonitorMetrics } from '../src/adapters/metrics.js';
import { loadConfig } from '../src/config.js';
import { Monitor, type MonitorDeps } from '../src/domain/monitor.js';
import type { MonitorAnnouncer, VersionFiles, VersionFilesSource } from '../src/domain/ports.js';
import type { PredictionBatch } from '../src/domain/prediction-batch.js';
import { columnsWindow } from './support/drift-window.js';

const logger = createLogger({ service: 'performance-gauges-test', level: 'silent' });
const CONFIG_ENV = { MONITOR_WINDOW_ROWS: '100', MONITOR_RETRAIN: 'false' };
const FILES: VersionFiles = {
  profile: buildReferenceProfile({
    rows: 400,
    cols: 1,
    data: Float64Array.from({ length: 400 }, (_, i) => (i + 0.5) / 400),
  }) as unknown as ReferenceProfileData,
  model: { classes: [0, 1], coef: [1], intercept: 0, featureNames: ['x0'] },
  training: { accuracy: 0.9 },
};

/** A monitor on a clock the test moves, with real gauges and an announcer that takes everything. */
function monitorAt(
  clock: { ms: number },
  env: Record<string, string> = {},
  files: VersionFilesSource = { load: async () => FILES },
) {
  const metrics = createMonitorMetrics();
  const announce = new Proxy({}, { get: () => async () => undefined }) as unknown as MonitorAnnouncer;
  const deps = {
    files,
    announce,
    metrics,
    logger,
    now: () => clock.ms,
  } as unknown as MonitorDeps;
  const { window, drift, join, performance, retrain } = loadConfig({ ...CONFIG_ENV, ...env }, '/srv');
  return { monitor: new Monitor({ window, drift, join, performance, retrain }, deps), metrics };
}

/** 100 rows of model m version 1 in one request, predicted at `atMs`. */
function logged(requestId: string, sequence: number, atMs: number): PredictionBatch {
  return {
    model: 'm',
    version: '1',
    requests: [{ requestId, predictedAtMs: atMs, rows: 100 }],
    rows: 100,
    columns: 1,
    features: Float64Array.from({ length: 100 }, (_, i) => (i + 0.5) / 100),
    rawColumns: false,
    probabilities: new Float64Array(100).fill(0.2),
    labels: new Float64Array(100),
    sequence,
  };
}

/** The label_coverage gauge's value, undefined when it has no sample. */
async function coverageOf(metrics: ReturnType<typeof createMonitorMetrics>): Promise<number | undefined> {
  const gauge = await metrics.registry.getSingleMetric('monitor_live_metric')?.get();
  return gauge?.values.find((v) => v.labels.metric === 'label_coverage')?.value;
}

describe('live performance gauges', () => {
  it('when a window shows a cached coverage and traffic then stops, then a later tick shows the true one', async () => {
    const clock = { ms: Date.parse('2026-12-04T10:00:00Z') };
    const { monitor, metrics } = monitorAt(clock);
    const coverage = () => coverageOf(metrics);
    const settle = { ack: async () => undefined };
    await monitor.onPrediction(logged('a', 1, clock.ms), settle);
    const labels = Array.from({ length: 50 }, (_, i) => ({ prediction_id: `a-${i}`, label: 0 }));
    expect(await monitor.feedback(labels)).toMatchObject({ accepted: 50 });
    expect(await coverage()).toBe(0.5);
    clock.ms += 1000;
    await monitor.onPrediction(logged('b', 2, clock.ms), settle); // its window reuses the second-old figure
    await monitor.tick();
    expect(await coverage()).toBe(0.5);
    clock.ms += 5000;
    await monitor.tick();
    expect(await coverage()).toBe(0.25);
    const [status] = await monitor.status({ name: 'm' });
    expect(status?.performance).toMatchObject({ predictions: 200, labelled: 50, label_coverage: 0.25 });
  });

  it('when no window or label comes, then the gauges still follow predictions leaving the live window (a fresh pass every minute)', async () => {
    const clock = { ms: Date.parse('2026-12-04T10:00:00Z') };
    const { monitor, metrics } = monitorAt(clock, { MONITOR_PERFORMANCE_WINDOW_SECONDS: '120' });
    const coverage = () => coverageOf(metrics);
    const settle = { ack: async () => undefined };
    await monitor.onPrediction(logged('a', 1, clock.ms), settle);
    await monitor.feedback(Array.from({ length: 50 }, (_, i) => ({ prediction_id: `a-${i}`, label: 0 })));
    clock.ms += 60_000;
    await monitor.onPrediction(logged('b', 2, clock.ms), settle);
    clock.ms += 6000;
    await monitor.tick();
    expect(await coverage()).toBe(0.25); // 50 of the 200 rows of the last two minutes
    clock.ms += 30_000;
    await monitor.tick();
    clock.ms += 30_000; // request a (and its labels) is over two minutes old now; nothing else came
    await monitor.tick();
    expect(await coverage()).toBe(0);
    clock.ms += 120_000; // b too: no prediction in the live window, so no coverage to show
    await monitor.tick();

    expect(await coverage()).toBeUndefined();
  });

  it('when versions whose files cannot be loaded have no row kept, then the minute sweeps load none of them, and a version whose rows leave the join has its gauge samples removed and is not loaded again', async () => {
    const clock = { ms: Date.parse('2026-12-04T10:00:00Z') };
    const loads: string[] = [];
    const files: VersionFilesSource = {
      load: async (_model, version) => {
        loads.push(version);
        throw new Error(`version ${version} was deleted from MLflow`);
      },
    };
    const { monitor, metrics } = monitorAt(clock, { MONITOR_HORIZON_SECONDS: '600' }, files);
    const coverage = () => coverageOf(metrics);
    for (const version of ['old-1', 'old-2']) monitor.rememberWindow(columnsWindow([], { version }));
    monitor.showRestored();
    await monitor.onPrediction(logged('a', 1, clock.ms), { ack: async () => undefined });
    await monitor.tick();
    expect(await coverage(), 'no label of the 100 rows kept').toBe(0);
    for (let minute = 1; minute <= 10; minute++) {
      clock.ms += 60_000;
      await monitor.tick();
    }
    expect(await coverage(), 'request a is still kept').toBe(0);
    clock.ms += 60_000; // request a is past the 10-minute horizon: no row of version 1 is kept
    await monitor.tick();
    expect(await coverage()).toBeUndefined();
    const loadsWhenLeft = loads.length;
    for (let minute = 1; minute <= 5; minute++) {
      clock.ms += 60_000;
      await monitor.tick();
    }

    expect(loads.filter((version) => version.startsWith('old-'))).toEqual([]);
    expect(loads.length, 'version 1 is not loaded once its rows are gone').toBe(loadsWhenLeft);
    const whileKept = loads.filter((version) => version === '1').length;
    expect(whileKept, 'its first window, then at most a load a minute while kept').toBeLessThanOrEqual(11);
  });

  it('when labels come one batch after another, then performance is judged at once, then at most once a second', async () => {
    const clock = { ms: Date.parse('2026-12-04T10:00:00Z') };
    const { monitor, metrics } = monitorAt(clock);
    const labelled = async () =>
      (await metrics.registry.getSingleMetric('monitor_labelled_rows')?.get())?.values[0]?.value;
    await monitor.onPrediction(logged('a', 1, clock.ms), { ack: async () => undefined });
    const label = (i: number) => ({ prediction_id: `a-${i}`, label: 0 });
    await monitor.feedback([label(0)]);
    expect(await labelled()).toBe(1);
    for (let i = 1; i <= 5; i++) {
      clock.ms += 100;
      await monitor.feedback([label(i)]);
    }
    expect(await labelled(), 'the labels of the same second wait').toBe(1);
    await monitor.tick();
    expect(await labelled()).toBe(1);
    clock.ms += 600;
    await monitor.tick();
    expect(await labelled(), 'judged at the first tick a second after the last time').toBe(6);
  });
});

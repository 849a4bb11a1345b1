import type { MonitorWindowData, ReferenceProfileData, RetrainReply } from '@mlops/contracts';
import { buildReferenceProfile } from '@mlops/ml';
import { createLogger } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { Monitor, type MonitorDeps } from '../src/domain/monitor.js';
import type { MonitorAnnouncer, MonitorMetrics, VersionFiles } from '../src/domain/ports.js';
import type { PredictionBatch } from '../src/domain/prediction-batch.js';
import { automaticCause } from '../src/domain/retrain-policy.js';
import type { RetrainCase, Retrainer } from '../src/domain/retrainer.js';

const logger = createLogger({ service: 'drift-episode-count-test', level: 'silent' });
const START = Date.parse('2026-12-03T08:00:00.000Z');
const config = loadConfig(
  {
    MONITOR_WINDOW_ROWS: '100',
    MONITOR_WINDOW_SECONDS: '60',
    MONITOR_MIN_WINDOW_ROWS: '30',
    MONITOR_RETRAIN_DRIFT_WINDOWS: '3',
    MONITOR_PERFORMANCE_MIN_LABELS: '1000',
  },
  '/srv',
);
const rules = {
  window: config.window,
  drift: config.drift,
  join: config.join,
  performance: config.performance,
  retrain: config.retrain,
};
/** One feature, uniform on 0…1 over 400 training rows. */
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
const SKIPPED: RetrainReply = { status: 'skipped', reason: 'too_few_labels', message: 'too few' };

/** A monitor of model m whose retrainer notes the automatic triggers it is handed and whose windows are noted. */
function harness() {
  let now = START;
  const cases: RetrainCase[] = [];
  const windows: MonitorWindowData[] = [];
  const retrainer = {
    consider: async (c: RetrainCase) => {
      cases.push(c);
      return SKIPPED;
    },
    newAfterMs: () => 0,
  } as unknown as Retrainer;
  const announce = new Proxy(
    { window: async (data: MonitorWindowData) => void windows.push(data) },
    { get: (target, name) => (target as Record<string | symbol, unknown>)[name] ?? (async () => undefined) },
  ) as unknown as MonitorAnnouncer;
  const metrics = new Proxy({}, { get: () => () => undefined }) as unknown as MonitorMetrics;
  const deps = {
    files: { load: async () => FILES },
    announce,
    metrics,
    logger,
    now: () => now,
    retrainer,
  } as unknown as MonitorDeps;
  const advance = (ms: number) => {
    now += ms;
  };
  return { monitor: new Monitor(rules, deps), cases, windows, advance, at: () => now };
}

let sequence = 0;
/** `rows` logged rows of model m version 1, uniform on [shift, shift + 1). */
function logged(rows: number, shift: number, at: number): PredictionBatch {
  sequence++;
  return {
    model: 'm',
    version: '1',
    requests: [{ requestId: `r${sequence}`, predictedAtMs: at, rows }],
    rows,
    columns: 1,
    features: Float64Array.from({ length: rows }, (_, i) => shift + (i + 0.5) / rows),
    rawColumns: false,
    probabilities: new Float64Array(rows).fill(0.5),
    labels: new Float64Array(rows),
    sequence,
  };
}

const settle = { ack: async () => undefined };

describe('the K consecutive drifted windows trigger', () => {
  it('when windows 1 and 2 drift and window 3 closes by time with too few rows to judge, then no retrain is triggered; window 4 drifting triggers it', async () => {
    const { monitor, cases, windows, advance, at } = harness();
    await monitor.onPrediction(logged(100, 0, at()), settle); // window 0: no drift
    for (let i = 0; i < 2; i++) {
      advance(2000); // past the per-version weighing throttle
      await monitor.onPrediction(logged(100, 5, at()), settle); // windows 1, 2: drift
    }
    advance(2000);
    await monitor.onPrediction(logged(14, 5, at()), settle);
    advance(61_000);
    await monitor.tick(); // window 3: 14 rows, closed by time, no verdict
    const afterUnjudged = cases.length;
    advance(2000);
    await monitor.onPrediction(logged(100, 5, at()), settle); // window 4: drift
    expect(windows.map((w) => [w.window, w.dataset_drift])).toEqual([
      [0, false],
      [1, true],
      [2, true],
      [3, null],
      [4, true],
    ]);
    expect(afterUnjudged).toBe(0);
    expect(cases.map((c) => [c.cause.trigger, c.cause.detail, c.windowIndex])).toEqual([
      ['drift', 'dataset drift in 3 consecutive judged windows (1–4; 1 too small to judge)', 4],
    ]);
  });

  it('when a restarted monitor reads its windows back, then only the judged drifted windows of the open episode count', async () => {
    const { monitor, cases, advance } = harness();
    const window = (index: number, drift: boolean | null): MonitorWindowData =>
      ({
        model: 'm',
        version: '1',
        window: index,
        sequences: [],
        dataset_drift: drift,
        checkpoints: {
          'm:1': {
            windows: index + 1,
            drift_since_window: 2,
            drift_since_at: null,
            performance_episodes: 0,
            degraded: false,
            splits: [],
          },
        },
      }) as unknown as MonitorWindowData;
    const stored = [window(0, false), window(1, false), window(2, true), window(3, true), window(4, null)];
    monitor.restore(stored.at(-1));
    for (const data of stored) monitor.rememberWindow(data);
    monitor.rememberPrediction(logged(10, 5, START));
    advance(2000);
    // A label makes the monitor weigh the served version's triggers.
    await monitor.feedback([{ prediction_id: `r${sequence}-0`, label: 1 }]);
    expect(cases).toEqual([]);
    expect((await monitor.status({}))[0]?.last_window?.window).toBe(4);
  });
});

describe('automaticCause', () => {
  const checkpoint = {
    windows: 5,
    drift_since_window: 2,
    drift_since_at: null,
    performance_episodes: 0,
    degraded: false,
    splits: [],
  };
  it('when 2 of the 3 windows since the drift began were judged, then drift does not trigger at K = 3', () => {
    expect(automaticCause(config.retrain, checkpoint, 0, 1000, 2)).toBeNull();
  });

  it('when every window of the episode was judged drifted, then the reason names them as consecutive windows', () => {
    expect(automaticCause(config.retrain, { ...checkpoint, windows: 5 }, 0, 1000, 3)?.detail).toBe(
      'dataset drift in 3 consecutive windows (2–4)',
    );
  });
});

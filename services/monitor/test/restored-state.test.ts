import type { EventData, MonitorCheckpoint, MonitorWindowData, RetrainReply } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import { Monitor, type MonitorDeps, type MonitorRules } from '../src/domain/monitor.js';
import type { MonitorAnnouncer, MonitorMetrics, VersionFiles } from '../src/domain/ports.js';
import type { PredictionBatch } from '../src/domain/prediction-batch.js';
import type { RetrainCase, Retrainer } from '../src/domain/retrainer.js';

const logger = createLogger({ service: 'restored-state-test', level: 'silent' });
const NOW = Date.parse('2026-12-03T08:00:00.000Z');
const rules = {
  window: { rows: 1000, ms: 60_000, minRows: 50 },
  join: { horizonMs: 7 * 86_400_000, maxRows: 1_000_000 },
  performance: { metric: 'accuracy', threshold: 0.1, minLabels: 2, windowMs: 3_600_000 },
  retrain: { enabled: false },
} as MonitorRules;
const FILES: VersionFiles = {
  profile: null,
  model: { classes: [0, 1], coef: [1], intercept: 0, featureNames: ['x0'] },
  training: { accuracy: 0.9 },
};
const SKIPPED: RetrainReply = { status: 'skipped', reason: 'too_few_labels', message: 'too few' };

/** A monitor of model m (clock `now`: a label of an unknown id waits for it by this clock) whose retrainer only notes the cases it is handed, and whose metrics note gauge changes. */
function harness(now: () => number = () => NOW) {
  const cases: RetrainCase[] = [];
  const performance: [string, boolean][] = [];
  const replaced: string[] = [];
  const episodes: [string, EventData<'performance.degraded'>][] = [];
  const resolved: EventData<'drift.resolved'>[] = [];
  const retrainer = {
    consider: async (c: RetrainCase) => {
      cases.push(c);
      return SKIPPED;
    },
    newAfterMs: () => 0,
    onTuningOutcome: async () => undefined,
  } as unknown as Retrainer;
  const announce = {
    labelRecorded: async () => undefined,
    window: async (_: MonitorWindowData) => undefined,
    performanceDegraded: async (data: EventData<'performance.degraded'>) => {
      episodes.push(['degraded', data]);
    },
    performanceRecovered: async (data: EventData<'performance.degraded'>) => {
      episodes.push(['recovered', data]);
    },
    driftDetected: async () => undefined,
    driftResolved: async (data: EventData<'drift.resolved'>) => {
      resolved.push(data);
    },
  } as unknown as MonitorAnnouncer;
  const metrics = new Proxy(
    {
      performance: (key: string, live: MonitorWindowData['performance']) => performance.push([key, live.degraded]),
      replaced: (key: string) => replaced.push(key),
    },
    { get: (target, name) => (target as Record<string | symbol, unknown>)[name] ?? (() => undefined) },
  ) as unknown as MonitorMetrics;
  const deps = {
    files: { load: async () => FILES },
    announce,
    runs: undefined,
    metrics,
    logger,
    now,
    retrainer,
  } as unknown as MonitorDeps;
  return { monitor: new Monitor(rules, deps), cases, performance, replaced, episodes, resolved };
}

/** A logged request `id` of model m `version`, its rows predicted as `predicted`. */
function logged(version: string, id: string, predicted: number[]): PredictionBatch {
  const rows = predicted.length;
  return {
    model: 'm',
    version,
    requests: [{ requestId: id, predictedAtMs: NOW - 1000, rows }],
    rows,
    columns: 1,
    features: new Float64Array(rows),
    rawColumns: false,
    probabilities: Float64Array.from(predicted, (p) => (p === 1 ? 0.9 : 0.1)),
    labels: Float64Array.from(predicted),
    sequence: 1,
  };
}

/** The gate or a person moved champion from `previous` to `version` (stored at `sequence`). */
function promoted(monitor: Monitor, version: string, previous: string, sequence: number): Promise<void> {
  return monitor.onModelOutcome({
    model: 'm',
    tuningId: `t-${sequence}`,
    retrainId: undefined,
    verdict: { verdict: 'promoted' } as never,
    promoted: { version, previous, sequence },
  });
}

/** A stored `monitor.window` of model m `version`, with the checkpoints of versions 1 and 2 as it left them. */
function storedWindow(version: string, index: number, checkpoints: Record<string, number>): MonitorWindowData {
  const checkpoint = (windows: number): MonitorCheckpoint => ({
    windows,
    drift_since_window: null,
    drift_since_at: null,
    performance_episodes: 0,
    degraded: false,
    splits: [],
  });
  return {
    model: 'm',
    version,
    window: index,
    sequences: [],
    dataset_drift: false,
    checkpoints: Object.fromEntries(Object.entries(checkpoints).map(([key, n]) => [key, checkpoint(n)])),
  } as unknown as MonitorWindowData;
}

describe('a restarted monitor', () => {
  it('when versions 1 and 2 closed windows before the restart, then each version shows its own last window', async () => {
    const { monitor } = harness();
    const stored = [
      storedWindow('1', 9, { 'm:1': 10 }),
      storedWindow('1', 10, { 'm:1': 11 }),
      storedWindow('2', 4, { 'm:1': 11, 'm:2': 5 }),
      storedWindow('2', 5, { 'm:1': 11, 'm:2': 6 }),
    ];
    monitor.restore(stored.at(-1));
    for (const data of stored) monitor.rememberWindow(data);
    const status = await monitor.status({});
    expect(status.map((s) => [s.version, s.windows, s.last_window?.window ?? null])).toEqual([
      ['1', 11, 10],
      ['2', 6, 5],
    ]);
  });

  it('when version 1 was degraded and its episode ended as superseded before the restart, then it is not shown degraded after it', async () => {
    const { monitor, performance } = harness();
    monitor.rememberPrediction(logged('1', 'r', [1, 1, 1]));
    for (const id of ['r-0', 'r-1', 'r-2']) monitor.rememberLabel(id, 0, NOW);
    // The newest performance event of version 1 (the only one a restart folds in): recovered, superseded by 2.
    monitor.rememberEpisode({
      seq: 6,
      subject: 'performance.recovered',
      data: {
        model: 'm',
        version: '1',
        metric: 'accuracy',
        live: 0,
        training: 0.9,
        threshold: 0.1,
        labelled: 3,
        episode: 1,
        superseded_by: '2',
        at: '2026-12-03T07:00:00.000Z',
      },
    });
    const [v1] = await monitor.status({ version: '1' });
    expect([v1?.performance.labelled, v1?.performance.degraded]).toEqual([3, false]);
    await monitor.feedback([]); // nothing re-opens the episode or raises the gauge
    expect(performance.filter(([key, degraded]) => key === 'm:1' && degraded)).toEqual([]);
  });

  it('when version 1 degraded and was replaced, then status agrees with the gauge before a restart too', async () => {
    const { monitor } = harness();
    monitor.rememberChampion('m', '1', 10);
    monitor.rememberPrediction(logged('1', 'r', [1, 1, 1]));
    await monitor.feedback(['r-0', 'r-1', 'r-2'].map((id) => ({ prediction_id: id, label: 0 })));
    expect((await monitor.status({ version: '1' }))[0]?.performance.degraded).toBe(true);
    await promoted(monitor, '2', '1', 11);
    expect((await monitor.status({ version: '1' }))[0]?.performance.degraded).toBe(false);
  });
});

/** A clock at NOW that runs 1 s a reading: an unknown id's wait for its prediction ends at once. */
function running(): () => number {
  let at = NOW;
  return () => {
    at += 1000;
    return at;
  };
}

describe('feedback', () => {
  it('when one id is unknown and the other is already labelled, then nothing is stored and the answer is rejected, not partial', async () => {
    const { monitor } = harness(running());
    monitor.rememberPrediction(logged('1', 'r', [1, 1]));
    expect(await monitor.feedback([{ prediction_id: 'r-0', label: 1 }])).toMatchObject({ status: 'accepted' });
    const reply = await monitor.feedback([
      { prediction_id: 'nope-2', label: 1 },
      { prediction_id: 'r-0', label: 1 },
    ]);
    expect(reply).toMatchObject({ status: 'rejected', accepted: 0, duplicates: 1 });
    expect(reply.errors.map((e) => e.path)).toEqual(['0.prediction_id']);
  });

  it('when an already labelled id comes with a label that is not a class, then the label is refused as such, not as a duplicate', async () => {
    const { monitor } = harness(running());
    monitor.rememberPrediction(logged('1', 'r', [1, 1]));
    await monitor.feedback([{ prediction_id: 'r-0', label: 1 }]);
    const reply = await monitor.feedback([
      { prediction_id: 'nope-2', label: 1 },
      { prediction_id: 'r-0', label: 7 },
    ]);
    expect(reply).toMatchObject({ status: 'rejected', accepted: 0, duplicates: 0 });
    expect(reply.errors.map((e) => e.path)).toEqual(['0.prediction_id', '1.label']);
    const alone = await monitor.feedback([{ prediction_id: 'r-0', label: 7 }]);
    expect([alone.status, alone.duplicates, alone.errors.map((e) => e.path)]).toEqual(['rejected', 0, ['label']]);
  });

  it('when some labels are stored beside a refusal, then the answer is partial', async () => {
    const { monitor } = harness();
    monitor.rememberPrediction(logged('1', 'r', [1, 1]));
    const reply = await monitor.feedback([
      { prediction_id: 'r-0', label: 1 },
      { prediction_id: 'r-1', label: 7 },
    ]);
    expect(reply).toMatchObject({ status: 'partial', accepted: 1, duplicates: 0 });
  });
});

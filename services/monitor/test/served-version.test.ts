import type { EventData, MonitorWindowData, RetrainReply } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import { Monitor, type MonitorDeps, type MonitorRules } from '../src/domain/monitor.js';
import type { MonitorAnnouncer, MonitorMetrics, VersionFiles } from '../src/domain/ports.js';
import type { PredictionBatch } from '../src/domain/prediction-batch.js';
import type { RetrainCase, Retrainer } from '../src/domain/retrainer.js';

const logger = createLogger({ service: 'served-version-test', level: 'silent' });
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

/** A monitor of model m whose retrainer only notes the cases it is handed, and whose metrics note gauge changes. */
function harness() {
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
    now: () => NOW,
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

describe('mlops retrain', () => {
  it('when version 3 was promoted after version 2 made the last prediction, then version 3 is retrained', async () => {
    const { monitor, cases } = harness();
    monitor.rememberPrediction(logged('2', 'r', [1, 0]));
    monitor.rememberChampion('m', '2', 10);
    await promoted(monitor, '3', '2', 11);
    expect(await monitor.retrainByHand({ model: 'm' })).toEqual(SKIPPED);
    expect(cases.map((c) => [c.version, c.cause.trigger])).toEqual([['3', 'manual']]);
  });

  it('when no champion move was seen, then the version of the last prediction is retrained', async () => {
    const { monitor, cases } = harness();
    monitor.rememberPrediction(logged('2', 'r', [1, 0]));
    await monitor.retrainByHand({});
    expect(cases.map((c) => c.version)).toEqual(['2']);
  });
});

describe('a version the champion alias left', () => {
  it('when version 1 degraded and drifted and version 2 replaces it, then both episodes end as superseded and its gauges go to 0', async () => {
    const { monitor, replaced, episodes, resolved } = harness();
    monitor.rememberChampion('m', '1', 10);
    monitor.rememberEpisode({
      seq: 1,
      subject: 'drift.detected',
      data: { model: 'm', version: '1', window: 0, drifted_features: ['x0'], drift_share: 1, detected_at: 'x' },
    });
    monitor.rememberPrediction(logged('1', 'r', [1, 1, 1]));
    expect(await monitor.feedback(['r-0', 'r-1', 'r-2'].map((id) => ({ prediction_id: id, label: 0 })))).toMatchObject({
      accepted: 3,
    });
    expect(episodes.map(([kind, e]) => [kind, e.version, e.live])).toEqual([['degraded', '1', 0]]);
    await promoted(monitor, '2', '1', 11);
    expect(resolved.map((r) => [r.version, r.superseded_by])).toEqual([['1', '2']]);
    expect(episodes.map(([kind, e]) => [kind, e.version, e.episode, e.superseded_by])).toEqual([
      ['degraded', '1', 1, undefined],
      ['recovered', '1', 1, '2'],
    ]);
    expect(replaced).toEqual(['m:1']);
    expect((await monitor.status({ version: '1' }))[0]).toMatchObject({ drift_since_window: null });
  });

  it('when a degraded version with no live value left (its labels aged out, or a restart) is replaced, then its episode still ends as superseded, with its degraded evidence', async () => {
    const { monitor, episodes } = harness();
    monitor.rememberChampion('m', '1', 10);
    const degraded = {
      model: 'm',
      version: '1',
      metric: 'accuracy',
      live: 0.62,
      training: 0.9,
      threshold: 0.05,
      labelled: 240,
      episode: 2,
      at: '2026-12-03T06:00:00.000Z',
    } as const;
    monitor.rememberEpisode({ seq: 5, subject: 'performance.degraded', data: degraded });
    await promoted(monitor, '2', '1', 11);
    expect(
      episodes.map(([kind, e]) => [
        kind,
        e.version,
        e.episode,
        e.live,
        e.training,
        e.threshold,
        e.labelled,
        e.superseded_by,
      ]),
    ).toEqual([['recovered', '1', 2, 0.62, 0.9, 0.05, 240, '2']]);
  });

  it('when a late label of the replaced version comes, then it opens no episode and raises no gauge', async () => {
    const { monitor, performance, episodes } = harness();
    monitor.rememberChampion('m', '1', 10);
    monitor.rememberPrediction(logged('1', 'r', [1, 1, 1]));
    await promoted(monitor, '2', '1', 11);
    await monitor.feedback(['r-0', 'r-1', 'r-2'].map((id) => ({ prediction_id: id, label: 0 })));
    expect(episodes).toEqual([]);
    expect(performance.filter(([key, degraded]) => key === 'm:1' && degraded)).toEqual([]);
  });
});

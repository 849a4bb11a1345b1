import { describe, expect, it } from 'vitest';
import { harness, logged, promoted, SKIPPED } from './support/served-harness.js';

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

import type { MonitorCheckpoint, MonitorWindowData } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { harness, logged, NOW, promoted } from './support/served-harness.js';

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

import type { MonitorCheckpoint } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { foldEpisode, newestEpisodes, type StoredEpisode } from '../src/domain/episode-replay.js';
import { freshCheckpoint } from '../src/domain/window-book.js';

const at = '2026-12-03T08:00:00.000Z';

function performance(seq: number, degraded: boolean, episode: number, version = '1'): StoredEpisode {
  const data = {
    model: 'm',
    version,
    metric: 'accuracy' as const,
    live: 0.7,
    training: 0.9,
    threshold: 0.05,
    labelled: 200,
    episode,
    at,
  };
  return { seq, subject: degraded ? 'performance.degraded' : 'performance.recovered', data };
}

const firstPredictedAt = '2026-12-03T07:59:41.250Z';

function detected(seq: number, window: number, first_predicted_at?: string): StoredEpisode {
  const data = { model: 'm', version: '1', window, drifted_features: ['x0'], drift_share: 0.5, detected_at: at };
  return {
    seq,
    subject: 'drift.detected',
    data: first_predicted_at === undefined ? data : { ...data, first_predicted_at },
  };
}

function resolved(seq: number, detectedWindow: number, window: number): StoredEpisode {
  const data = {
    model: 'm',
    version: '1',
    window,
    detected_window: detectedWindow,
    superseded_by: '2',
    resolved_at: at,
  };
  return { seq, subject: 'drift.resolved', data };
}

function checkpoint(fields: Partial<MonitorCheckpoint>): MonitorCheckpoint {
  return { ...freshCheckpoint(), ...fields };
}

describe('episode events read back at start', () => {
  it('when labels degraded a version after its last window, then the restored checkpoint has that episode open', () => {
    const restored = checkpoint({ windows: 4, performance_episodes: 0, degraded: false });
    foldEpisode(restored, performance(9, true, 1));
    expect(restored).toMatchObject({ performance_episodes: 1, degraded: true });
    foldEpisode(restored, performance(9, true, 1)); // the same event again: nothing changes
    expect(restored).toMatchObject({ performance_episodes: 1, degraded: true });
  });

  it('when the newest event is one the last window already reflects, then nothing changes', () => {
    const restored = checkpoint({ windows: 4, performance_episodes: 2, degraded: false });
    foldEpisode(restored, performance(9, false, 2));
    foldEpisode(restored, performance(3, true, 1));
    expect(restored).toMatchObject({ performance_episodes: 2, degraded: false });
  });

  it('when an episode recovered after the last window, then the restored checkpoint is no longer degraded', () => {
    const restored = checkpoint({ windows: 4, performance_episodes: 2, degraded: true });
    foldEpisode(restored, performance(12, false, 2));
    expect(restored).toMatchObject({ performance_episodes: 2, degraded: false });
  });

  it('when a promotion ended a drift episode after the last window, then the restored checkpoint has it ended', () => {
    const restored = checkpoint({ windows: 8, drift_since_window: 5, drift_since_at: at });
    foldEpisode(restored, resolved(20, 3, 7)); // another, older episode: left alone
    expect(restored.drift_since_window).toBe(5);
    foldEpisode(restored, resolved(21, 5, 7));
    expect(restored).toMatchObject({ drift_since_window: null, drift_since_at: null });
  });

  it('when drift.detected was stored but its window was not, then the episode is open (and not for a window already reported)', () => {
    const restored = checkpoint({ windows: 6, drift_since_window: null });
    foldEpisode(restored, detected(30, 3));
    expect(restored.drift_since_window).toBeNull();
    foldEpisode(restored, detected(31, 6, firstPredictedAt));
    expect(restored).toMatchObject({ drift_since_window: 6, drift_since_at: firstPredictedAt });
  });

  it('when a drift.detected stored before first_predicted_at existed opens the episode, then it dates from its window close', () => {
    const restored = checkpoint({ windows: 6, drift_since_window: null });
    foldEpisode(restored, detected(31, 6));
    expect(restored).toMatchObject({ drift_since_window: 6, drift_since_at: at });
  });

  it('only the newest performance and drift event of each version is kept, oldest first', () => {
    const events = [
      performance(1, true, 1),
      detected(2, 0),
      performance(3, false, 1),
      performance(4, true, 1, '2'),
      resolved(5, 0, 2),
    ];
    expect(newestEpisodes(events).map((e) => e.seq)).toEqual([3, 4, 5]);
  });
});

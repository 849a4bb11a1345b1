import type { EventData, MonitorCheckpoint } from '@mlops/contracts';
import { versionKey } from './prediction-batch.js';

/** An episode event read back from MONITOR at start, with its stream sequence (which orders them). */
export type StoredEpisode =
  | {
      readonly seq: number;
      readonly subject: 'performance.degraded' | 'performance.recovered';
      readonly data: EventData<'performance.degraded'>;
    }
  | { readonly seq: number; readonly subject: 'drift.detected'; readonly data: EventData<'drift.detected'> }
  | { readonly seq: number; readonly subject: 'drift.resolved'; readonly data: EventData<'drift.resolved'> };

/** The newest performance event and the newest drift event of each version: the only ones a restart needs. */
export function newestEpisodes(events: Iterable<StoredEpisode>): StoredEpisode[] {
  const newest = new Map<string, StoredEpisode>();
  for (const event of events) {
    const key = `${versionKey(event.data.model, event.data.version)}\u0000${event.subject.split('.')[0]}`;
    const known = newest.get(key);
    if (known === undefined || known.seq < event.seq) newest.set(key, event);
  }
  return [...newest.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * Brings a checkpoint restored from the last window up to an episode event stored after that window: labels degrade
 * or recover a version between windows, a promotion ends a drift episode, a crash can fall between an episode event
 * and its window. An event the checkpoint already reflects changes nothing.
 */
export function foldEpisode(checkpoint: MonitorCheckpoint, event: StoredEpisode): void {
  if (event.subject === 'performance.degraded' || event.subject === 'performance.recovered') {
    const degraded = event.subject === 'performance.degraded';
    const { episode } = event.data;
    const ahead = episode > checkpoint.performance_episodes;
    if (ahead || (episode === checkpoint.performance_episodes && degraded !== checkpoint.degraded)) {
      checkpoint.performance_episodes = episode;
      checkpoint.degraded = degraded;
    }
  } else if (event.subject === 'drift.detected') {
    if (checkpoint.drift_since_window === null && event.data.window >= checkpoint.windows) {
      checkpoint.drift_since_window = event.data.window;
      // Events stored before first_predicted_at existed give the window's close: its own rows are then left out.
      checkpoint.drift_since_at = event.data.first_predicted_at ?? event.data.detected_at;
    }
  } else if (event.subject === 'drift.resolved' && checkpoint.drift_since_window === event.data.detected_window) {
    checkpoint.drift_since_window = null;
    checkpoint.drift_since_at = null;
  }
}

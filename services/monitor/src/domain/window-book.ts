import type { MonitorCheckpoint } from '@mlops/contracts';
import { type PredictionBatch, versionKey } from './prediction-batch.js';

/** Something to settle when the window holding it is reported (the held `prediction.logged` message). */
export interface Settle {
  /** Resolves once the server confirmed the acknowledgement. */
  ack(): Promise<void>;
}

/** Rows of one version gathered until the window closes. */
export interface OpenWindow {
  readonly key: string;
  readonly model: string;
  readonly version: string;
  /** 0, 1, 2, … per version. */
  readonly index: number;
  readonly batches: PredictionBatch[];
  readonly settles: Settle[];
  rows: number;
  readonly openedAtMs: number;
}

/** A window that closed, and why. */
export interface ClosedWindow extends OpenWindow {
  readonly closedBy: 'rows' | 'time';
  readonly closedAtMs: number;
}

/** A version's checkpoint before anything was counted. */
export function freshCheckpoint(): MonitorCheckpoint {
  return { windows: 0, drift_since_window: null, performance_episodes: 0, degraded: false };
}

/**
 * Gathers logged messages into windows per served version: a window closes at the first message that brings it to
 * `rows` rows, or `ms` after it opened. A request already counted (in a reported window whose acknowledgement did
 * not reach the server: `counted`) is skipped if it comes again, so no request is counted twice.
 */
export class WindowBook {
  private readonly open = new Map<string, OpenWindow>();

  constructor(
    private readonly limits: { readonly rows: number; readonly ms: number },
    private readonly checkpoints: Map<string, MonitorCheckpoint>,
    private readonly counted: Set<number>,
  ) {}

  /** Adds a request; returns the window it closed, if any, or 'counted' when it was counted before. */
  offer(batch: PredictionBatch, settle: Settle, nowMs: number): ClosedWindow | 'counted' | undefined {
    const key = versionKey(batch.model, batch.version);
    if (this.counted.delete(batch.sequence)) return 'counted';
    const checkpoint = this.checkpoint(key);
    let window = this.open.get(key);
    if (window === undefined) {
      window = {
        key,
        model: batch.model,
        version: batch.version,
        index: checkpoint.windows,
        batches: [],
        settles: [],
        rows: 0,
        openedAtMs: nowMs,
      };
      this.open.set(key, window);
    }
    window.batches.push(batch);
    window.settles.push(settle);
    window.rows += batch.rows;
    return window.rows >= this.limits.rows ? this.close(window, 'rows', nowMs) : undefined;
  }

  /** Closes every window open for `ms` or longer. */
  expired(nowMs: number): ClosedWindow[] {
    const due = [...this.open.values()].filter((w) => nowMs - w.openedAtMs >= this.limits.ms);
    return due.map((w) => this.close(w, 'time', nowMs));
  }

  /** A copy of every version's checkpoint, for `monitor.window` (where a restart resumes). */
  snapshot(): Record<string, MonitorCheckpoint> {
    return Object.fromEntries([...this.checkpoints].map(([key, c]) => [key, { ...c }]));
  }

  /** The live checkpoint of a version (episodes are kept in it). */
  checkpoint(key: string): MonitorCheckpoint {
    let checkpoint = this.checkpoints.get(key);
    if (checkpoint === undefined) {
      checkpoint = freshCheckpoint();
      this.checkpoints.set(key, checkpoint);
    }
    return checkpoint;
  }

  private close(window: OpenWindow, closedBy: 'rows' | 'time', nowMs: number): ClosedWindow {
    this.open.delete(window.key);
    this.checkpoint(window.key).windows = window.index + 1;
    return { ...window, closedBy, closedAtMs: nowMs };
  }
}

/** Sorted sequences as inclusive ranges: [1, 2, 3, 7] → [[1, 3], [7, 7]]. */
export function sequenceRanges(sequences: readonly number[]): [number, number][] {
  const sorted = [...sequences].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const seq of sorted) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && seq === last[1] + 1) last[1] = seq;
    else if (last === undefined || seq > last[1]) ranges.push([seq, seq]);
  }
  return ranges;
}

/** Every sequence of inclusive ranges. */
export function sequencesOf(ranges: readonly (readonly [number, number])[]): number[] {
  return ranges.flatMap(([first, last]) => Array.from({ length: last - first + 1 }, (_, i) => first + i));
}

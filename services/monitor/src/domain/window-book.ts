import type { MonitorCheckpoint } from '@mlops/contracts';
import { type PredictionBatch, versionKey } from './prediction-batch.js';

/** Something to settle when the window holding it is reported (the held `prediction.logged` message). */
export interface Settle {
  ack(): void;
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
  return { last_seq: 0, windows: 0, drift_since_window: null, performance_episodes: 0, degraded: false };
}

/**
 * Gathers logged requests into windows per served version: a window closes at the first request that brings it to
 * `rows` rows, or `ms` after it opened. Requests at or below a version's checkpoint were counted before a restart and
 * are skipped, so a redelivered request is never counted twice.
 */
export class WindowBook {
  private readonly open = new Map<string, OpenWindow>();

  constructor(
    private readonly limits: { readonly rows: number; readonly ms: number },
    private readonly checkpoints: Map<string, MonitorCheckpoint>,
  ) {}

  /** Adds a request; returns the window it closed, if any, or 'counted' when it was counted before. */
  offer(batch: PredictionBatch, settle: Settle, nowMs: number): ClosedWindow | 'counted' | undefined {
    const key = versionKey(batch.model, batch.version);
    const checkpoint = this.checkpoint(key);
    if (batch.sequence <= checkpoint.last_seq) return 'counted';
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
    const last = window.batches.reduce((max, b) => Math.max(max, b.sequence), 0);
    const checkpoint = this.checkpoint(window.key);
    checkpoint.last_seq = Math.max(checkpoint.last_seq, last);
    checkpoint.windows = window.index + 1;
    return { ...window, closedBy, closedAtMs: nowMs };
  }
}

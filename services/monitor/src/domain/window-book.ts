import type { MonitorCheckpoint } from '@mlops/contracts';
import { type PredictionBatch, versionKey } from './prediction-batch.js';

/** Something to settle when the window holding it is reported (the held `prediction.logged` message). */
export interface Settle {
  /** Resolves once the server confirmed the acknowledgement. */
  ack(): Promise<void>;
}

/** Rows [from, to) of a logged message counted in a window; `settle` only in the window holding its last rows. */
export interface WindowPart {
  readonly batch: PredictionBatch;
  readonly from: number;
  readonly to: number;
  readonly settle: Settle | undefined;
}

/** Rows of one version gathered until the window closes. */
export interface OpenWindow {
  readonly key: string;
  readonly model: string;
  readonly version: string;
  /** 0, 1, 2, … per version. */
  readonly index: number;
  readonly parts: WindowPart[];
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
  return {
    windows: 0,
    drift_since_window: null,
    drift_since_at: null,
    performance_episodes: 0,
    degraded: false,
    splits: [],
  };
}

/** The stream sequences of the messages whose last rows a window holds (those it acknowledges). */
export function finishedSequences(window: OpenWindow): number[] {
  return window.parts.flatMap((p) => (p.settle === undefined ? [] : [p.batch.sequence]));
}

/**
 * Gathers logged messages into windows per served version: a window closes when it holds `rows` rows (a message
 * that does not fit is split at the limit, its other rows opening the next window), or `ms` after it opened. A
 * message is acknowledged with the window holding its last rows. A message already counted (in a reported window
 * whose acknowledgement did not reach the server: `counted`) is skipped if it comes again, and one split by reported
 * windows (the version's checkpoint `splits`, kept until its last rows are reported) has only its uncounted rows
 * taken, so no row is counted twice. Windows close one at a time, each yielded before the next change, so that the
 * checkpoints a window's report carries are exactly those after it.
 */
export class WindowBook {
  private readonly open = new Map<string, OpenWindow>();
  /** Messages whose last rows wait in an open window, with every delivery of each to acknowledge when it is reported. */
  private readonly held = new Map<number, Settle[]>();

  constructor(
    private readonly limits: { readonly rows: number; readonly ms: number },
    private readonly checkpoints: Map<string, MonitorCheckpoint>,
    private readonly counted: Set<number>,
  ) {}

  /**
   * Adds a message, or answers 'counted' when it was counted before (acknowledge it now) or 'held' when it came again
   * while its rows wait in an open window (past the ack wait: that window acknowledges this delivery too). The windows
   * it fills are yielded one by one, each before the rest of the message is taken (report each as it comes); iterate
   * to the end, as the message's last rows are taken only then.
   */
  offer(batch: PredictionBatch, settle: Settle, nowMs: number): Generator<ClosedWindow> | 'counted' | 'held' {
    if (this.counted.delete(batch.sequence)) return 'counted';
    const held = this.held.get(batch.sequence);
    if (held !== undefined) {
      held.push(settle);
      return 'held';
    }
    return this.take(batch, settle, nowMs);
  }

  /** The settle of a message's last rows: acknowledges every delivery of it that came meanwhile. */
  private holding(sequence: number, settle: Settle): Settle {
    const settles = [settle];
    this.held.set(sequence, settles);
    return {
      ack: async () => {
        this.held.delete(sequence);
        await Promise.all(settles.map((s) => s.ack()));
      },
    };
  }

  private *take(batch: PredictionBatch, settle: Settle, nowMs: number): Generator<ClosedWindow> {
    const key = versionKey(batch.model, batch.version);
    const checkpoint = this.checkpoint(key);
    let from = batch.rows - this.uncountedRows(batch);
    do {
      const window = this.windowOf(key, batch, nowMs);
      const to = Math.min(batch.rows, from + Math.max(1, this.limits.rows - window.rows));
      const last = to === batch.rows;
      window.parts.push({ batch, from, to, settle: last ? this.holding(batch.sequence, settle) : undefined });
      window.rows += to - from;
      from = to;
      if (window.rows < this.limits.rows) continue;
      if (from < batch.rows) markSplit(checkpoint, batch.sequence, from);
      yield this.close(window, 'rows', nowMs);
    } while (from < batch.rows);
  }

  /** Rows of the message not counted yet: all of them, unless reported windows hold its first rows. */
  uncountedRows(batch: PredictionBatch): number {
    const splits = this.checkpoints.get(versionKey(batch.model, batch.version))?.splits ?? [];
    const split = splits.find((s) => s.sequence === batch.sequence);
    return split === undefined ? batch.rows : batch.rows - Math.min(split.rows, batch.rows);
  }

  /** Closes every window open for `ms` or longer, one at a time (report each as it comes, as for `offer`). */
  *expired(nowMs: number): Generator<ClosedWindow> {
    const due = [...this.open.values()].filter((w) => nowMs - w.openedAtMs >= this.limits.ms);
    for (const window of due) if (this.open.get(window.key) === window) yield this.close(window, 'time', nowMs);
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

  private windowOf(key: string, batch: PredictionBatch, nowMs: number): OpenWindow {
    let window = this.open.get(key);
    if (window === undefined) {
      window = {
        key,
        model: batch.model,
        version: batch.version,
        index: this.checkpoint(key).windows,
        parts: [],
        rows: 0,
        openedAtMs: nowMs,
      };
      this.open.set(key, window);
    }
    return window;
  }

  /** Closes a window; the split messages whose last rows it holds are split no more (it acks them). */
  private close(window: OpenWindow, closedBy: 'rows' | 'time', nowMs: number): ClosedWindow {
    this.open.delete(window.key);
    const checkpoint = this.checkpoint(window.key);
    checkpoint.windows = window.index + 1;
    const finished = new Set(finishedSequences(window));
    if (checkpoint.splits.some((s) => finished.has(s.sequence))) {
      checkpoint.splits = checkpoint.splits.filter((s) => !finished.has(s.sequence));
    }
    return { ...window, closedBy, closedAtMs: nowMs };
  }
}

/** Split messages a checkpoint remembers at most (one lingers only if its message left the stream unacked). */
const MAX_SPLITS = 1000;

/** Records that reported windows hold the first `rows` rows of message `sequence`. */
function markSplit(checkpoint: MonitorCheckpoint, sequence: number, rows: number): void {
  const others = checkpoint.splits.filter((s) => s.sequence !== sequence).slice(-(MAX_SPLITS - 1));
  checkpoint.splits = [...others, { sequence, rows }];
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

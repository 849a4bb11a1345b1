import { describe, expect, it } from 'vitest';
import type { PredictionBatch } from '../src/domain/prediction-batch.js';
import {
  finishedSequences,
  freshCheckpoint,
  sequenceRanges,
  sequencesOf,
  WindowBook,
} from '../src/domain/window-book.js';

function batch(sequence: number, rows: number, version = '1'): PredictionBatch {
  return {
    model: 'm',
    version,
    requests: [{ requestId: `r${sequence}`, predictedAtMs: 0, rows }],
    rows,
    columns: 2,
    features: new Float64Array(rows * 2),
    rawColumns: false,
    probabilities: new Float64Array(rows),
    labels: new Float64Array(rows),
    sequence,
  };
}

const noop = { ack: async () => undefined };

/** Offers a message and takes every window it closes, with the version's split as it was when each closed. */
function offer(book: WindowBook, message: PredictionBatch) {
  const outcome = book.offer(message, noop, 0);
  if (outcome === 'counted' || outcome === 'held') return outcome;
  const closed = [];
  for (const w of outcome) {
    closed.push({
      index: w.index,
      rows: w.rows,
      closedBy: w.closedBy,
      version: w.version,
      parts: w.parts.map((p) => [p.batch.sequence, p.from, p.to, p.settle !== undefined]),
      finished: finishedSequences(w),
      splits: book.snapshot()[w.key]?.splits,
    });
  }
  return closed;
}

describe('WindowBook', () => {
  it('when a version reaches the row limit, then its window closes at exactly that many rows and the message goes on in the next', () => {
    const book = new WindowBook({ rows: 10, ms: 60_000 }, new Map(), new Set());
    expect(offer(book, batch(1, 4))).toEqual([]);
    expect(offer(book, batch(2, 3, '2'))).toEqual([]);
    expect(offer(book, batch(3, 7))).toEqual([
      {
        index: 0,
        rows: 10,
        closedBy: 'rows',
        version: '1',
        parts: [
          [1, 0, 4, true],
          [3, 0, 6, false],
        ],
        finished: [1],
        splits: [{ sequence: 3, rows: 6 }],
      },
    ]);
    expect(book.snapshot()['m:1']).toMatchObject({ windows: 1, splits: [{ sequence: 3, rows: 6 }] });
    expect(offer(book, batch(4, 9))).toMatchObject([
      {
        index: 1,
        rows: 10,
        parts: [
          [3, 6, 7, true],
          [4, 0, 9, true],
        ],
        finished: [3, 4],
        splits: [],
      },
    ]);
  });

  it('when one message holds several windows of rows, then each closes in turn, remembering how far the message was counted', () => {
    const book = new WindowBook({ rows: 10, ms: 1000 }, new Map(), new Set());
    expect(offer(book, batch(1, 25))).toMatchObject([
      { index: 0, rows: 10, parts: [[1, 0, 10, false]], finished: [], splits: [{ sequence: 1, rows: 10 }] },
      { index: 1, rows: 10, parts: [[1, 10, 20, false]], finished: [], splits: [{ sequence: 1, rows: 20 }] },
    ]);
    const [last] = book.expired(1000);
    expect(last?.parts.map((p) => [p.from, p.to, p.settle !== undefined])).toEqual([[20, 25, true]]);
    expect(book.snapshot()['m:1']).toMatchObject({ windows: 3, splits: [] });
  });

  it('when a message split before a restart comes again, then only its uncounted rows are taken', () => {
    const checkpoints = new Map([['m:1', { ...freshCheckpoint(), windows: 4, splits: [{ sequence: 5, rows: 8 }] }]]);
    const book = new WindowBook({ rows: 10, ms: 1000 }, checkpoints, new Set());
    expect(book.uncountedRows(batch(5, 20))).toBe(12);
    expect(book.uncountedRows(batch(6, 20))).toBe(20);
    expect(offer(book, batch(5, 20))).toMatchObject([
      { index: 4, rows: 10, parts: [[5, 8, 18, false]], splits: [{ sequence: 5, rows: 18 }] },
    ]);
    expect([...book.expired(1000)]).toMatchObject([{ index: 5, rows: 2 }]);
    expect(book.snapshot()['m:1']?.splits).toEqual([]);
  });

  it('when a message comes again while its rows wait in an open window, then it is not counted twice and the window acknowledges both deliveries', async () => {
    const book = new WindowBook({ rows: 10, ms: 60_000 }, new Map(), new Set());
    const acked: string[] = [];
    const delivery = (name: string) => ({ ack: async () => void acked.push(name) });
    const taken = book.offer(batch(7, 12), delivery('first'), 0);
    if (typeof taken === 'string') throw new Error(`not taken: ${taken}`);
    expect([...taken].map((w) => w.rows)).toEqual([10]); // its last 2 rows wait in the next window
    expect(book.offer(batch(7, 12), delivery('again'), 0)).toBe('held');
    const windows = [...book.expired(60_000)];
    expect(windows.map((w) => w.rows)).toEqual([2]);
    await Promise.all(windows.flatMap((w) => w.parts.map((p) => p.settle?.ack())));
    expect(acked).toEqual(['first', 'again']);
  });

  it('when a window is open for the time limit, then it closes by time with the rows it has', () => {
    const book = new WindowBook({ rows: 100, ms: 1000 }, new Map(), new Set());
    offer(book, batch(1, 5));
    expect([...book.expired(999)]).toEqual([]);
    expect([...book.expired(1000)]).toMatchObject([{ rows: 5, closedBy: 'time' }]);
  });

  it('when messages counted in the last reported window come again after a restart, then they are skipped once, and others counted', () => {
    const checkpoints = new Map([['m:1', { ...freshCheckpoint(), windows: 3 }]]);
    const book = new WindowBook({ rows: 12, ms: 1000 }, checkpoints, new Set([6, 7]));
    expect(offer(book, batch(6, 5))).toBe('counted');
    expect(offer(book, batch(7, 5))).toBe('counted');
    expect(offer(book, batch(2, 5))).toEqual([]);
    expect(offer(book, batch(8, 5))).toEqual([]);
    expect(offer(book, batch(6, 5))).toMatchObject([{ index: 3, rows: 12, finished: [2, 8] }]);
  });

  it('when other messages are split before a message split earlier comes back after a restart, then each keeps its own counted rows', () => {
    const checkpoints = new Map([['m:1', { ...freshCheckpoint(), windows: 2, splits: [{ sequence: 5, rows: 8 }] }]]);
    const book = new WindowBook({ rows: 10, ms: 1000 }, checkpoints, new Set());
    expect(offer(book, batch(6, 15))).toMatchObject([
      {
        index: 2,
        parts: [[6, 0, 10, false]],
        splits: [
          { sequence: 5, rows: 8 },
          { sequence: 6, rows: 10 },
        ],
      },
    ]);
    expect(book.uncountedRows(batch(5, 20))).toBe(12);
    expect(offer(book, batch(5, 20))).toMatchObject([
      {
        index: 3,
        parts: [
          [6, 10, 15, true],
          [5, 8, 13, false],
        ],
        splits: [{ sequence: 5, rows: 13 }],
      },
    ]);
    expect([...book.expired(1000)]).toMatchObject([{ index: 4, rows: 7, parts: [{ from: 13, to: 20 }] }]);
    expect(book.snapshot()['m:1']?.splits).toEqual([]);
  });

  it('when windows of two versions expire at once, then the second is closed only after the first was taken', () => {
    const book = new WindowBook({ rows: 10, ms: 1000 }, new Map(), new Set());
    offer(book, batch(1, 15, '1'));
    offer(book, batch(2, 15, '2'));
    const expiring = book.expired(1000);
    const first = expiring.next();
    expect(first.value).toMatchObject({ version: '1', closedBy: 'time' });
    expect(book.snapshot()['m:2']).toMatchObject({ windows: 1, splits: [{ sequence: 2, rows: 10 }] });
    expect(expiring.next().value).toMatchObject({ version: '2', closedBy: 'time' });
    expect(book.snapshot()['m:2']).toMatchObject({ windows: 2, splits: [] });
    expect(expiring.next().done).toBe(true);
  });

  it('sequence ranges round-trip, merging neighbours and ignoring repeats', () => {
    expect(sequenceRanges([7, 1, 2, 3, 3, 9, 8])).toEqual([
      [1, 3],
      [7, 9],
    ]);
    expect(
      sequencesOf([
        [1, 3],
        [7, 7],
      ]),
    ).toEqual([1, 2, 3, 7]);
  });
});

import { describe, expect, it } from 'vitest';
import type { PredictionBatch } from '../src/domain/prediction-batch.js';
import { freshCheckpoint, sequenceRanges, sequencesOf, WindowBook } from '../src/domain/window-book.js';

function batch(sequence: number, rows: number, version = '1'): PredictionBatch {
  return {
    model: 'm',
    version,
    requests: [{ requestId: `r${sequence}`, predictedAtMs: 0, rows }],
    rows,
    columns: 2,
    features: new Float64Array(rows * 2),
    probabilities: new Float64Array(rows),
    labels: new Float64Array(rows),
    sequence,
  };
}

const noop = { ack: async () => undefined };

describe('WindowBook', () => {
  it('when a version reaches the row limit, then its window closes at that request and the next one starts at index 1', () => {
    const book = new WindowBook({ rows: 10, ms: 60_000 }, new Map(), new Set());
    expect(book.offer(batch(1, 4), noop, 0)).toBeUndefined();
    expect(book.offer(batch(2, 3, '2'), noop, 0)).toBeUndefined();
    const closed = book.offer(batch(3, 7), noop, 0);
    expect(closed).toMatchObject({ index: 0, rows: 11, closedBy: 'rows', version: '1' });
    expect(book.snapshot()['m:1']).toMatchObject({ windows: 1 });
    expect(book.offer(batch(4, 10), noop, 0)).toMatchObject({ index: 1 });
  });

  it('when a window is open for the time limit, then it closes by time with the rows it has', () => {
    const book = new WindowBook({ rows: 100, ms: 1000 }, new Map(), new Set());
    book.offer(batch(1, 5), noop, 0);
    expect(book.expired(999)).toEqual([]);
    expect(book.expired(1000)).toMatchObject([{ rows: 5, closedBy: 'time' }]);
  });

  it('when requests counted in the last reported window come again after a restart, then they are skipped once, and others counted', () => {
    const checkpoints = new Map([['m:1', { ...freshCheckpoint(), windows: 3 }]]);
    const book = new WindowBook({ rows: 12, ms: 1000 }, checkpoints, new Set([6, 7]));
    expect(book.offer(batch(6, 5), noop, 0)).toBe('counted');
    expect(book.offer(batch(7, 5), noop, 0)).toBe('counted');
    expect(book.offer(batch(2, 5), noop, 0)).toBeUndefined();
    expect(book.offer(batch(8, 5), noop, 0)).toBeUndefined();
    expect(book.offer(batch(6, 5), noop, 0)).toMatchObject({ index: 3, rows: 15 });
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

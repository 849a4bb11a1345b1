import { describe, expect, it } from 'vitest';
import type { PredictionBatch } from '../src/domain/prediction-batch.js';
import { freshCheckpoint, WindowBook } from '../src/domain/window-book.js';

function batch(sequence: number, rows: number, version = '1'): PredictionBatch {
  return {
    model: 'm',
    version,
    requestId: `r${sequence}`,
    predictedAtMs: 0,
    rows,
    columns: 2,
    features: new Float64Array(rows * 2),
    probabilities: new Float64Array(rows),
    labels: new Float64Array(rows),
    sequence,
  };
}

const noop = { ack() {} };

describe('WindowBook', () => {
  it('when a version reaches the row limit, then its window closes at that request and the next one starts at index 1', () => {
    const book = new WindowBook({ rows: 10, ms: 60_000 }, new Map());
    expect(book.offer(batch(1, 4), noop, 0)).toBeUndefined();
    expect(book.offer(batch(2, 3, '2'), noop, 0)).toBeUndefined();
    const closed = book.offer(batch(3, 7), noop, 0);
    expect(closed).toMatchObject({ index: 0, rows: 11, closedBy: 'rows', version: '1' });
    expect(book.snapshot()['m:1']).toMatchObject({ last_seq: 3, windows: 1 });
    expect(book.offer(batch(4, 10), noop, 0)).toMatchObject({ index: 1 });
  });

  it('when a window is open for the time limit, then it closes by time with the rows it has', () => {
    const book = new WindowBook({ rows: 100, ms: 1000 }, new Map());
    book.offer(batch(1, 5), noop, 0);
    expect(book.expired(999)).toEqual([]);
    expect(book.expired(1000)).toMatchObject([{ rows: 5, closedBy: 'time' }]);
  });

  it('when requests at or below a checkpoint come again after a restart, then they are not counted twice', () => {
    const checkpoints = new Map([['m:1', { ...freshCheckpoint(), last_seq: 7, windows: 3 }]]);
    const book = new WindowBook({ rows: 2, ms: 1000 }, checkpoints);
    expect(book.offer(batch(6, 5), noop, 0)).toBe('counted');
    expect(book.offer(batch(7, 5), noop, 0)).toBe('counted');
    expect(book.offer(batch(8, 5), noop, 0)).toMatchObject({ index: 3, rows: 5 });
  });
});

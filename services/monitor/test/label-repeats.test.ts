import { describe, expect, it } from 'vitest';
import { recordLabels } from '../src/domain/label-intake.js';
import { LabelJoin } from '../src/domain/label-join.js';

const NOW = Date.parse('2026-12-05T01:00:00.000Z');

/** A join holding request `r` of model m version 1 with three rows, and what recordLabels needs around it. */
function intake() {
  const join = new LabelJoin({ horizonMs: 3600_000, maxRows: 100 });
  join.addBatch(
    {
      model: 'm',
      version: '1',
      requests: [{ requestId: 'r', predictedAtMs: NOW, rows: 3 }],
      probabilities: Float64Array.from([0.9, 0.2, 0.6]),
      labels: Float64Array.from([1, 0, 1]),
    },
    NOW,
  );
  const deps = {
    join,
    classesOf: async () => ({ classes: [0, 1] as const }),
    announce: { labelRecorded: async () => undefined },
    metrics: { labels: () => undefined },
    now: () => NOW,
  };
  return { join, deps };
}

describe('a label repeated for a prediction that has one', () => {
  it('when the repeat names another class, then it is counted as conflicting beside the duplicates, and the first label stands', async () => {
    const { join, deps } = intake();
    await recordLabels([{ prediction_id: 'r-0', label: 1 }], deps);
    const again = await recordLabels(
      [
        { prediction_id: 'r-0', label: 1 },
        { prediction_id: 'r-0', label: 0 },
      ],
      deps,
    );
    expect(again.reply).toEqual({
      status: 'accepted',
      accepted: 0,
      duplicates: 2,
      conflicting: 1,
      refused: 0,
      errors: [],
    });
    expect(join.labelOf('r-0')).toBe(1);
  });

  it('when one batch labels a row twice with other classes, then the first is stored and the second is conflicting', async () => {
    const { join, deps } = intake();
    const batch = await recordLabels(
      [
        { prediction_id: 'r-1', label: 0 },
        { prediction_id: 'r-1', label: 1 },
        { prediction_id: 'r-2', label: 1 },
        { prediction_id: 'r-2', label: 1 },
      ],
      deps,
    );
    expect(batch.reply).toMatchObject({ accepted: 2, duplicates: 2, conflicting: 1 });
    expect([join.labelOf('r-1'), join.labelOf('r-2'), join.labelOf('r-0')]).toEqual([0, 1, undefined]);
  });
});

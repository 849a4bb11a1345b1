import { describe, expect, it } from 'vitest';
import { outcomeMark, tallyCounts, tallyOfMarks } from '../src/domain/trial-tally.js';

describe('the shared tally of trial outcomes', () => {
  it('when the first outcome of a tuning is marked, then the tally has every other trial pending', () => {
    const tally = tallyOfMarks(4, [outcomeMark(4, 2, true)]);
    expect(tally).toEqual({ trial_count: 4, outcomes: '..c.', closed: false });
    expect(tallyCounts(tally)).toEqual({ completed: 1, failed: 0, complete: false, closed: false });
  });

  it('when every trial is marked, then the tally is complete with its counts', () => {
    const marks = [outcomeMark(3, 0, true), outcomeMark(3, 2, false)];
    expect(tallyCounts(tallyOfMarks(3, marks)).complete).toBe(false);
    marks.push(outcomeMark(3, 1, true));
    expect(tallyCounts(tallyOfMarks(3, marks))).toEqual({ completed: 2, failed: 1, complete: true, closed: false });
  });

  it('when a trial is marked failed and completed, then it counts once, as completed, whatever the order', () => {
    const both = [outcomeMark(2, 1, false), outcomeMark(2, 1, true), outcomeMark(2, 0, false)];
    expect(tallyOfMarks(2, both).outcomes).toBe('fc');
    expect(tallyOfMarks(2, [...both].reverse()).outcomes).toBe('fc');
  });

  it('when a mark is not an outcome of the tuning, then it is ignored', () => {
    expect(tallyOfMarks(2, ['5-c', 'junk', '1-x', '0-c']).outcomes).toBe('c.');
  });

  it('when the tuning is marked closed, then the tally and its counts say so, its outcomes unchanged', () => {
    const tally = tallyOfMarks(2, ['0-c', 'closed', '1-f']);
    expect(tally).toEqual({ trial_count: 2, outcomes: 'cf', closed: true });
    expect(tallyCounts(tally)).toEqual({ completed: 1, failed: 1, complete: true, closed: true });
  });

  it('when an index is outside the tuning, then marking it is refused', () => {
    expect(() => outcomeMark(2, 2, true)).toThrow(RangeError);
    expect(() => outcomeMark(2, -1, true)).toThrow(RangeError);
  });
});

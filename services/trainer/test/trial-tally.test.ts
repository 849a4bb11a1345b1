import { describe, expect, it } from 'vitest';
import { tallyCounts, withOutcome } from '../src/domain/trial-tally.js';

describe('the shared tally of trial outcomes', () => {
  it('when the first outcome of a tuning comes, then the tally starts with every other trial pending', () => {
    const tally = withOutcome(undefined, 4, 2, true);
    expect(tally).toEqual({ trial_count: 4, outcomes: '..c.' });
    expect(tallyCounts(tally)).toEqual({ completed: 1, failed: 0, complete: false });
  });

  it('when every trial is accounted for, then the tally is complete with its counts', () => {
    let tally = withOutcome(undefined, 3, 0, true);
    tally = withOutcome(tally, 3, 2, false);
    expect(tallyCounts(tally).complete).toBe(false);
    tally = withOutcome(tally, 3, 1, true);
    expect(tallyCounts(tally)).toEqual({ completed: 2, failed: 1, complete: true });
  });

  it('when a redelivered trial reports again, then its first outcome is kept', () => {
    const first = withOutcome(undefined, 2, 1, true);
    expect(withOutcome(first, 2, 1, false)).toEqual(first);
  });

  it('when an index is outside the tuning, then it is refused', () => {
    expect(() => withOutcome(undefined, 2, 2, true)).toThrow(RangeError);
  });
});

/**
 * Which trials of a tuning are accounted for, shared by every replica: one character per trial, `.` pending, `c`
 * completed, `f` failed.
 */
export interface TrialTally {
  readonly trial_count: number;
  readonly outcomes: string;
  /** Whether a replica published the tuning's tuning.completed (marked after the publish). */
  readonly closed: boolean;
}

/** A tally's counts, whether every trial is accounted for, and whether tuning.completed is out already. */
export interface TallyCounts {
  readonly completed: number;
  readonly failed: number;
  readonly complete: boolean;
  readonly closed: boolean;
}

/** An outcome mark (`<index>-c` or `<index>-f`), as opposed to the `closed` mark. */
export const OUTCOME_MARK = /^(\d+)-([cf])$/;

/** The mark a replica adds to its tuning's set once it published tuning.completed: later copies do not close it again. */
export const CLOSED_MARK = 'closed';

/** The mark a replica adds to its tuning's shared set once trial `index` ended: `<index>-c` or `<index>-f`. */
export function outcomeMark(trialCount: number, index: number, ok: boolean): string {
  if (!Number.isInteger(index) || index < 0 || index >= trialCount)
    throw new RangeError(`trial ${index} of ${trialCount}`);
  return `${index}-${ok ? 'c' : 'f'}`;
}

/**
 * The tally that a tuning's marks add up to. A trial marked both ways (it failed for good, then a redelivery that was
 * already under way completed it) counts as completed; marks that are not outcomes of this tuning are ignored.
 */
export function tallyOfMarks(trialCount: number, marks: Iterable<string>): TrialTally {
  const outcomes = Array.from({ length: trialCount }, () => '.');
  let closed = false;
  for (const mark of marks) {
    if (mark === CLOSED_MARK) closed = true;
    const found = OUTCOME_MARK.exec(mark);
    if (found === null) continue;
    const index = Number(found[1]);
    if (index >= trialCount || outcomes[index] === 'c') continue;
    outcomes[index] = found[2] ?? '.';
  }
  return { trial_count: trialCount, outcomes: outcomes.join(''), closed };
}

/** How many trials completed and failed, and whether none is pending. */
export function tallyCounts(tally: TrialTally): TallyCounts {
  let completed = 0;
  let failed = 0;
  for (const outcome of tally.outcomes) {
    if (outcome === 'c') completed++;
    else if (outcome === 'f') failed++;
  }
  return { completed, failed, complete: completed + failed === tally.trial_count, closed: tally.closed };
}

/**
 * A trial that failed for good and is already accounted for as failed: its message is dead-lettered now, not retried.
 * (Thrown only after the outcome was published and marked: if that fails, the plain error is retried instead.)
 */
export class TrialGivenUpError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

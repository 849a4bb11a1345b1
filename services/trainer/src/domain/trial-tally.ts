/**
 * Which trials of a tuning are accounted for, shared by every replica: one character per trial, `.` pending, `c`
 * completed, `f` failed. The first outcome of a trial is kept (a redelivered trial that ran again changes nothing).
 */
export interface TrialTally {
  readonly trial_count: number;
  readonly outcomes: string;
}

/** A tally's counts, and whether every trial is accounted for. */
export interface TallyCounts {
  readonly completed: number;
  readonly failed: number;
  readonly complete: boolean;
}

/** The tally with trial `index` recorded as completed (`ok`) or failed, unless it was recorded before. */
export function withOutcome(tally: TrialTally | undefined, trialCount: number, index: number, ok: boolean): TrialTally {
  const outcomes = tally?.outcomes ?? '.'.repeat(trialCount);
  if (index < 0 || index >= outcomes.length) throw new RangeError(`trial ${index} of ${outcomes.length}`);
  if (outcomes[index] !== '.') return tally ?? { trial_count: trialCount, outcomes };
  const next = `${outcomes.slice(0, index)}${ok ? 'c' : 'f'}${outcomes.slice(index + 1)}`;
  return { trial_count: outcomes.length, outcomes: next };
}

/** How many trials completed and failed, and whether none is pending. */
export function tallyCounts(tally: TrialTally): TallyCounts {
  let completed = 0;
  let failed = 0;
  for (const outcome of tally.outcomes) {
    if (outcome === 'c') completed++;
    else if (outcome === 'f') failed++;
  }
  return { completed, failed, complete: completed + failed === tally.trial_count };
}

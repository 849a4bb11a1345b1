/**
 * Thrown for a `run.completed` that overtook its `tuning.started` (the data set and input example are not on the
 * parent yet): the bus retries it later, so the trial ends up recorded exactly as in order.
 */
export class TuningNotStartedError extends Error {
  /** An ordering wait, not a failure: the bus logs it in a line (see @mlops/bus consumeEvents). */
  readonly retryLater = true;
  constructor(readonly tuningId: string) {
    super(`tuning ${tuningId}: tuning.started is not recorded yet; the trial waits for it`);
    this.name = 'TuningNotStartedError';
  }
}

/** Thrown while some trials of a completed tuning are not in MLflow yet: the bus retries the event later. */
export class TrialsPendingError extends Error {
  /** An ordering wait, not a failure: the bus logs it in a line (see @mlops/bus consumeEvents). */
  readonly retryLater = true;
  constructor(
    readonly tuningId: string,
    readonly recorded: number,
    readonly expected: number,
  ) {
    super(`tuning ${tuningId}: ${recorded} of ${expected} trials recorded so far; waiting for the rest`);
    this.name = 'TrialsPendingError';
  }
}

/**
 * Thrown for a `run.completed` that overtook its `tuning.started` (the data set and input example are not on the
 * parent yet): the bus retries it later, so the trial ends up recorded exactly as in order.
 */
export class TuningNotStartedError extends Error {
  constructor(readonly tuningId: string) {
    super(`tuning ${tuningId}: tuning.started is not recorded yet; the trial waits for it`);
    this.name = 'TuningNotStartedError';
  }
}

/**
 * Thrown when a top-k trial's model, logged only once its tuning completes, cannot be: its `run.completed` is no
 * longer in the stream (purged or aged out), so its weights are gone. Nothing is registered from a partial top k.
 */
export class TrialEventGoneError extends Error {
  constructor(
    readonly trialId: string,
    readonly streamSequence: number | undefined,
  ) {
    super(
      `trial ${trialId}: its run.completed (stream sequence ${streamSequence ?? 'not recorded'}) is no longer stored, so its model cannot be logged`,
    );
    this.name = 'TrialEventGoneError';
  }
}

/** Thrown while some trials of a completed tuning are not in MLflow yet: the bus retries the event later. */
export class TrialsPendingError extends Error {
  constructor(
    readonly tuningId: string,
    readonly recorded: number,
    readonly expected: number,
  ) {
    super(`tuning ${tuningId}: ${recorded} of ${expected} trials recorded so far; waiting for the rest`);
    this.name = 'TrialsPendingError';
  }
}

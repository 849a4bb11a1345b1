/** A problem with what the user typed or gave us: printed as one line, never with a stack trace. */
export class UsageError extends Error {
  /** Process exit code: 2 for bad usage, 1 for bad input data. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 2, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
    this.exitCode = exitCode;
  }
}

/** A request sent at least once without an answer in time: it may have been acted on, so a retry must say so. */
export class UnansweredRequestError extends UsageError {
  constructor(message: string, exitCode = 1, options?: ErrorOptions) {
    super(message, exitCode, options);
    this.name = 'UnansweredRequestError';
  }
}

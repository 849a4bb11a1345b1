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

/** True for a request that got no answer in time (nats.js TimeoutError), as opposed to no responders or a refusal. */
export function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || /^timeout$/i.test(err.message));
}

/** True for a failure caused by a request left without an answer in time (nats.js TimeoutError), not a lost link. */
export function timedOut(err: unknown): boolean {
  return isTimeout(err instanceof Error ? err.cause : undefined);
}

/**
 * A read that `service` did not answer on `subject` within `seconds`, said as such with where to look (mlops status),
 * rather than as nats.js's bare "timeout"; any other failure is handed back as it is.
 */
export function unansweredRead(err: unknown, service: string, subject: string, seconds: number): unknown {
  if (!timedOut(err)) return err;
  const message = `the ${service} did not answer ${subject} within ${seconds} s: see mlops status (is the ${service} running, or busy?)`;
  return new UnansweredRequestError(message, 1, { cause: err });
}

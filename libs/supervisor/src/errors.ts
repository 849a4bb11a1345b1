import type { ExitStatus } from './exit.js';

/** Base of every error the supervisor throws, so callers can tell them from their own. */
export class SupervisorError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The process ended (or could not be spawned) before its readiness probe answered; `output` is what it printed. */
export class ProcessExitedError extends SupervisorError {
  constructor(
    readonly processName: string,
    readonly status: ExitStatus,
    readonly output: string,
  ) {
    const how =
      status.error === undefined
        ? `exited early (code ${status.code}, signal ${status.signal})`
        : `could not be started (${status.error.message})`;
    super(`${processName} ${how}:\n${output}`, { cause: status.error });
  }
}

/** The readiness probe did not answer within the budget; the process has been stopped. */
export class NotReadyError extends SupervisorError {
  constructor(
    readonly processName: string,
    readonly timeoutMs: number,
    readonly output: string,
    options?: ErrorOptions,
  ) {
    super(`${processName} not ready after ${timeoutMs} ms:\n${output}`, options);
  }
}

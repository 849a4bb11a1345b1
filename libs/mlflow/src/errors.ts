/** Base class of every error `@mlops/mlflow` throws. */
export class MlflowError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A non-retried answer (4xx but 429, 501, …), a 500 that persisted through every attempt, or a retried one as `cause`. */
export class MlflowApiError extends MlflowError {
  /** HTTP status of the answer. */
  readonly status: number;
  /** MLflow's `error_code` (e.g. `RESOURCE_DOES_NOT_EXIST`), or `HTTP_<status>` when the body carried none. */
  readonly errorCode: string;
  /** The server's own message (text bodies and FastAPI `detail` included), shortened to 1000 characters. */
  readonly serverMessage: string;
  readonly method: string;
  /** Request path without origin and query string. */
  readonly path: string;
  constructor(init: { status: number; errorCode: string; serverMessage: string; method: string; path: string }) {
    super(`MLflow ${init.method} ${init.path} failed with ${init.status} ${init.errorCode}: ${init.serverMessage}`);
    this.status = init.status;
    this.errorCode = init.errorCode;
    this.serverMessage = init.serverMessage;
    this.method = init.method;
    this.path = init.path;
  }
}

/** Thrown when the server stays unreachable or busy (connection errors, 429, 502, 503, 504) after every attempt. */
export class MlflowUnavailableError extends MlflowError {
  readonly method: string;
  readonly path: string;
  readonly attempts: number;
  constructor(init: { method: string; path: string; attempts: number }, options: ErrorOptions) {
    super(
      `MLflow ${init.method} ${init.path} unavailable after ${init.attempts} attempts: ${describe(options.cause)}`,
      options,
    );
    this.method = init.method;
    this.path = init.path;
    this.attempts = init.attempts;
  }
}

/**
 * Thrown when a non-idempotent call (a create without idempotency key) may have reached the server but its answer was
 * lost (reset, timeout, 502, 504): it is not sent again, as that could create a second resource. Look it up, or give
 * the create a key. A kind of {@link MlflowUnavailableError}, so callers that wait out outages wait this out too.
 */
export class MlflowOutcomeUnknownError extends MlflowUnavailableError {
  constructor(init: { method: string; path: string; attempts: number }, options: ErrorOptions) {
    super(init, options);
    this.message = `MLflow ${init.method} ${init.path} may or may not have been applied (answer lost at attempt ${
      init.attempts
    }; not re-sent without an idempotency key): ${describe(options.cause)}`;
  }
}

/** Thrown before any request when an argument cannot be sent as given (e.g. `..` in an artifact path, a bad model URI). */
export class MlflowInvalidArgumentError extends MlflowError {
  readonly argument: string;
  constructor(argument: string, message: string) {
    super(`invalid ${argument}: ${message}`);
    this.argument = argument;
  }
}

/** Thrown when a model version ends in FAILED_REGISTRATION or is still pending when the wait runs out. */
export class MlflowRegistrationError extends MlflowError {
  readonly modelName: string;
  readonly version: string;
  readonly status: string;
  constructor(init: { modelName: string; version: string; status: string; detail: string }) {
    super(`model version ${init.modelName}/${init.version} is ${init.status}: ${init.detail}`);
    this.modelName = init.modelName;
    this.version = init.version;
    this.status = init.status;
  }
}

const ALREADY_EXISTS_CODES: ReadonlySet<string> = new Set(['RESOURCE_ALREADY_EXISTS', 'ALREADY_EXISTS']);
const NOT_FOUND_CODES: ReadonlySet<string> = new Set(['RESOURCE_DOES_NOT_EXIST', 'NOT_FOUND']);

/** True when a create failed because the resource exists (MLflow answers 400 RESOURCE_ALREADY_EXISTS or 409 ALREADY_EXISTS). */
export function isAlreadyExists(err: unknown): err is MlflowApiError {
  return err instanceof MlflowApiError && ALREADY_EXISTS_CODES.has(err.errorCode);
}

/** True when the addressed resource does not exist (404 RESOURCE_DOES_NOT_EXIST / NOT_FOUND; not ENDPOINT_NOT_FOUND). */
export function isNotFound(err: unknown): err is MlflowApiError {
  return err instanceof MlflowApiError && NOT_FOUND_CODES.has(err.errorCode);
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  return String(cause);
}

/** Base class of every error `@mlops/ml` throws; `code` is stable for programs, `message` is for people. */
export class MlError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Thrown when an argument is out of range or an option combination is not supported; names the value and what is allowed. */
export class InvalidParameterError extends MlError {
  readonly parameter: string;
  readonly value: unknown;
  readonly allowed: string;
  constructor(parameter: string, value: unknown, allowed: string, options?: ErrorOptions) {
    super('INVALID_PARAMETER', `invalid ${parameter}=${formatValue(value)}: ${allowed}`, options);
    this.parameter = parameter;
    this.value = value;
    this.allowed = allowed;
  }
}

/** Thrown when the data cannot be used as given: wrong shape, non-finite values, a single class, too few samples. */
export class InvalidDataError extends MlError {
  constructor(message: string, options?: ErrorOptions) {
    super('INVALID_DATA', message, options);
  }
}

/** Thrown when a model is used for prediction before `fit`. */
export class NotFittedError extends MlError {
  constructor(what: string) {
    super('NOT_FITTED', `${what} is not fitted yet: call fit() first`);
  }
}

/** Thrown when a solver's iterates stop being finite (scikit-learn raises the same for saga). */
export class NumericalError extends MlError {
  constructor(message: string) {
    super('NUMERICAL', message);
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

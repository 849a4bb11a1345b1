/** A part of the local stack is missing or could not be started; the message says what to do. */
export class LocalStackError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalStackError';
  }
}

/**
 * A directory the stack needs cannot be made or used: a file in its way, no permission, a file system that takes no
 * new directories. `reason` says why in words ("it" is `path` itself), `path` is the directory asked for, absolute.
 */
export class UnusableDirError extends LocalStackError {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`cannot use ${path} as a directory: ${reason}`, options);
    this.name = 'UnusableDirError';
    this.path = path;
    this.reason = reason;
  }
}

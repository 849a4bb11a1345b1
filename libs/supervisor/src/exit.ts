/** How one run of a supervised process ended. */
export interface ExitStatus {
  /** The exit code, or null when a signal ended it (or it never started). */
  readonly code: number | null;
  /** The signal that ended it, if any. */
  readonly signal: NodeJS.Signals | null;
  /** True when stop(), kill() or restart() asked for the end; false for a crash or a normal exit on its own. */
  readonly requested: boolean;
  /** The spawn error when the process could not be started (e.g. ENOENT). */
  readonly error?: Error;
}

/** Called once per run when it has ended; a restart-on-crash policy looks at `requested`. */
export type ExitListener = (status: ExitStatus) => void;

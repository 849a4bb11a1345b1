/** Where a command writes; injected so tests can run commands in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Directory that relative paths are resolved against. */
  readonly cwd: string;
  /** The environment handed on to the processes `mlops up` starts. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Whether stderr is a terminal (`process.stderr.isTTY`): only there is a progress bar redrawn in place with `\r`;
   * elsewhere (a log file, a pipe, CI) progress is written as plain lines. Absent: not a terminal.
   */
  readonly stderrIsTTY?: boolean | undefined;
}

import { createWriteStream, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';

/** Which pipe of the child a line came from. */
export type OutputStream = 'stdout' | 'stderr';

/** Called with every whole line the process prints (stdout and stderr interleaved as they arrive). */
export type LineListener = (line: string, stream: OutputStream) => void;

/** The last `keep` lines of a process (across its runs), its line listeners, and an optional append-only log file. */
export class OutputLog {
  private readonly recent: string[] = [];
  private readonly listeners = new Set<LineListener>();
  private file: WriteStream | undefined;
  /** Lines seen so far, so a run can tell its own lines from those of earlier runs. */
  private total = 0;

  constructor(
    private readonly keep: number,
    private readonly logFile: string | undefined,
  ) {}

  /** Records one line: memory, log file, listeners. */
  add(line: string, stream: OutputStream): void {
    this.total += 1;
    this.recent.push(line);
    if (this.recent.length >= this.keep * 2) this.recent.splice(0, this.recent.length - this.keep);
    this.file?.write(`${line}\n`);
    for (const listener of this.listeners) listener(line, stream);
  }

  /** The retained lines, oldest first; with `since` (a {@link count}) only the lines recorded after it. */
  lines(since = 0): string[] {
    const retained = this.recent.slice(-this.keep);
    const newer = this.total - since;
    return newer >= retained.length ? retained : retained.slice(retained.length - Math.max(0, newer));
  }

  /** How many lines have been recorded so far. */
  count(): number {
    return this.total;
  }

  /** Adds a line listener; the returned function removes it. */
  onLine(listener: LineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Opens the log file for appending (each run of the process appends to the same file). */
  openFile(): void {
    if (this.logFile === undefined || this.file !== undefined) return;
    // A process's log is its owner's alone (it may hold rows and errors of customer data).
    const file = createWriteStream(this.logFile, { flags: 'a', mode: 0o600 });
    file.on('error', (err) => {
      this.file = undefined;
      this.add(`[supervisor] cannot write ${this.logFile}: ${err.message}`, 'stderr');
    });
    this.file = file;
  }

  /** Ends the log file once a run is over; resolves when its lines are on disk. */
  async closeFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    if (file === undefined) return;
    file.end();
    await finished(file).catch(() => undefined);
  }
}

/** Lines longer than this are cut into pieces, so a process that never prints a newline cannot grow memory. */
const MAX_LINE = 64 * 1024;

/** Turns text chunks into whole lines: a chunk may end inside a line, whose rest arrives with the next chunk. */
export class LineSplitter {
  private partial = '';

  constructor(private readonly emit: (line: string) => void) {}

  /** Feeds one decoded chunk; emits every line it completes (without the `\n` or `\r\n`). */
  push(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) this.emit(withoutCr(part));
    while (this.partial.length > MAX_LINE) {
      this.emit(this.partial.slice(0, MAX_LINE));
      this.partial = this.partial.slice(MAX_LINE);
    }
  }

  /** At the end of the stream: emits an unterminated last line. */
  flush(): void {
    if (this.partial !== '') this.emit(withoutCr(this.partial));
    this.partial = '';
  }
}

function withoutCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

import { Writable } from 'node:stream';

/** A destination for a JSON-lines logger (pino) that keeps each line parsed, for tests that read what was logged. */
export function jsonLineSink(): { readonly lines: Record<string, unknown>[]; readonly destination: Writable } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).trim().split('\n')) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination };
}

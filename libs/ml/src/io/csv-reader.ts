import { CsvError, parse } from 'csv-parse/sync';
import { InvalidDataError } from '../errors.js';

/** The separators a CSV may have between its cells: comma (RFC 4180), semicolon, tab or pipe. */
export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const;
/** One of {@link CSV_DELIMITERS}. */
export type CsvDelimiter = (typeof CSV_DELIMITERS)[number];

/** One CSV record: its cells as written (unquoted, not trimmed) and the line it starts on, counted from 1. */
export interface CsvRecord {
  readonly cells: string[];
  readonly line: number;
}

/** Thrown for CSV that breaks RFC 4180's quoting; `line` is where the bad cell starts, `column` counts cells from 1. */
export class CsvSyntaxError extends InvalidDataError {
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  constructor(line: number, column: number, reason: string, options?: ErrorOptions) {
    super(`line ${line}, column ${column}: ${reason}`, options);
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A CSV file's bytes as text, refusing bytes that are not UTF-8 (pandas.read_csv's default encoding) instead of
 * replacing them, so a Latin-1 column name or category is not silently turned into another one.
 */
export function decodeCsvBytes(bytes: Uint8Array, source: string): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const lineStart = bytes.lastIndexOf(0x0a, at - 1) + 1;
    const line = bytes.subarray(0, at).filter((b) => b === 0x0a).length + 1;
    const context = STRICT_UTF8.decode(bytes.subarray(lineStart, at)).slice(-20);
    const byte = (bytes[at] ?? 0).toString(16).padStart(2, '0');
    throw new InvalidDataError(
      `${source}:${line}: byte 0x${byte} after "${context}" is not UTF-8: save the file as UTF-8`,
    );
  }
}

/** The offset of the first byte that does not belong to a well-formed UTF-8 sequence (the Unicode standard's table). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const length =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    const [low, high] =
      b === 0xe0
        ? [0xa0, 0xbf]
        : b === 0xed
          ? [0x80, 0x9f]
          : b === 0xf0
            ? [0x90, 0xbf]
            : b === 0xf4
              ? [0x80, 0x8f]
              : [0x80, 0xbf];
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      const [lo, hi] = k === 1 ? [low, high] : [0x80, 0xbf];
      if (c === undefined || c < lo || c > hi) return i;
    }
    i += length;
  }
  return bytes.length;
}

const BOM = '\uFEFF';
const PARSE_OPTIONS = { relax_column_count: true, record_delimiter: ['\r\n', '\n'] };
const DOUBLE_IT = 'a quote inside a cell must be doubled and the whole cell quoted, as in "say ""hi"""';
const REASONS: Readonly<Record<string, string>> = {
  CSV_QUOTE_NOT_CLOSED: `the quoted cell that starts here is never closed (${DOUBLE_IT})`,
  CSV_INVALID_CLOSING_QUOTE: `the quoted cell that starts here has text after its closing quote (${DOUBLE_IT})`,
  INVALID_OPENING_QUOTE: `a quote inside an unquoted cell (${DOUBLE_IT})`,
};

/**
 * Reads CSV text (RFC 4180, built on csv-parse): quoted cells may hold commas, doubled quotes and line breaks; records
 * end in CRLF or LF (a lone CR is an ordinary character); a leading BOM and one final line break are dropped; an empty
 * line is a record of one empty cell. Widths are not checked (callers name their own columns). Quote-free text takes
 * a fast path that yields the same records. Cells are separated by `delimiter` (pandas' `sep`).
 */
export function readCsv(text: string, delimiter: CsvDelimiter = ','): CsvRecord[] {
  const body = text.startsWith(BOM) ? text.slice(BOM.length) : text;
  return body.includes('"') ? readQuoted(body, delimiter) : readPlain(body, delimiter);
}

/** {@link readCsv} for tables: a syntax error becomes an InvalidDataError naming `source`, the line and the column. */
export function readCsvRecords(text: string, source: string, delimiter: CsvDelimiter = ','): CsvRecord[] {
  try {
    return readCsv(text, delimiter);
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    throw new InvalidDataError(`${source}:${err.line}: column ${err.column}: ${err.reason}`, { cause: err });
  }
}

/** True for a record that is only whitespace (a blank line), which numeric tables skip. */
export function isBlankRecord(record: CsvRecord): boolean {
  return record.cells.length === 1 && (record.cells[0] as string).trim() === '';
}

/** The fast path for text without a quote: split on line breaks, then on the delimiter. */
export function readPlain(text: string, delimiter: CsvDelimiter = ','): CsvRecord[] {
  const lines = text.split('\n');
  const endsWithBreak = lines[lines.length - 1] === '';
  if (endsWithBreak) lines.pop();
  const broken = endsWithBreak ? lines.length : lines.length - 1;
  return lines.map((line, i) => ({
    cells: (i < broken && line.endsWith('\r') ? line.slice(0, -1) : line).split(delimiter),
    line: i + 1,
  }));
}

/** The full path: csv-parse, with each record's first line counted from the line breaks inside its cells. */
export function readQuoted(text: string, delimiter: CsvDelimiter = ','): CsvRecord[] {
  let rows: string[][];
  try {
    rows = parse(text, { ...PARSE_OPTIONS, delimiter });
  } catch (err) {
    throw err instanceof CsvError ? locate(text, err) : err;
  }
  let line = 1;
  return rows.map((cells) => {
    const record = { cells, line };
    for (const cell of cells) line += countBreaks(cell);
    line += 1;
    return record;
  });
}

function locate(text: string, err: CsvError): CsvSyntaxError {
  const field = typeof err.index === 'number' ? err.index : 0;
  const bytes = typeof err.bytes === 'number' ? err.bytes : 0;
  // csv-parse's `bytes` is where the bad cell's record starts, or the delimiter (one byte) before the bad cell.
  const start = charOffset(text, field === 0 ? bytes : bytes + 1);
  const line = countBreaks(text.slice(0, start)) + 1;
  return new CsvSyntaxError(line, field + 1, REASONS[err.code] ?? `malformed CSV (${err.message})`, { cause: err });
}

/** The UTF-16 offset of a UTF-8 byte offset (csv-parse counts bytes of the text's UTF-8 form). */
function charOffset(text: string, bytes: number): number {
  let seen = 0;
  let i = 0;
  while (i < text.length && seen < bytes) {
    const code = text.codePointAt(i) as number;
    seen += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    i += code < 0x10000 ? 1 : 2;
  }
  return i;
}

function countBreaks(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

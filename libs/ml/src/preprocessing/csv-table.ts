import { InvalidDataError } from '../errors.js';
import { type CsvFormat, type DecimalMark, withDecimalPoint } from '../io/csv-format.js';
import { type CsvRecord, isBlankRecord, readCsvRecords } from '../io/csv-reader.js';
import { MISSING_CELLS, type RawColumn, type RawTable } from './raw-table.js';

/** A decimal number; pandas' C parser skips ASCII whitespace around it (isspace_ascii), not Unicode spaces (NBSP). */
const DECIMAL = /^[ \t\n\v\f\r]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[ \t\n\v\f\r]*$/;
/** The spellings of infinity pandas.read_csv reads as a float (case-insensitive; " inf" is text there). */
const INFINITY = /^[+-]?(inf|infinity)$/i;

/** True for a cell pandas.read_csv reads as a decimal number, spaces around it allowed (makes a column numeric). */
export function isDecimalCell(cell: string, decimal: DecimalMark = '.'): boolean {
  const pointed = withDecimalPoint(cell, decimal);
  return pointed !== undefined && DECIMAL.test(pointed);
}

/** Limits on a table read from CSV, and how it is written. */
export interface RawTableOptions extends CsvFormat {
  /** Where the text came from, for error messages. @defaultValue 'csv' */
  readonly source?: string;
  /** Refuse a header with more columns than this. @defaultValue 256 */
  readonly maxColumns?: number;
  /**
   * Columns read as text whatever they hold (a model's text column whose cells here all look like numbers, such as
   * store codes "0101": read as numbers they would lose their zeros).
   */
  readonly textColumns?: readonly string[];
}

/**
 * Reads CSV text with a header row into typed raw columns, as pandas.read_csv types them: a column whose present
 * cells are all decimal numbers holds numbers (NaN where missing), any other holds text (null where missing).
 * Cells are not trimmed, as pandas' default `skipinitialspace=False` has them: text keeps its spaces (" yes" is not
 * "yes"), a number may have ASCII spaces around it (" 1.5" is 1.5), and only a cell that is exactly one of pandas'
 * default `na_values` is missing (" NA" and a blank " " are text, so a " " among numbers makes the column text).
 * Names in the header are trimmed. Errors name the source, the line and the column.
 */
export function readRawTable(text: string, options: RawTableOptions = {}): RawTable {
  const source = options.source ?? 'csv';
  const maxColumns = options.maxColumns ?? 256;
  const decimal = options.decimal ?? '.';
  const [first, ...records] = readCsvRecords(text, source, options.delimiter).filter((r) => !isBlankRecord(r));
  const header = checkHeader(first, source, maxColumns);
  if (records.length === 0) throw new InvalidDataError(`${source}: no data rows after the header`);
  const cells: string[][] = header.map(() => new Array<string>(records.length));
  records.forEach(({ cells: row, line }, i) => {
    if (row.length !== header.length) {
      throw new InvalidDataError(`${source}:${line}: ${row.length} cells, the header has ${header.length}`);
    }
    row.forEach((cell, j) => {
      cells[j]![i] = cell;
    });
  });
  const lines = records.map((r) => r.line);
  const asText = new Set(options.textColumns ?? []);
  const columns = header.map((name, j) =>
    asText.has(name) ? textColumn(name, cells[j]!) : typedColumn(name, cells[j]!, { lines, source, decimal }),
  );
  return { rows: records.length, columns };
}

function textColumn(name: string, cells: readonly string[]): RawColumn {
  return { name, kind: 'text', values: cells.map((c) => (MISSING_CELLS.has(c) ? null : c)) };
}

/** Where a column's cells came from, for errors, and how their numbers are written. */
interface CellOrigin {
  readonly lines: readonly number[];
  readonly source: string;
  readonly decimal: DecimalMark;
}

function typedColumn(name: string, cells: string[], { lines, source, decimal }: CellOrigin): RawColumn {
  const numeric = cells.every((cell) => MISSING_CELLS.has(cell) || isDecimalCell(cell, decimal) || INFINITY.test(cell));
  const infinite = numeric ? cells.findIndex((cell) => INFINITY.test(cell)) : -1;
  if (infinite >= 0) {
    throw new InvalidDataError(
      `${source}:${lines[infinite]}: column "${name}" holds "${cells[infinite]}": an infinite value is not a usable number`,
    );
  }
  if (!numeric) return textColumn(name, cells);
  const values = Float64Array.from(cells, (c) =>
    MISSING_CELLS.has(c) ? Number.NaN : Number(withDecimalPoint(c, decimal)),
  );
  const overflow = values.findIndex((v) => v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY);
  if (overflow >= 0) {
    throw new InvalidDataError(
      `${source}:${lines[overflow]}: column "${name}" holds "${cells[overflow]}", too large for a float64`,
    );
  }
  return { name, kind: 'number', values };
}

function checkHeader(first: CsvRecord | undefined, source: string, maxColumns: number): string[] {
  const header = (first?.cells ?? []).map((cell) => cell.trim());
  if (header.length === 0 || (header.length === 1 && header[0] === '')) {
    throw new InvalidDataError(`${source}: empty file, expected a header row`);
  }
  if (header.length > maxColumns) {
    throw new InvalidDataError(`${source}: ${header.length} columns, at most ${maxColumns}`);
  }
  const seen = new Set<string>();
  header.forEach((name, j) => {
    if (name === '') throw new InvalidDataError(`${source}: column ${j + 1} of the header has no name`);
    if (seen.has(name)) throw new InvalidDataError(`${source}: column "${name}" is named twice in the header`);
    seen.add(name);
  });
  return header;
}

import { readFile, writeFile } from 'node:fs/promises';
import {
  CSV_DELIMITERS,
  type CsvDelimiter,
  type CsvFormat,
  type CsvRecord,
  DECIMAL_MARKS,
  type DecimalMark,
  type DenseMatrix,
  decodeCsvBytes,
  formatDatasetCsv,
  isBlankRecord,
  type NumericTable,
  parseNumericCsv,
  type RawTable,
  readCsvRecords,
  readRawTable,
} from '@mlops/ml';
import { UsageError } from './errors.js';

/** Help lines of `--delimiter` and `--decimal`, for the usage of the commands that read a CSV. */
export const CSV_FORMAT_USAGE =
  "[--delimiter ','|';'|tab|'|'] (between cells; ',' by default) [--decimal .|,] (the numbers' decimal mark)";

/**
 * The CSV format `--delimiter` (`tab` or `\t` for a tab) and `--decimal` name, checked: an unknown value, or a
 * decimal comma in a comma-separated file, is a usage error.
 */
export function csvFormatOption(values: { delimiter?: unknown; decimal?: unknown }): CsvFormat {
  const given = values.delimiter === 'tab' || values.delimiter === '\\t' ? '\t' : values.delimiter;
  const delimiter = given === undefined ? undefined : oneOf(given, CSV_DELIMITERS, 'delimiter');
  const decimal = values.decimal === undefined ? undefined : oneOf(values.decimal, DECIMAL_MARKS, 'decimal');
  if (decimal === ',' && (delimiter ?? ',') === ',')
    throw new UsageError("--decimal , needs another delimiter between cells, e.g. --delimiter ';'");
  return { ...(delimiter === undefined ? {} : { delimiter }), ...(decimal === undefined ? {} : { decimal }) };
}

function oneOf<T extends CsvDelimiter | DecimalMark>(value: unknown, allowed: readonly T[], flag: string): T {
  if (allowed.includes(value as T)) return value as T;
  const shown = allowed.map((v) => (v === '\t' ? 'tab' : `'${v}'`)).join(', ');
  throw new UsageError(`--${flag} is one of ${shown}, got ${JSON.stringify(value)}`);
}

/** Reads a numeric CSV with a header row; errors name the file, line and column. */
export async function readNumericCsv(path: string, target: string, format: CsvFormat = {}): Promise<NumericTable> {
  return parseNumericCsv(await readText(path), target, path, format);
}

/** Reads a CSV as raw typed columns (numbers, text, missing cells), for table models. */
export async function readRawCsv(
  path: string,
  textColumns: readonly string[] = [],
  format: CsvFormat = {},
): Promise<RawTable> {
  return (await readRawCsvCells(path, textColumns, format)).table;
}

/** A CSV's typed columns, and a cell's text as the file writes it (`NaN`, `NA`: cells the columns hold as missing). */
export interface RawCsv {
  readonly table: RawTable;
  /** The text of data row `row` (from 0) in the column named `column`. */
  readonly cell: (row: number, column: string) => string | undefined;
}

/** Reads a CSV as {@link readRawCsv} does, keeping its text to tell what a missing cell held. */
export async function readRawCsvCells(
  path: string,
  textColumns: readonly string[] = [],
  format: CsvFormat = {},
): Promise<RawCsv> {
  const text = await readText(path);
  const table = readRawTable(text, { source: path, textColumns, ...format });
  let records: CsvRecord[] | undefined;
  const cell = (row: number, column: string) => {
    // Read again only when asked (a refusal): the same records readRawTable typed.
    records ??= readCsvRecords(text, path, format.delimiter).filter((r) => !isBlankRecord(r));
    const j = records[0]?.cells.findIndex((name) => name.trim() === column) ?? -1;
    return j < 0 ? undefined : records[row + 1]?.cells[j];
  };
  return { table, cell };
}

/** Writes X and y as CSV with the header `x0..x{d-1},y`. */
export async function writeDatasetCsv(path: string, X: DenseMatrix, y: ArrayLike<number>): Promise<void> {
  await writeOutput(path, formatDatasetCsv(X, y));
}

/** Writes a file the user named; a missing folder, a directory or no permission is one line (exit 1), no stack. */
export async function writeOutput(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reasons: Record<string, string> = {
      ENOENT: 'its folder does not exist',
      EISDIR: 'is a directory',
      EACCES: 'permission denied',
      EROFS: 'read-only file system',
      ENOSPC: 'no space left on the device',
    };
    throw new UsageError(`${path}: cannot write (${reasons[code ?? ''] ?? String(code ?? err)})`, 1, { cause: err });
  }
}

/** The one-line error (exit 1) for a file the user named that cannot be read, `path` as it should be shown. */
export function cannotRead(path: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file',
    EISDIR: 'is a directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
  };
  const reason = reasons[code ?? ''] ?? String(code ?? err);
  return new UsageError(`${path}: cannot read (${reason})`, 1, { cause: err });
}

/** A CSV file's text, UTF-8 only (a byte that is not is named); read at `path`, named `shown` in errors. */
export async function readText(path: string, shown = path): Promise<string> {
  return decodeCsvBytes(await readBytes(path, shown), shown);
}

async function readBytes(path: string, shown: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw cannotRead(shown, err);
  }
}

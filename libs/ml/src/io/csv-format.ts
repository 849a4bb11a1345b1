import type { CsvDelimiter } from './csv-reader.js';

/** How a CSV writes its cells (pandas' `sep` and `decimal`); RFC 4180's comma and a decimal point when not said. */
export interface CsvFormat {
  /** The separator between cells. @defaultValue ',' */
  readonly delimiter?: CsvDelimiter | undefined;
  /** The decimal mark of the numbers: with ",", "1,5" is 1.5 and "1.5" is text. @defaultValue '.' */
  readonly decimal?: DecimalMark | undefined;
}

/** The decimal marks a CSV's numbers may use: a point, or a comma (pandas' `decimal=","`). */
export const DECIMAL_MARKS = ['.', ','] as const;
/** One of {@link DECIMAL_MARKS}. */
export type DecimalMark = (typeof DECIMAL_MARKS)[number];

/**
 * A cell written with `decimal` as it reads with a point, for Number() and the decimal test: unchanged for "."; for
 * "," its comma becomes a point ("1,5" → "1.5"), and a cell holding a point is no number there ("1.5" → undefined),
 * as pandas reads it.
 */
export function withDecimalPoint(cell: string, decimal: DecimalMark): string | undefined {
  if (decimal === '.') return cell;
  return cell.includes('.') ? undefined : cell.replace(',', '.');
}

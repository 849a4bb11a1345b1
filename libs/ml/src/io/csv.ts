import { InvalidDataError } from '../errors.js';
import type { DenseMatrix } from '../matrix.js';
import { type CsvFormat, type DecimalMark, withDecimalPoint } from './csv-format.js';
import { type CsvRecord, isBlankRecord, readCsvRecords } from './csv-reader.js';

/** A numeric table parsed from CSV text: feature matrix, target column and the names of both. */
export interface NumericTable {
  readonly featureNames: string[];
  readonly targetName: string;
  readonly X: DenseMatrix;
  readonly y: Float64Array;
}

/**
 * Parses CSV text with a header row where every cell is a finite number (pure: the caller reads the file).
 * Errors name the source, the line and the column, e.g. `data.csv:3: column "b" holds "oops", not a finite number`.
 */
export function parseNumericCsv(text: string, target: string, source = 'csv', format: CsvFormat = {}): NumericTable {
  const decimal = format.decimal ?? '.';
  const [first, ...rows] = readCsvRecords(text, source, format.delimiter).filter((r) => !isBlankRecord(r));
  const { header, targetIndex } = readHeader(first, target, source);
  if (rows.length === 0) throw new InvalidDataError(`${source}: no data rows after the header`);
  const d = header.length - 1;
  const data = new Float64Array(rows.length * d);
  const y = new Float64Array(rows.length);
  rows.forEach(({ cells, line }, i) => {
    if (cells.length !== header.length) {
      throw new InvalidDataError(`${source}:${line}: ${cells.length} cells, the header has ${header.length}`);
    }
    let k = 0;
    cells.forEach((cell, j) => {
      const text = cell.trim();
      const value = cellNumber(text, decimal);
      if (!Number.isFinite(value)) {
        const mark = decimal === ',' ? ' with a decimal comma' : '';
        throw new InvalidDataError(
          `${source}:${line}: column "${header[j]}" holds "${text}", not a finite number${mark}`,
        );
      }
      if (j === targetIndex) y[i] = value;
      else data[i * d + k++] = value;
    });
  });
  const featureNames = header.filter((_, j) => j !== targetIndex);
  return { featureNames, targetName: target, X: { rows: rows.length, cols: d, data }, y };
}

/** Formats X and y as CSV with the header `x0..x{d-1},y`; numbers in shortest round-trip form. */
export function formatDatasetCsv(X: DenseMatrix, y: ArrayLike<number>, featureNames?: readonly string[]): string {
  const names = featureNames ?? Array.from({ length: X.cols }, (_, j) => `x${j}`);
  const lines = [[...names, 'y'].join(',')];
  for (let i = 0; i < X.rows; i++) {
    const row = Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols));
    lines.push(`${row.join(',')},${y[i]}`);
  }
  return `${lines.join('\n')}\n`;
}

function readHeader(first: CsvRecord | undefined, target: string, source: string) {
  const header = (first?.cells ?? []).map((cell) => cell.trim());
  if (header.length === 0 || header[0] === '') {
    throw new InvalidDataError(`${source}: empty file, expected a header row`);
  }
  const targetIndex = header.indexOf(target);
  if (targetIndex < 0) {
    throw new InvalidDataError(`${source}: no column named "${target}" (columns: ${header.join(', ')})`);
  }
  if (header.length < 2) throw new InvalidDataError(`${source}: needs at least one feature column besides "${target}"`);
  return { header, targetIndex };
}

/** A trimmed cell's number written with `decimal`; NaN for an empty cell or one that is no number. */
function cellNumber(cell: string, decimal: DecimalMark): number {
  const pointed = withDecimalPoint(cell, decimal);
  return cell === '' || pointed === undefined ? Number.NaN : Number(pointed);
}

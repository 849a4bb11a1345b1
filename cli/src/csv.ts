import { readFile, writeFile } from 'node:fs/promises';
import {
  type DenseMatrix,
  decodeCsvBytes,
  formatDatasetCsv,
  type NumericTable,
  parseNumericCsv,
  type RawTable,
  readRawTable,
} from '@mlops/ml';
import { UsageError } from './errors.js';

/** Reads a numeric CSV with a header row; errors name the file, line and column. */
export async function readNumericCsv(path: string, target: string): Promise<NumericTable> {
  return parseNumericCsv(await readText(path), target, path);
}

/** Reads a CSV as raw typed columns (numbers, text, missing cells), for table models. */
export async function readRawCsv(path: string): Promise<RawTable> {
  return readRawTable(await readText(path), { source: path });
}

/** Writes X and y as CSV with the header `x0..x{d-1},y`. */
export async function writeDatasetCsv(path: string, X: DenseMatrix, y: ArrayLike<number>): Promise<void> {
  await writeFile(path, formatDatasetCsv(X, y));
}

async function readText(path: string): Promise<string> {
  return decodeCsvBytes(await readBytes(path), path);
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code ?? err);
    throw new UsageError(`${path}: cannot read (${reason})`, 1, { cause: err });
  }
}

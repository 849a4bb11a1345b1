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
export async function readRawCsv(path: string, textColumns: readonly string[] = []): Promise<RawTable> {
  return readRawTable(await readText(path), { source: path, textColumns });
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
  const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code ?? err);
  return new UsageError(`${path}: cannot read (${reason})`, 1, { cause: err });
}

async function readText(path: string): Promise<string> {
  return decodeCsvBytes(await readBytes(path), path);
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw cannotRead(path, err);
  }
}

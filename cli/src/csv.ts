import { readFile, writeFile } from 'node:fs/promises';
import type { DenseMatrix } from '@mlops/ml';
import { UsageError } from './errors.js';

/** A numeric table read from CSV: feature matrix, target column and the names of both. */
export interface NumericTable {
  readonly featureNames: string[];
  readonly targetName: string;
  readonly X: DenseMatrix;
  readonly y: Float64Array;
}

/** Reads a CSV with a header row; every cell must be a finite number. Errors name the file, line and column. */
export async function readNumericCsv(path: string, target: string): Promise<NumericTable> {
  const text = await readText(path);
  const lines = text.split(/\r?\n/);
  const header = splitCells(lines[0] ?? '');
  if (header.length === 0 || header[0] === '') throw new UsageError(`${path}: empty file, expected a header row`, 1);
  const targetIndex = header.indexOf(target);
  if (targetIndex < 0) {
    throw new UsageError(`${path}: no column named "${target}" (columns: ${header.join(', ')})`, 1);
  }
  const featureNames = header.filter((_, j) => j !== targetIndex);
  const rows = lines.slice(1).filter((line) => line.trim() !== '');
  if (rows.length === 0) throw new UsageError(`${path}: no data rows after the header`, 1);
  const d = featureNames.length;
  const data = new Float64Array(rows.length * d);
  const y = new Float64Array(rows.length);
  rows.forEach((line, i) => {
    const cells = splitCells(line);
    if (cells.length !== header.length) {
      throw new UsageError(`${path}:${i + 2}: ${cells.length} cells, the header has ${header.length}`, 1);
    }
    let k = 0;
    cells.forEach((cell, j) => {
      const value = parseNumber(cell, path, i + 2, header[j]!);
      if (j === targetIndex) y[i] = value;
      else data[i * d + k++] = value;
    });
  });
  return { featureNames, targetName: target, X: { rows: rows.length, cols: d, data }, y };
}

/** Writes X and y as CSV with the header `x0..x{d-1},y`; numbers in shortest round-trip form. */
export async function writeDatasetCsv(path: string, X: DenseMatrix, y: ArrayLike<number>): Promise<void> {
  const header = [...Array.from({ length: X.cols }, (_, j) => `x${j}`), 'y'].join(',');
  const lines = [header];
  for (let i = 0; i < X.rows; i++) {
    const row = Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols));
    lines.push(`${row.join(',')},${y[i]}`);
  }
  await writeFile(path, `${lines.join('\n')}\n`);
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code ?? err);
    throw new UsageError(`${path}: cannot read (${reason})`, 1, { cause: err });
  }
}

function splitCells(line: string): string[] {
  return line.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
}

function parseNumber(cell: string, path: string, line: number, column: string): number {
  const value = cell === '' ? Number.NaN : Number(cell);
  if (!Number.isFinite(value)) {
    throw new UsageError(`${path}:${line}: column "${column}" holds "${cell}", not a finite number`, 1);
  }
  return value;
}

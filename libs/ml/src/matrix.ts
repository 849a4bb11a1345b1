import { InvalidDataError } from './errors.js';

/** A dense row-major matrix of float64: row i, column j is `data[i * cols + j]`. The layout every hot loop uses. */
export interface DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** Wraps a row-major buffer as a matrix after checking its length. */
export function denseMatrix(data: Float64Array, rows: number, cols: number): DenseMatrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new InvalidDataError(`matrix shape must be non-negative integers, got ${rows}x${cols}`);
  }
  if (data.length !== rows * cols) {
    throw new InvalidDataError(`matrix buffer has ${data.length} values, ${rows}x${cols} needs ${rows * cols}`);
  }
  return { rows, cols, data };
}

/** Copies nested arrays (one inner array per row) into a dense matrix; rows must all have the same width. */
export function fromRows(rows: readonly (readonly number[])[]): DenseMatrix {
  const n = rows.length;
  const d = rows[0]?.length ?? 0;
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    if (row.length !== d) throw new InvalidDataError(`row ${i} has ${row.length} values, expected ${d}`);
    data.set(row, i * d);
  }
  return { rows: n, cols: d, data };
}

/** Copies a matrix back to nested arrays, for JSON output. */
export function toRows(matrix: DenseMatrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < matrix.rows; i++) {
    out.push(Array.from(matrix.data.subarray(i * matrix.cols, (i + 1) * matrix.cols)));
  }
  return out;
}

/** Gathers the given rows (in the given order) into a new matrix: how splits materialise train and test sets. */
export function takeRows(matrix: DenseMatrix, indices: ArrayLike<number>): DenseMatrix {
  const { cols } = matrix;
  const out = new Float64Array(indices.length * cols);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    out.set(matrix.data.subarray(i * cols, (i + 1) * cols), k * cols);
  }
  return { rows: indices.length, cols, data: out };
}

/** Gathers the given entries of a vector, in order. */
export function takeValues(values: Float64Array, indices: ArrayLike<number>): Float64Array {
  const out = new Float64Array(indices.length);
  for (let k = 0; k < indices.length; k++) out[k] = values[indices[k]!]!;
  return out;
}

import { InvalidDataError } from '../errors.js';
import { type Category, categoryAt, compareCategories, type RawColumn } from './raw-table.js';

/** A binary target encoded as scikit-learn's LabelEncoder does, with the rows that had no label left out. */
export interface EncodedTarget {
  /** The two classes in scikit-learn's order; the second is the positive class. */
  readonly classes: readonly [Exclude<Category, null>, Exclude<Category, null>];
  /** 0 or 1 per kept row: the index of its class. */
  readonly y: Float64Array;
  /** The rows that have a label, ascending: the rows a tuning uses. */
  readonly rows: Uint32Array;
  /** How many rows were left out for a missing label. */
  readonly missing: number;
}

/**
 * Encodes a target column (numbers or text): classes sorted as np.unique sorts them, rows with a missing label left
 * out and counted. Refuses anything but exactly two classes among the labelled rows, naming the column.
 */
export function encodeBinaryTarget(column: RawColumn): EncodedTarget {
  const rows: number[] = [];
  const seen = new Set<Exclude<Category, null>>();
  for (let i = 0; i < column.values.length; i++) {
    const label = categoryAt(column, i);
    if (label === null) continue;
    rows.push(i);
    seen.add(label);
  }
  const missing = column.values.length - rows.length;
  const dropped = missing > 0 ? ` (after leaving out ${missing} rows without a label)` : '';
  const classes = [...seen].sort(compareCategories);
  if (classes.length < 2) {
    const only = classes.length === 0 ? 'no label at all' : `a single class, ${JSON.stringify(classes[0])}`;
    throw new InvalidDataError(`target "${column.name}" holds ${only}${dropped}: a classifier needs two classes`);
  }
  if (classes.length > 2) {
    const shown = classes.slice(0, 5).map((c) => JSON.stringify(c));
    throw new InvalidDataError(
      `target "${column.name}" holds ${classes.length} classes (${shown.join(', ')}${classes.length > 5 ? ', …' : ''}): only binary targets are supported`,
    );
  }
  const positive = classes[1]!;
  const y = Float64Array.from(rows, (i) => (categoryAt(column, i) === positive ? 1 : 0));
  return { classes: [classes[0]!, positive], y, rows: Uint32Array.from(rows), missing };
}

import { InvalidDataError } from '../errors.js';

/** A sorted Float64Array copy of finite values; names the sample in the error when a value is NaN or infinite. */
export function sortedCopy(values: ArrayLike<number>, what: string): Float64Array {
  const copy = Float64Array.from(values);
  assertFinite(copy, what);
  return copy.sort();
}

/** Throws InvalidDataError when any value is NaN or ±Infinity. */
export function assertFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) throw new InvalidDataError(`${what} has a non-finite value at ${i}`);
  }
}

/** True when the values never decrease. */
export function isSortedAscending(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i - 1]! > values[i]!) return false;
  return true;
}

/**
 * Exact decimal → double conversion for the digits of a JSON number, without making a string: the value is
 * `(head × 10^tailDigits + tail) × 10^power`, with `head` the first nine significant digits and `tail` the (at most
 * nine) after them, both integers below 10^9. Gives the correctly rounded double (what `Number()` gives), or NaN when
 * it cannot be sure, and then the caller asks `Number()`.
 *
 * - Up to 15 digits and |power| ≤ 22: Clinger's fast path, one correctly rounded operation on exact operands.
 * - 16 to 18 digits and |power| ≤ 22: the value in double-double arithmetic (error-free products and sums, error
 *   below 2^-90 of the value), rounded to the nearest double; NaN when the value lies within a generous 2^-80 of a
 *   rounding boundary (a midpoint between two doubles, or a power of two), which random inputs hit with odds of
 *   about 2^-27.
 */
export function decimalToDouble(head: number, tail: number, tailDigits: number, power: number): number {
  if (power < -22 || power > 22) return Number.NaN;
  const p = POWERS_OF_TEN[power < 0 ? -power : power] as number;
  const scale = POWERS_OF_TEN[tailDigits] as number;
  if (tailDigits <= 6) {
    const mantissa = head * scale + tail; // below 10^15: exact
    return power < 0 ? mantissa / p : mantissa * p;
  }
  // The mantissa exactly, as whole + low (low: an integer below 2^11).
  const product = head * scale;
  const whole = product + tail;
  const low = twoProductError(head, scale, product) + (tail - (whole - product));
  // Times or divided by p, as high + rest, with an error below 2^-90 of the value.
  let high: number;
  let rest: number;
  if (power >= 0) {
    high = whole * p;
    rest = twoProductError(whole, p, high) + low * p;
  } else {
    high = whole / p;
    const back = high * p;
    rest = (whole - back - twoProductError(high, p, back) + low) / p; // whole - back is exact (Sterbenz)
  }
  const sure = high + rest;
  rest -= sure - high; // Fast2Sum: sure + rest = high + rest exactly
  return roundsToHigh(sure, rest) ? sure : Number.NaN;
}

/** Significant digits `head` holds; `tail` holds as many more. */
export const DIGITS_PER_PART = 9;

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** True when every value within 2^-80 of high + rest rounds to `high` (a normal double, not a power of two). */
function roundsToHigh(high: number, rest: number): boolean {
  const half = halfUlp(high);
  return half > 0 && Math.abs(rest) + Math.abs(high) * SLACK < half;
}

/** A far larger bound than the arithmetic's error, so a "sure" answer is sure. */
const SLACK = 2 ** -80;

const BITS = new Float64Array(1);
const WORDS = new Uint32Array(BITS.buffer);
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LOW_WORD = 1 - HIGH_WORD;

/** Half the distance to the next double of a normal, non-power-of-two `x`; 0 otherwise (no sure rounding). */
function halfUlp(x: number): number {
  BITS[0] = x;
  const high = WORDS[HIGH_WORD] as number;
  const exponent = (high >>> 20) & 0x7ff;
  const powerOfTwo = (high & 0xfffff) === 0 && WORDS[LOW_WORD] === 0;
  if (exponent <= 53 || exponent === 0x7ff || powerOfTwo) return 0;
  WORDS[HIGH_WORD] = (exponent - 53) << 20; // 2^(e - 53): half of 2^(e - 52), the spacing at x
  WORDS[LOW_WORD] = 0;
  return BITS[0] as number;
}

/** The error of `product` = fl(a × b): a × b = product + error exactly (Dekker, with Veltkamp's splits). */
function twoProductError(a: number, b: number, product: number): number {
  const ca = SPLITTER * a;
  const aHigh = ca - (ca - a);
  const aLow = a - aHigh;
  const cb = SPLITTER * b;
  const bHigh = cb - (cb - b);
  const bLow = b - bHigh;
  return aHigh * bHigh - product + aHigh * bLow + aLow * bHigh + aLow * bLow;
}

/** 2^27 + 1: splits a double into two halves of 26 bits each. */
const SPLITTER = 134217729;

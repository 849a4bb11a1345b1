import type { DoubleDouble } from '../drift/double-double.js';
import { dd, ddAdd, ddDiv, ddLdexp, ddMul, ddSub, ddToNumber } from '../drift/double-double.js';

/** ln 2 as a double-double. */
const LN2: DoubleDouble = { hi: Math.LN2, lo: 2.3190468138462996e-17 };
const TAYLOR_TERMS = 27; // |r| ≤ ln2/2: r^28/28! < 1e-40

/** e^x to double-double accuracy (~1e-30 relative): x = k·ln2 + r, Taylor series of e^r, times 2^k. */
function ddExp(x: DoubleDouble): DoubleDouble {
  const k = Math.round(x.hi / LN2.hi);
  const r = ddSub(x, ddMul(dd(k), LN2));
  let sum = dd(1);
  for (let n = TAYLOR_TERMS; n >= 1; n--) sum = ddAdd(dd(1), ddDiv(ddMul(r, sum), dd(n)));
  return ddLdexp(sum, k);
}

/**
 * e^x rounded to the nearest double (barring exact values within ~1e-30 of a midpoint): glibc's `exp`, which numpy
 * calls, is correctly rounded in all but ~0.07 % of arguments; V8's `Math.exp` misses the last bit far more often.
 * For normal results only (|x| < 708).
 */
export function roundedExp(x: number): number {
  return ddToNumber(ddExp(dd(x)));
}

/** ln x rounded to the nearest double: `Math.log` refined by one Newton step y + x·e^(−y) − 1 in double-double. */
export function roundedLog(x: number): number {
  const y = Math.log(x);
  const correction = ddSub(ddMul(dd(x), ddExp(dd(-y))), dd(1));
  return ddToNumber(ddAdd(dd(y), correction));
}

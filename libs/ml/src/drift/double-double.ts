/**
 * Double-double arithmetic (a value as an unevaluated sum hi + lo of two doubles, about 32 significant digits), after
 * Dekker (1971) and the QD library of Hida, Li and Bailey: enough to sum the Smirnov series to full double accuracy.
 */

/** hi + lo with |lo| ≤ ulp(hi)/2. */
export interface DoubleDouble {
  readonly hi: number;
  readonly lo: number;
}

const SPLITTER = 134217729; // 2^27 + 1

/** The double x as a double-double. */
export function dd(x: number): DoubleDouble {
  return { hi: x, lo: 0 };
}

function quickTwoSum(a: number, b: number): DoubleDouble {
  const s = a + b;
  return { hi: s, lo: b - (s - a) };
}

function twoSum(a: number, b: number): DoubleDouble {
  const s = a + b;
  const bb = s - a;
  return { hi: s, lo: a - (s - bb) + (b - bb) };
}

function twoProd(a: number, b: number): DoubleDouble {
  const p = a * b;
  const ta = SPLITTER * a;
  const ah = ta - (ta - a);
  const al = a - ah;
  const tb = SPLITTER * b;
  const bh = tb - (tb - b);
  const bl = b - bh;
  return { hi: p, lo: ah * bh - p + ah * bl + al * bh + al * bl };
}

/** a + b. */
export function ddAdd(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const s = twoSum(a.hi, b.hi);
  const t = twoSum(a.lo, b.lo);
  const u = quickTwoSum(s.hi, s.lo + t.hi);
  return quickTwoSum(u.hi, u.lo + t.lo);
}

/** a − b. */
export function ddSub(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  return ddAdd(a, { hi: -b.hi, lo: -b.lo });
}

/** a · b. */
export function ddMul(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const p = twoProd(a.hi, b.hi);
  return quickTwoSum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

/** a / b (three quotient terms). */
export function ddDiv(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const q1 = a.hi / b.hi;
  let r = ddSub(a, ddMul(dd(q1), b));
  const q2 = r.hi / b.hi;
  r = ddSub(r, ddMul(dd(q2), b));
  const q3 = r.hi / b.hi;
  return ddAdd(quickTwoSum(q1, q2), dd(q3));
}

/** The largest integer ≤ a. */
export function ddFloor(a: DoubleDouble): DoubleDouble {
  const hi = Math.floor(a.hi);
  return hi === a.hi ? quickTwoSum(hi, Math.floor(a.lo)) : dd(hi);
}

/** a rounded to the nearest double. */
export function ddToNumber(a: DoubleDouble): number {
  return a.hi + a.lo;
}

/** a · 2^e, both parts scaled. */
export function ddLdexp(a: DoubleDouble, e: number): DoubleDouble {
  return { hi: ldexp(a.hi, e), lo: ldexp(a.lo, e) };
}

/** [m, e] with a = m · 2^e and |m.hi| in [0.5, 1) (m = a, e = 0 for zero). */
export function ddFrexp(a: DoubleDouble): [DoubleDouble, number] {
  const e = frexpExponent(a.hi);
  return [ddLdexp(a, -e), e];
}

/** a^m for an integer m ≥ 0: pow of the high part corrected by (1 + lo/hi)^m. */
export function ddPow(a: DoubleDouble, m: number): DoubleDouble {
  if (m === 0) return dd(1);
  if (a.hi === 0) return dd(0);
  const power = a.hi ** m;
  const r = a.lo / a.hi;
  let adjust = m * r;
  if (Math.abs(adjust) > 1e-8) {
    adjust = Math.abs(adjust) < 1e-4 ? adjust + m * r * (((m - 1) / 2) * r) : Math.expm1(m * Math.log1p(r));
  }
  return ddAdd(dd(power), dd(power * adjust));
}

/** The exponent e of frexp(x): x = m · 2^e with |m| in [0.5, 1); 0 for zero. */
export function frexpExponent(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return 0;
  let e = Math.floor(Math.log2(Math.abs(x))) + 1;
  let m = Math.abs(ldexp(x, -e));
  while (m < 0.5) {
    m *= 2;
    e--;
  }
  while (m >= 1) {
    m /= 2;
    e++;
  }
  return e;
}

/** x · 2^e without overflowing the power of two on the way. */
export function ldexp(x: number, e: number): number {
  let value = x;
  let rest = e;
  while (rest > 1000) {
    value *= 2 ** 1000;
    rest -= 1000;
  }
  while (rest < -1000) {
    value *= 2 ** -1000;
    rest += 1000;
  }
  return value * 2 ** rest;
}

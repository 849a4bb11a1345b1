import {
  type DoubleDouble,
  dd,
  ddAdd,
  ddDiv,
  ddFloor,
  ddFrexp,
  ddLdexp,
  ddMul,
  ddPow,
  ddSub,
  ddToNumber,
} from './double-double.js';

/** exp() of anything below this is 0 in double precision (cephes MINLOG). */
const MIN_LOG = -708.3964185322641;
/** Beyond this n scipy approximates the one-sided distribution instead of summing n terms. */
const MAX_SUMMED_N = 1_000_000;

/**
 * The one-sided Smirnov survival function P(D⁺ₙ ≥ x) (`scipy.special.smirnov(n, x)`), by the Birnbaum–Tingey sum
 * x · Σ_{v=0}^{⌊n(1−x)⌋} C(n, v) (x + v/n)^(v−1) (1 − x − v/n)^(n−v) summed in double-double with mantissa/exponent
 * scaling, the lower-sum branch scipy's `_smirnov` takes for 1/n < x < 1 − 1/n outside the tiny-x corner (the only
 * arguments the two-sided Kolmogorov distribution passes it). Terms stop once the rest cannot change the sum.
 */
export function smirnovSf(n: number, x: number): number {
  if (n === 1) return 1 - x;
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  if (-2 * n * x * x < MIN_LOG) return 0;
  if (n > MAX_SUMMED_N) return largeNApproximation(n, x);
  const nx = ddMul(dd(n), dd(x));
  const nxFloor = ddFloor(nx);
  const alpha = ddSub(nx, nxFloor).hi;
  const floorNx = ddToNumber(nxFloor) + (alpha === 1 ? 1 : 0);
  // The last term is v = ⌊n(1 − x)⌋, or one less when n(1 − x) is an integer (that term is zero).
  const lastTerm = n - floorNx - 1;
  return Math.min(Math.max(ddToNumber(ddMul(dd(x), lowerSum(n, x, lastTerm))), 0), 1);
}

function lowerSum(n: number, x: number, lastTerm: number): DoubleDouble {
  const terms = lastTerm + 1;
  let sum = ddDiv(ddPow(ddSub(dd(1), dd(x)), n), dd(x));
  let binomial = { mantissa: dd(1), exponent: 0 };
  binomial = nextBinomial(binomial, n, 0);
  for (let v = 1; v < terms; v++) {
    const term = birnbaumTingeyTerm(n, x, v, binomial);
    const value = ddToNumber(term);
    if (Number.isFinite(value) && value !== 0) sum = ddAdd(sum, term);
    if (value !== 0) {
      if (4 * (terms - v) * Math.abs(value) < Number.EPSILON * ddToNumber(sum) && v !== terms - 1) break;
    } else if (v > Math.floor(n / 2)) {
      break;
    }
    binomial = nextBinomial(binomial, n, v);
  }
  return sum;
}

interface Scaled {
  readonly mantissa: DoubleDouble;
  readonly exponent: number;
}

/** C(n, j + 1) from C(n, j), kept as a mantissa in [0.5, 1) and a power of two. */
function nextBinomial(c: Scaled, n: number, j: number): Scaled {
  const [mantissa, e] = ddFrexp(ddMul(c.mantissa, ddDiv(dd(n - j), dd(j + 1))));
  return { mantissa, exponent: c.exponent + e };
}

/** C(n, v) · (x + v/n)^(v−1) · (1 − x − v/n)^(n−v). */
function birnbaumTingeyTerm(n: number, x: number, v: number, binomial: Scaled): DoubleDouble {
  const above = scaledPower(ddSub(ddDiv(dd(n - v), dd(n)), dd(x)), n - v);
  const below = scaledPower(ddAdd(ddDiv(dd(v), dd(n)), dd(x)), v - 1);
  const product = ddMul(ddMul(below.mantissa, above.mantissa), binomial.mantissa);
  return ddLdexp(product, binomial.exponent + above.exponent + below.exponent);
}

/** Partial powers are rescaled by 2^400 whenever they fall below 2^−400 (exact, and far from subnormal). */
const RESCALE_EXPONENT = 400;
const RESCALE = 2 ** RESCALE_EXPONENT;

/** base^m (m ≥ 0) as mantissa · 2^exponent, by repeated squaring of the frexp mantissa with exact rescaling. */
function scaledPower(base: DoubleDouble, m: number): Scaled {
  let [square, squareExponent] = ddFrexp(base);
  let mantissa = dd(1);
  let exponent = 0;
  for (let left = m; left > 0; left = Math.floor(left / 2)) {
    if (left % 2 === 1) {
      mantissa = ddMul(mantissa, square);
      exponent += squareExponent;
      if (Math.abs(mantissa.hi) < 1 / RESCALE) {
        mantissa = ddScale(mantissa, RESCALE);
        exponent -= RESCALE_EXPONENT;
      }
    }
    if (left > 1) {
      square = ddMul(square, square);
      squareExponent *= 2;
      if (Math.abs(square.hi) < 1 / RESCALE) {
        square = ddScale(square, RESCALE);
        squareExponent -= RESCALE_EXPONENT;
      }
    }
  }
  return { mantissa, exponent };
}

function ddScale(a: DoubleDouble, powerOfTwo: number): DoubleDouble {
  return { hi: a.hi * powerOfTwo, lo: a.lo * powerOfTwo };
}

/** scipy's estimate for n above a million: p ≈ exp(−(6nx + 1)² / 18n). */
function largeNApproximation(n: number, x: number): number {
  const logp = -((6 * n * x + 1) ** 2) / 18 / n;
  return logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp);
}

/**
 * The regularized upper incomplete gamma function Q(a, x) for a = df/2 (integer df ≥ 1), enough for the chi-square
 * survival function: the power series of P = 1 − Q below x = a + 1, the Legendre continued fraction for Q (modified
 * Lentz) above it, both scaled by x^a·e^(−x)/Γ(a) computed in logs with an exact log Γ of the half-integer a. Relative
 * error about 1e-14 (the log-space prefactor loses ~|a·ln x − x|·2⁻⁵³).
 */

const MAX_ITERATIONS = 10_000;
const TINY = 1e-300;

/** Q(a, x) = Γ(a, x)/Γ(a), a a positive multiple of 1/2, x ≥ 0. */
export function upperRegularizedGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  const logPrefactor = a * Math.log(x) - x - logGammaHalfInteger(a);
  if (x < a + 1) return 1 - lowerSeries(a, x, logPrefactor);
  return Math.exp(logPrefactor) * upperContinuedFraction(a, x);
}

/** P(a, x) = x^a e^(−x)/Γ(a) · Σ xⁿ / (a (a+1) … (a+n)). */
function lowerSeries(a: number, x: number, logPrefactor: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * Number.EPSILON) break;
  }
  return sum * Math.exp(logPrefactor);
}

/** 1/(x + 1 − a − 1·(1 − a)/(x + 3 − a − 2·(2 − a)/(x + 5 − a − …))), by modified Lentz. */
function upperContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < Number.EPSILON) break;
  }
  return h;
}

/** log Γ(a) for a = k or k + 1/2: log((k − 1)!) or log(√π · (1/2)(3/2)…(k − 1/2)), as sums of logs of products. */
export function logGammaHalfInteger(a: number): number {
  let log = a % 1 === 0 ? 0 : 0.5 * Math.log(Math.PI);
  let product = 1;
  for (let factor = a % 1 === 0 ? 1 : 0.5; factor < a; factor++) {
    product *= factor;
    if (product > 1e280) {
      log += Math.log(product);
      product = 1;
    }
  }
  return log + Math.log(product);
}

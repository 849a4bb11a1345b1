import { ldexp } from './double-double.js';

/**
 * The two exact algorithms for the two-sided one-sample Kolmogorov CDF P(Dₙ ≤ d) that scipy 1.16.3 uses for small
 * n·d² (`scipy/stats/_ksstats.py`): Durbin's matrix as Marsaglia, Tsang and Wang (2003) power it, and Pomeranz's
 * (1974) recursion. Intermediate values are rescaled by 2^±128 and the exponent is carried separately, as there.
 */

const SCALE_EXPONENT = 128;
const SCALE_UP = 2 ** SCALE_EXPONENT;
const SCALE_DOWN = 2 ** -SCALE_EXPONENT;

/** P(Dₙ ≤ d) by Durbin's matrix: the (k, k) entry of Hⁿ times n!/nⁿ, k = ⌈nd⌉, H of size 2k − 1. */
export function durbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const size = 2 * k - 1;
  let base = durbinMatrix(k - nd, size);
  let power = identity(size);
  let exponent = 0;
  let baseExponent = 0;
  for (let left = n; left > 0; left = Math.floor(left / 2)) {
    if (left % 2 === 1) {
      power = multiply(power, base, size);
      exponent += baseExponent;
    }
    base = multiply(base, base, size);
    baseExponent *= 2;
    if (Math.abs(base[(k - 1) * size + k - 1]!) > SCALE_UP) {
      for (let i = 0; i < base.length; i++) base[i]! /= SCALE_UP;
      baseExponent += SCALE_EXPONENT;
    }
  }
  let p = power[(k - 1) * size + k - 1]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < SCALE_DOWN) {
      p *= SCALE_UP;
      exponent -= SCALE_EXPONENT;
    }
  }
  return clipProbability(exponent === 0 ? p : ldexp(p, exponent));
}

/** Durbin's H for h = k − nd: 1/(j)! on and below the superdiagonal, (1 − h^j)/j! down the first column and along the last row. */
function durbinMatrix(h: number, size: number): Float64Array {
  const v = new Float64Array(size);
  const w = new Float64Array(size);
  let factorial = 1;
  for (let j = 1; j <= size; j++) {
    w[j - 1] = factorial;
    factorial /= j;
    v[j - 1] = (1 - h ** j) * factorial;
  }
  const corner = Math.max(2 * h - 1, 0) ** size - 2 * h ** size;
  v[size - 1] = (1 + corner) * factorial;
  const matrix = new Float64Array(size * size);
  for (let col = 1; col < size; col++) {
    for (let row = col - 1; row < size; row++) matrix[row * size + col] = w[row - col + 1]!;
  }
  for (let row = 0; row < size; row++) matrix[row * size] = v[row]!;
  for (let col = 0; col < size; col++) matrix[(size - 1) * size + col] = v[size - 1 - col]!;
  return matrix;
}

function identity(size: number): Float64Array {
  const matrix = new Float64Array(size * size);
  for (let i = 0; i < size; i++) matrix[i * size + i] = 1;
  return matrix;
}

function multiply(a: Float64Array, b: Float64Array, size: number): Float64Array {
  const out = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < size; k++) {
      const aik = a[i * size + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < size; j++) out[i * size + j]! += aik * b[k * size + j]!;
    }
  }
  return out;
}

/** P(Dₙ ≤ x) by Pomeranz's recursion: 2n + 1 convolutions with (almost) Poisson weights, times n!. */
export function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const bounds = { n, ll, ceilf: f > 0 ? 1 : 0, roundf: f > 0.5 ? 1 : 0 };
  const powers = poissonPowers(2 * (ll + 1), [g / n, (2 * g) / n, (1 - 2 * g) / n]);
  let previous = new Float64Array(powers[0]!.length);
  let current = new Float64Array(powers[0]!.length);
  current[0] = 1;
  let previousStart = 0;
  let currentStart = 0;
  let exponent = 0;
  let [j1] = pomeranzBounds(0, bounds);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [previous, current] = [current, previous];
    [previousStart, currentStart] = [currentStart, previousStart];
    current.fill(0);
    const [low, high] = pomeranzBounds(i, bounds);
    j1 = low;
    const weights = i === 1 || i === 2 * n + 1 ? powers[0]! : i % 2 === 1 ? powers[1]! : powers[2]!;
    const width = high - k1 + 1;
    if (width <= 0) continue;
    convolveInto(current, previous, k1 - previousStart, width, weights, low - k1, high - low + 1);
    const largest = Math.max(...current);
    if (largest > 0 && largest < SCALE_DOWN) {
      for (let j = 0; j < current.length; j++) current[j]! *= SCALE_UP;
      exponent -= SCALE_EXPONENT;
    }
    currentStart = previousStart + low - k1;
  }
  let answer = current[n - currentStart]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(answer) > SCALE_UP) {
      answer *= SCALE_DOWN;
      exponent += SCALE_EXPONENT;
    }
    answer *= m;
  }
  return clipProbability(exponent === 0 ? answer : ldexp(answer, exponent));
}

/** For each rate r: r^m/m! for m = 0 … count − 1. */
function poissonPowers(count: number, rates: readonly number[]): Float64Array[] {
  return rates.map((rate) => {
    const out = new Float64Array(count);
    out[0] = 1;
    for (let m = 1; m < count; m++) out[m] = (out[m - 1]! * rate) / m;
    return out;
  });
}

/** out[0 … length) = entries from..from+length of the full convolution of source[offset … offset+width) and weights[0 … width). */
function convolveInto(
  out: Float64Array,
  source: Float64Array,
  offset: number,
  width: number,
  weights: Float64Array,
  from: number,
  length: number,
): void {
  const a = source.subarray(offset, offset + width);
  const b = weights.subarray(0, width);
  for (let c = 0; c < length; c++) {
    const k = from + c;
    let sum = 0;
    for (let i = Math.max(0, k - b.length + 1); i <= Math.min(k, a.length - 1); i++) sum += a[i]! * b[k - i]!;
    out[c] = sum;
  }
}

/** The first and last non-zero index of row i of Pomeranz's table. */
function pomeranzBounds(i: number, b: { n: number; ll: number; ceilf: number; roundf: number }): [number, number] {
  const { n, ll, ceilf, roundf } = b;
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0 && half === n + 1) {
      j1 = n - ll - ceilf - 1;
      j2 = n + ll + ceilf - 1;
    } else if ((i + 1) % 2 === 0) {
      j1 = half - 1 - ll - roundf - 1;
      j2 = half + ll - 1 + ceilf - 1;
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Clamps to [0, 1]. */
export function clipProbability(p: number): number {
  return Math.min(Math.max(p, 0), 1);
}

import { clipProbability, durbinMatrixCdf, pomeranzCdf } from './kolmogorov-matrix.js';
import { smirnovSf } from './smirnov.js';

/**
 * `scipy.stats.kstwo.sf(x, n)`: the survival function of the two-sided one-sample Kolmogorov–Smirnov statistic
 * Dₙ, with the algorithm choice of Simard and L'Ecuyer (2011) exactly as scipy 1.16.3's `_ksstats._kolmogn` makes it
 * (Ruben–Gambino ends, 2·Smirnov for large x or n·x², Durbin's matrix or Pomeranz for small n·x², Pelz–Good otherwise).
 * ks_2samp uses it at n = round(n1·n2/(n1 + n2)) when it does not count paths exactly.
 */
export function kolmogorovSf(n: number, x: number): number {
  if (!(n >= 1 && Number.isInteger(n)) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0.5 / n) return 1;
  if (x >= 1) return 0;
  const t = n * x;
  if (t <= 1) return clipProbability(1 - rubenGambinoLowCdf(n, t));
  if (t >= n - 1) return clipProbability(2 * (1 - x) ** n);
  if (x >= 0.5) return clipProbability(2 * smirnovSf(n, x));
  const nxSquared = t * x;
  if (n <= 140) {
    if (nxSquared <= 0.754693) return clipProbability(1 - durbinMatrixCdf(n, x));
    if (nxSquared <= 4) return clipProbability(1 - pomeranzCdf(n, x));
    return clipProbability(2 * smirnovSf(n, x));
  }
  if (nxSquared >= 370) return 0;
  if (nxSquared >= 2.2) return clipProbability(2 * smirnovSf(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinMatrixCdf(n, x) : pelzGoodCdf(n, x);
  return clipProbability(1 - cdf);
}

/** P(Dₙ ≤ t/n) for 1/2 < t ≤ 1: n!/nⁿ · (2t − 1)ⁿ. */
function rubenGambinoLowCdf(n: number, t: number): number {
  if (n <= 140) {
    let product = 1;
    for (let i = 1; i <= n; i++) product *= i * (1 / n) * (2 * t - 1);
    return product;
  }
  return Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
}

/** Bernoulli-number coefficients B₂ⱼ/(2j(2j − 1)) of Stirling's series, j = 8 … 1 (highest first, for Horner). */
const STIRLING_COEFFICIENTS = [-3617 / 122400, 1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12];

/** log(n!/nⁿ) by Stirling's series with n·log(n) removed up front. */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  let series = 0;
  for (const c of STIRLING_COEFFICIENTS) series = series * (rn / n) + c;
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * series;
}

const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;
const SQRT_2PI = Math.sqrt(2 * Math.PI);

/**
 * Pelz and Good's (1976) approximation of P(Dₙ ≤ x): the Li-Chien/Korolyuk expansion K0 + K1/√n + K2/n + K3/n^1.5
 * rewritten with Jacobi theta functions for small z = x√n.
 */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const [z2, z3, z4, z6] = [z ** 2, z ** 3, z ** 4, z ** 6];
  const qlog = -PI_SQUARED / 8 / z2;
  if (qlog < -708) return 0;
  const maxk = Math.ceil((16 * z) / Math.PI);
  const terms = oddThetaSums(z, Math.exp(qlog), maxk);
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  const k = terms.map((sum, i) => (sum * Math.exp(qlog) * SQRT_2PI) / divisors[i]!);
  const q = Math.exp(-PI_SQUARED / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let j = maxk; j >= 1; j--) {
    const weight = j ** 2 * q ** (j ** 2);
    k2extra += weight;
    k3extra += (sqrt3z + Math.PI * j) * (sqrt3z - Math.PI * j) * weight;
  }
  k[2]! += k2extra * ((PI_SQUARED * SQRT_2PI) / (-36 * z3));
  k[3]! += k3extra * ((PI_SQUARED * SQRT_2PI) / (216 * z6));
  return k[0]! + k[1]! / n ** 0.5 + k[2]! / n + k[3]! / n ** 1.5;
}

/** Σ over odd m = 2k − 1 of each K term's coefficients times q^(m² − 1), by Horner in q⁸ᵏ from the largest k down. */
function oddThetaSums(z: number, q: number, maxk: number): number[] {
  const [z2, z4, z6] = [z ** 2, z ** 4, z ** 6];
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * z2)) / 16;
  const k3d = (PI_SIX * (5 - 30 * z2)) / 64;
  const k3c = (PI_FOUR * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI_SQUARED * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const sums = [0, 0, 0, 0];
  for (let k = maxk; k >= 1; k--) {
    const m2 = (2 * k - 1) ** 2;
    const qpower = q ** (8 * k);
    const coefficients = [
      1,
      -z2 + (PI_SQUARED / 4) * m2,
      k2a + k2b * m2 + k2c * m2 ** 2,
      k3a + k3b * m2 + k3c * m2 ** 2 + k3d * m2 ** 3,
    ];
    for (let i = 0; i < 4; i++) sums[i] = sums[i]! * qpower + coefficients[i]!;
  }
  return sums;
}

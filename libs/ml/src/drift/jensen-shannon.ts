import { InvalidDataError, InvalidParameterError } from '../errors.js';
import { pairwiseSum } from './numpy-reductions.js';

/**
 * `scipy.spatial.distance.jensenshannon(p, q, base)`: both vectors are normalised to sum 1 (so counts work as well as
 * probabilities), then √((KL(p‖m) + KL(q‖m)) / 2) with m = (p + q)/2, natural log unless a base is given.
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number {
  if (p.length !== q.length) throw new InvalidDataError(`p has ${p.length} entries, q has ${q.length}`);
  if (p.length === 0) throw new InvalidDataError('jensenshannon needs at least one entry');
  if (base !== undefined && !(base > 0 && base !== 1)) {
    throw new InvalidParameterError('base', base, 'a positive number other than 1');
  }
  const pn = normalised(p, 'p');
  const qn = normalised(q, 'q');
  const left = new Float64Array(pn.length);
  const right = new Float64Array(pn.length);
  for (let i = 0; i < pn.length; i++) {
    const m = (pn[i]! + qn[i]!) / 2;
    left[i] = relativeEntropy(pn[i]!, m);
    right[i] = relativeEntropy(qn[i]!, m);
  }
  let js = pairwiseSum(left) + pairwiseSum(right);
  if (base !== undefined) js /= Math.log(base);
  return Math.sqrt(js / 2);
}

function normalised(values: ArrayLike<number>, what: string): Float64Array {
  for (let i = 0; i < values.length; i++) {
    if (!(values[i]! >= 0 && Number.isFinite(values[i]!))) {
      throw new InvalidDataError(`${what}[${i}] = ${values[i]} is not a finite non-negative number`);
    }
  }
  const total = pairwiseSum(values);
  if (!(total > 0)) throw new InvalidDataError(`${what} sums to 0`);
  const out = new Float64Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = values[i]! / total;
  return out;
}

/** scipy.special.rel_entr: x·log(x/y), 0 when x is 0. */
function relativeEntropy(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  return x === 0 && y >= 0 ? 0 : Number.POSITIVE_INFINITY;
}

import { InvalidParameterError } from '../errors.js';
import { RandomState } from './random-state.js';

/*
 * scikit-learn's `newrand` (sklearn/svm/src/newrand/newrand.h), the generator its vendored liblinear and libsvm draw
 * from: one process-wide `std::mt19937` that `set_seed(seed)` re-seeds before every fit, read through a tweaked
 * Lemire post-processor. `std::mt19937::seed(s)` is the same init_genrand as numpy's legacy `RandomState(s)` for an
 * integer s, and both emit the same raw 32-bit outputs, so a RandomState serves as the engine.
 */

const INT32_MAX = 2147483647;
const TWO_POW_16 = 65536;
const TWO_POW_32 = 4294967296;

/**
 * The seed `_fit_liblinear` hands to liblinear: `check_random_state(random_state).randint(np.iinfo("i").max)`;
 * undefined draws one at random (scikit-learn's global RNG, not reproducible).
 */
export function liblinearSeed(randomState: number | undefined): number {
  if (randomState === undefined) return Math.floor(Math.random() * INT32_MAX);
  return new RandomState(randomState).randint(0, INT32_MAX);
}

/** Anything that yields raw 32-bit draws the way `std::mt19937::operator()` does (a RandomState). */
export type Uint32Source = Pick<RandomState, 'nextUint32'>;

/** newrand's `bounded_rand_int(range)`: a uniform integer in [0, range) by Lemire's multiply-and-reject. */
export function boundedRandInt(engine: Uint32Source, range: number): number {
  if (!Number.isInteger(range) || range < 1 || range > INT32_MAX) {
    throw new InvalidParameterError('range', range, 'must be an integer in [1, 2**31 - 1]');
  }
  let x = engine.nextUint32();
  let low = Math.imul(x, range) >>> 0;
  if (low < range) {
    let threshold = (TWO_POW_32 - range) % TWO_POW_32;
    if (threshold >= range) {
      threshold -= range;
      if (threshold >= range) threshold %= range;
    }
    while (low < threshold) {
      x = engine.nextUint32();
      low = Math.imul(x, range) >>> 0;
    }
  }
  return highWord(x, range);
}

/** The upper 32 bits of the 64-bit product of two uint32 values, computed exactly in doubles. */
function highWord(x: number, range: number): number {
  const lowProduct = (x % TWO_POW_16) * range;
  const highProduct = Math.floor(x / TWO_POW_16) * range;
  const carriedLow = highProduct % TWO_POW_16;
  const middle = carriedLow * TWO_POW_16 + lowProduct;
  return (highProduct - carriedLow) / TWO_POW_16 + Math.floor(middle / TWO_POW_32);
}

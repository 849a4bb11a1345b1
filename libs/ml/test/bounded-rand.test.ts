import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../src/errors.js';
import { boundedRandInt, type Uint32Source } from '../src/random/bounded-rand.js';
import { RandomState } from '../src/random/random-state.js';

/** A source that replays the given raw draws and counts how many were taken. */
function replay(draws: number[]): Uint32Source & { taken: number } {
  const source = {
    taken: 0,
    nextUint32: () => {
      const value = draws[source.taken++];
      if (value === undefined) throw new Error('ran out of draws');
      return value;
    },
  };
  return source;
}

/** Lemire's result for an accepted draw: the upper word of the 64-bit product, by BigInt. */
function upperWord(x: number, range: number): number {
  return Number((BigInt(x) * BigInt(range)) >> 32n);
}

/** newrand's rejection threshold (2^32 − range) mod range, by BigInt. */
function threshold(range: number): number {
  return Number((2n ** 32n - BigInt(range)) % BigInt(range));
}

describe('boundedRandInt (scikit-learn newrand)', () => {
  it('when a draw is accepted, then the result is the upper 32 bits of draw × range, over many draws and ranges', () => {
    const rng = new RandomState(7);
    for (let k = 0; k < 2000; k++) {
      const range = 1 + rng.randint(0, 2 ** 31 - 1);
      const x = rng.nextUint32();
      const low = Number((BigInt(x) * BigInt(range)) & 0xffffffffn);
      const draws = low < threshold(range) ? [x, 0xffffffff] : [x];
      const expected = draws.length === 1 ? upperWord(x, range) : upperWord(0xffffffff, range);
      expect(boundedRandInt(replay(draws), range)).toBe(expected);
    }
  });

  it('when the low word falls under the threshold, then the draw is rejected and the next one used', () => {
    const range = 3;
    const source = replay([0, 5]);
    expect(0 < threshold(range)).toBe(true);
    expect(boundedRandInt(source, range)).toBe(upperWord(5, range));
    expect(source.taken).toBe(2);
  });

  it('when the range is 1, then the answer is 0 whatever the draw', () => {
    expect([0, 1, 0x80000000, 0xffffffff].map((x) => boundedRandInt(replay([x]), 1))).toEqual([0, 0, 0, 0]);
  });

  it.each([0, -1, 1.5, 2 ** 31])('when the range is %s, then it throws InvalidParameterError', (range) => {
    expect(() => boundedRandInt(replay([1]), range)).toThrow(InvalidParameterError);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalToDouble } from '../src/entry-points/wire/decimal-to-double.js';
import { scanFeatureRows } from '../src/entry-points/wire/feature-rows-scan.js';
import { parsePredictRequest } from '../src/entry-points/wire/scoring-request.js';

// The fast reader must agree exactly with the full path (JSON.parse + zod) on everything it accepts, and give up on
// everything else; numbers must be the doubles Number() makes, bit for bit.

const FEATURES = ['x0', 'x1', 'x2'];
const LIMITS = { maxRows: 50 };

/** The full path's matrix, or undefined when it refuses the body. */
function fullPath(text: string, names = FEATURES, limits = LIMITS): Float64Array | undefined {
  try {
    return parsePredictRequest(JSON.parse(text), names, limits).data;
  } catch {
    return undefined;
  }
}

function scan(text: string, width = FEATURES.length, maxRows = LIMITS.maxRows): Float64Array | undefined {
  return scanFeatureRows(Buffer.from(text), width, maxRows)?.data;
}

function scanOne(literal: string): number | undefined {
  return scan(`{"features":[${literal}]}`, 1, 1)?.[0];
}

/** The scanned value equals Number()'s, bit for bit; a literal that overflows is given up on. */
function expectAsNumber(literal: string): void {
  const n = Number(literal);
  expect(Object.is(scanOne(literal), Number.isFinite(n) ? n : undefined), literal).toBe(true);
}

function sameBits(a: Float64Array | undefined, b: Float64Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

const bits = new DataView(new ArrayBuffer(8));

/** The exact decimal digits of the midpoint between positive normal `x` and the next double, and its power of ten. */
function midpoint(x: number): { digits: string; power: number } {
  bits.setFloat64(0, x);
  const word = bits.getBigUint64(0);
  const mantissa = (word & ((1n << 52n) - 1n)) | (1n << 52n);
  const twice = 2n * mantissa + 1n;
  const shift = Number((word >> 52n) & 0x7ffn) - 1076;
  if (shift >= 0) return { digits: (twice << BigInt(shift)).toString(), power: 0 };
  return { digits: (twice * 5n ** BigInt(-shift)).toString(), power: shift };
}

const finiteDouble = fc.double({ noNaN: true, noDefaultInfinity: true });

describe('numbers read by the fast reader', () => {
  it('equal Number() for every way JavaScript writes a double', () => {
    fc.assert(
      fc.property(finiteDouble, fc.integer({ min: 1, max: 21 }), fc.integer({ min: 0, max: 20 }), (x, p, e) => {
        for (const literal of [JSON.stringify(x), x.toPrecision(p), x.toExponential(e)]) expectAsNumber(literal);
      }),
      { numRuns: 5000 },
    );
  });

  it('equal Number() for 16 to 19 digits next to a midpoint between two doubles (the hardest rounding)', () => {
    const magnitude = fc.double({ min: 1e-4, max: 1e21, noNaN: true });
    fc.assert(
      fc.property(magnitude, fc.integer({ min: 16, max: 19 }), fc.integer({ min: -1, max: 1 }), (x, kept, nudge) => {
        const { digits, power } = midpoint(x);
        fc.pre(digits.length > kept);
        const mantissa = BigInt(digits.slice(0, kept)) + BigInt(nudge);
        expectAsNumber(`${mantissa}e${power + digits.length - kept}`);
      }),
      { numRuns: 5000 },
    );
  });

  it('equal Number() for any digits, point and exponent JSON allows', () => {
    const literal = fc.stringMatching(/^-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,24})?([eE][+-]?[0-9]{1,12})?$/);
    fc.assert(fc.property(literal, expectAsNumber), { numRuns: 5000 });
  });

  it('keep the sign of zero and the edges of the exact range', () => {
    for (const literal of ['0', '-0', '-0.0', '0e5', '0.000', '1e22', '1e23', '9007199254740993', '1e-22', '5e-324']) {
      expectAsNumber(literal);
    }
    expect(scanOne('1e0000000000000022')).toBe(1e22);
    expect(scanOne('1e400')).toBeUndefined();
    // A huge exponent offset by a million leading zeros is still huge (it once read as 1).
    expect(scanOne(`0.${'0'.repeat(999_999)}1e10000000`)).toBeUndefined();
    expect(scanOne(`0.${'0'.repeat(999_999)}1e-10000000`)).toBe(0);
    expect(scanOne('-1.8e308')).toBeUndefined();
  });

  it('are decided without Number() for the shortest forms of ordinary doubles', () => {
    // The exact conversion only gives up near rounding boundaries; it must not give up on ordinary values.
    fc.assert(
      fc.property(fc.double({ min: 1e-4, max: 1e6, noNaN: true }), (x) => {
        const literal = JSON.stringify(x);
        const [digits = '', exponent = '0'] = literal.replace('.', '').split('e');
        const significant = digits.replace(/^0+/, '');
        const power = Number(exponent) - (literal.split('e')[0]?.split('.')[1]?.length ?? 0);
        fc.pre(significant.length <= 18 && significant.length >= 10);
        const head = Number(significant.slice(0, 9));
        const tail = Number(significant.slice(9));
        expect(decimalToDouble(head, tail, significant.length - 9, power)).toBe(x);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('bodies read by the fast reader', () => {
  const row = fc.array(finiteDouble, { minLength: 3, maxLength: 3 });
  const space = fc.constantFrom('', ' ', '\n', '\t', '\r\n  ');

  it('give the full path’s matrix, bit for bit, whatever the whitespace', () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 20 }), fc.array(space, { minLength: 12 }), (rows, ws) => {
        let k = 0;
        const s = () => ws[k++ % ws.length];
        const text = `${s()}{${s()}"features"${s()}:${s()}[${rows.map((r) => `${s()}[${r.map((v) => `${s()}${JSON.stringify(v)}${s()}`).join(',')}]${s()}`).join(',')}]${s()}}${s()}`;
        const fast = scan(text);
        expect(fast).toBeDefined();
        expect(sameBits(fast, fullPath(text))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('read one bare row as the full path does', () => {
    expect(sameBits(scan('{"features":[1.5,-2,3e-3]}'), fullPath('{"features":[1.5,-2,3e-3]}'))).toBe(true);
  });

  it.each([
    ['another key', '{"rows":[[1,2,3]]}'],
    ['a second key', '{"features":[[1,2,3]],"extra":1}'],
    ['the key twice', '{"features":[[1,2,3]],"features":[[4,5,6]]}'],
    ['an escaped key', '{"feat\\u0075res":[[1,2,3]]}'],
    ['a short row', '{"features":[[1,2]]}'],
    ['a long row', '{"features":[[1,2,3,4]]}'],
    ['rows deeper than two', '{"features":[[[1],2,3]]}'],
    ['numbers and rows mixed', '{"features":[[1,2,3],4]}'],
    ['no rows', '{"features":[]}'],
    ['an empty row', '{"features":[[]]}'],
    ['a string', '{"features":[[1,"2",3]]}'],
    ['null', '{"features":[[1,null,3]]}'],
    ['true', '{"features":[[1,true,3]]}'],
    ['NaN', '{"features":[[1,NaN,3]]}'],
    ['Infinity', '{"features":[[1,Infinity,3]]}'],
    ['an overflowing number', '{"features":[[1,1e400,3]]}'],
    ['a leading zero', '{"features":[[1,02,3]]}'],
    ['a bare point', '{"features":[[1,2.,3]]}'],
    ['a leading point', '{"features":[[1,.5,3]]}'],
    ['a plus sign', '{"features":[[1,+2,3]]}'],
    ['a lone minus', '{"features":[[1,-,3]]}'],
    ['an empty exponent', '{"features":[[1,2e,3]]}'],
    ['a trailing comma', '{"features":[[1,2,3],]}'],
    ['a missing comma', '{"features":[[1,2 3]]}'],
    ['text after the body', '{"features":[[1,2,3]]}x'],
    ['a second body', '{"features":[[1,2,3]]}{}'],
    ['a truncated body', '{"features":[[1,2,3]]'],
    ['a byte-order mark', '\ufeff{"features":[[1,2,3]]}'],
    ['a non-breaking space', '{"features":\u00a0[[1,2,3]]}'],
  ])('give up on %s', (_what, text) => {
    expect(scan(text)).toBeUndefined();
  });

  it('give up past the row limit, so the full path answers 413', () => {
    const text = JSON.stringify({
      features: [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
    });
    expect(scan(text, 3, 2)).toBeUndefined();
    expect(scan(text, 3, 3)).toHaveLength(9);
  });

  it('never accept what the full path refuses, nor read it differently (random damage to good bodies)', () => {
    const good = fc.array(row, { minLength: 1, maxLength: 4 }).map((rows) => JSON.stringify({ features: rows }));
    const damage = fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...' ,-+.e0159[]{}":\\nx'.split('')));
    let accepted = 0;
    fc.assert(
      fc.property(good, fc.array(damage, { minLength: 1, maxLength: 3 }), (text, edits) => {
        let damaged = text;
        for (const [at, len, char] of edits) {
          const i = at % (damaged.length + 1);
          damaged = damaged.slice(0, i) + char + damaged.slice(i + (len % 3));
        }
        const fast = scan(damaged);
        if (fast !== undefined) accepted += 1;
        // Giving up is always allowed; what it accepts, the full path reads the same, bit for bit.
        expect(fast === undefined || sameBits(fast, fullPath(damaged))).toBe(true);
      }),
      { numRuns: 5000 },
    );
    // Some damaged bodies are still good (a digit for a digit, a space), so the comparison above did run.
    expect(accepted).toBeGreaterThan(0);
  });
});

import { randomBytes } from 'node:crypto';
import { PREDICTION_ID_PATTERN } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { createRequestIds, randomIdPrefix, workerIdPrefix } from '../src/entry-points/request-ids.js';
import { call, fittedModel, startTestServer } from './support/harness.js';

describe('request ids', () => {
  it('when workers 1, 36 and 37 (base 36: 1, 10, 11) count past each other, then no two of their ids are equal', () => {
    const run = randomIdPrefix();
    const ids = [1, 36, 37].flatMap((worker) => {
      // No random bits: the prefixes and counters alone must keep the ids apart.
      const next = createRequestIds(workerIdPrefix(run, worker), (n) => Buffer.alloc(n));
      return Array.from({ length: 2000 }, next);
    });

    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => !PREDICTION_ID_PATTERN.test(`${id}-0`))).toEqual([]);
  });

  it('when a worker is restarted, then its new cluster id gives it another prefix, so its counter may start at 0 again', () => {
    const run = randomIdPrefix();
    const dead = createRequestIds(workerIdPrefix(run, 2));
    const restarted = createRequestIds(workerIdPrefix(run, 3));

    const counted = (id: string) => id.slice(0, -14); // without its random bits
    expect(counted(restarted())).not.toBe(counted(dead()));
  });

  it('when a client holds its own prediction ids, then the ids of other requests cannot be worked out from them', () => {
    let draws = 0;
    const next = createRequestIds('AAAAAAAAAAAA', (n) => {
      draws++;
      return randomBytes(n);
    });
    const ids = Array.from({ length: 2000 }, next);
    const secrets = ids.map((id) => id.slice(-14));

    expect(secrets.every((s) => /^[0-9a-z]{14}$/.test(s))).toBe(true);
    expect(new Set(secrets).size).toBe(ids.length);
    expect(ids[1]).toBe(`AAAAAAAAAAAA1${secrets[1]}`);
    expect(draws).toBe(4); // one entropy call per 512 ids
  });

  it('when a prefix is drawn, then it is 12 base64url characters and differs from the next', () => {
    const first = randomIdPrefix();

    expect(first).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(randomIdPrefix()).not.toBe(first);
  });

  it('when a worker id is not a positive integer, then the prefix is refused', () => {
    expect(() => workerIdPrefix('AAAAAAAAAAAA', 0)).toThrow(RangeError);
  });

  it('when a worker answers /predict, then its prediction ids start with its prefix', async () => {
    const t = await startTestServer({
      model: fittedModel(),
      worker: { requestIdPrefix: 'AAAAAAAAAAAAb_', exposition: async () => '' },
    });
    try {
      const row = Array(20).fill(0.5);
      const { json } = await call(t.base, 'POST', '/predict', JSON.stringify({ features: [row, row] }));

      expect(json.prediction_ids).toEqual([
        expect.stringMatching(/^AAAAAAAAAAAAb_0[0-9a-z]{14}-0$/),
        expect.stringMatching(/^AAAAAAAAAAAAb_0[0-9a-z]{14}-1$/),
      ]);
      expect(json.prediction_ids[0].slice(0, -2)).toBe(json.prediction_ids[1].slice(0, -2));
    } finally {
      await t.close();
    }
  });
});

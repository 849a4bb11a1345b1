import { PREDICTION_ID_PATTERN } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { createRequestIds, randomIdPrefix, workerIdPrefix } from '../src/entry-points/request-ids.js';
import { call, fittedModel, startTestServer } from './support/harness.js';

describe('request ids', () => {
  it('when workers 1, 36 and 37 (base 36: 1, 10, 11) count past each other, then no two of their ids are equal', () => {
    const run = randomIdPrefix();
    const ids = [1, 36, 37].flatMap((worker) => {
      const next = createRequestIds(workerIdPrefix(run, worker));
      return Array.from({ length: 2000 }, next);
    });

    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => !PREDICTION_ID_PATTERN.test(`${id}-0`))).toEqual([]);
  });

  it('when a worker is restarted, then its new cluster id gives it another prefix, so its counter may start at 0 again', () => {
    const run = randomIdPrefix();
    const dead = createRequestIds(workerIdPrefix(run, 2));
    const restarted = createRequestIds(workerIdPrefix(run, 3));

    expect(restarted()).not.toBe(dead());
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

      expect(json.prediction_ids).toEqual(['AAAAAAAAAAAAb_0-0', 'AAAAAAAAAAAAb_0-1']);
    } finally {
      await t.close();
    }
  });
});

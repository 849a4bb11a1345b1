import type { EventData } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { withStoredHoldout } from '../src/domain/stored-holdout.js';
import { completed } from './support/tuning-events.js';

const whole = {
  feature_names: ['a', 'b'],
  rows: [
    [1, 2],
    [3, 4],
    [5, 6],
  ],
  labels: [1, 0, 1],
};
const carried = { feature_names: ['a', 'b'], rows: [[1, 2]], labels: [1 as const] };
const ref = { bucket: 'gate-holdouts', name: 'tun-1', rows: 3 };
const event: EventData<'tuning.completed'> = {
  ...completed('m', 'tun-1', 1, {}, carried),
  test_rows: 3,
  stored_holdout: ref,
};
const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('the holdout the gate judges on', () => {
  it('when the stored whole is there and starts with the carried rows, then it replaces them', async () => {
    const asked: unknown[] = [];
    const judged = await withStoredHoldout(event, async (r) => {
      asked.push(r);
      return bytes(whole);
    });
    expect(asked).toEqual([ref]);
    expect(judged).toEqual({ data: { ...event, holdout: whole } });
  });

  it('when the event names no stored holdout, then it is judged as it came, and nothing is read', async () => {
    const plain = completed('m', 'tun-1', 1, {}, carried);
    const judged = await withStoredHoldout(plain, async () => {
      throw new Error('not expected');
    });
    expect(judged).toEqual({ data: plain });
  });

  it('when the stored whole is unusable, then the carried rows stay and the reason is given', async () => {
    const cases: Array<[Uint8Array | undefined, string]> = [
      [undefined, 'is not there (expired, or never stored)'],
      [bytes('{"rows": ['), 'is not JSON'],
      [bytes({ ...whole, labels: [1, 0, 2] }), 'breaks the holdout schema'],
      [bytes({ ...whole, rows: whole.rows.slice(0, 2), labels: [1, 0] }), 'holds 2 rows, not 3'],
      [bytes({ ...whole, rows: [[9, 9], ...whole.rows.slice(1)] }), 'does not start with the rows the event carries'],
      [bytes({ ...whole, feature_names: ['a', 'c'] }), 'does not start with the rows the event carries'],
    ];
    const outcomes = [];
    for (const [stored] of cases) outcomes.push(await withStoredHoldout(event, async () => stored));
    expect(outcomes).toEqual(
      cases.map(([, why]) => ({ data: event, kept: `stored holdout gate-holdouts/tun-1 ${why}` })),
    );
  });

  it('when the stored holdout cannot be read, then the carried rows stay and the reason is given (the tuning is never held)', async () => {
    const judged = await withStoredHoldout(event, async () => {
      throw new Error('received a corrupt object, digests do not match');
    });
    expect(judged).toEqual({
      data: event,
      kept: 'stored holdout gate-holdouts/tun-1 could not be read: received a corrupt object, digests do not match',
    });
  });
});

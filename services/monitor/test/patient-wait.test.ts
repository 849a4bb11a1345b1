import { describe, expect, it } from 'vitest';
import { waitPatiently } from '../src/domain/patient-wait.js';

/** `pending` that stays true for its first `calls` calls, counting every call. */
function pendingFor(calls: number) {
  const probe = { calls: 0, pending: () => probe.calls++ < calls };
  return probe;
}

describe('waitPatiently (a label waiting for its prediction)', () => {
  it('when the clock jumps past the deadline at once (a stalled event loop), then it still polls before giving up', async () => {
    let minutes = 0;
    const now = () => 60_000 * minutes++; // every read is a minute after the last

    const arrivesOnFifthPoll = pendingFor(5);
    expect(await waitPatiently(arrivesOnFifthPoll.pending, { ms: 2000, polls: 20, everyMs: 1 }, now)).toBe(true);
    expect(arrivesOnFifthPoll.calls).toBe(6);

    const never = pendingFor(Number.POSITIVE_INFINITY);
    expect(await waitPatiently(never.pending, { ms: 2000, polls: 20, everyMs: 1 }, now)).toBe(false);
    expect(never.calls).toBe(21);
  });

  it('when the polls are spent early, then it keeps waiting until the time is spent too', async () => {
    const started = performance.now();
    const never = pendingFor(Number.POSITIVE_INFINITY);
    expect(await waitPatiently(never.pending, { ms: 60, polls: 1, everyMs: 5 }, Date.now)).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(never.calls).toBeGreaterThan(2);
  });

  it('when nothing is pending, then it returns at once without polling', async () => {
    const none = pendingFor(0);
    expect(await waitPatiently(none.pending, { ms: 2000, polls: 20, everyMs: 1000 }, Date.now)).toBe(true);
    expect(none.calls).toBe(1);
  });
});

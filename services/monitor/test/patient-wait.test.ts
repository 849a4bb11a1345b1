import { describe, expect, it } from 'vitest';
import { waitPatiently } from '../src/domain/patient-wait.js';

const LABEL_WAIT = { ms: 2000, polls: 20, everyMs: 1, atMostMs: 4000 };

/** `pending` that stays true for its first `calls` calls, counting every call. */
function pendingFor(calls: number) {
  const probe = { calls: 0, pending: () => probe.calls++ < calls };
  return probe;
}

/** A clock read first at 0, then `jumpMs` later (the stall), then 1 ms more at every read. */
function stalledClock(jumpMs: number) {
  let reads = 0;
  return () => (reads++ === 0 ? 0 : jumpMs + reads);
}

describe('waitPatiently (a label waiting for its prediction)', () => {
  it('when the event loop stalls past the 2 s at once, then it still polls before giving up', async () => {
    const arrivesOnFifthPoll = pendingFor(5);
    expect(await waitPatiently(arrivesOnFifthPoll.pending, LABEL_WAIT, stalledClock(2500))).toBe(true);
    expect(arrivesOnFifthPoll.calls).toBe(6);

    const never = pendingFor(Number.POSITIVE_INFINITY);
    expect(await waitPatiently(never.pending, LABEL_WAIT, stalledClock(2500))).toBe(false);
    expect(never.calls).toBe(21);
  });

  it('when the stall outlasts atMostMs, then it gives up at once (the caller has stopped waiting for the answer)', async () => {
    const never = pendingFor(Number.POSITIVE_INFINITY);
    expect(await waitPatiently(never.pending, LABEL_WAIT, stalledClock(10_000))).toBe(false);
    expect(never.calls).toBe(1);
  });

  it('when the polls are spent early, then it keeps waiting until the time is spent too', async () => {
    const started = performance.now();
    const never = pendingFor(Number.POSITIVE_INFINITY);
    const patience = { ms: 60, polls: 1, everyMs: 5, atMostMs: 1000 };
    expect(await waitPatiently(never.pending, patience, Date.now)).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(never.calls).toBeGreaterThan(2);
  });

  it('when nothing is pending, then it returns at once without polling', async () => {
    const none = pendingFor(0);
    expect(await waitPatiently(none.pending, { ...LABEL_WAIT, everyMs: 1000 }, Date.now)).toBe(true);
    expect(none.calls).toBe(1);
  });
});

import { parseTuneRequest } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { claimTuningId, type IntakeDecision, markGaveUp, markStored, markWorkDone } from '../src/domain/intake.js';
import type { TrainerBus } from '../src/domain/ports.js';

/** Tallies kept in memory: the request marks of each tuning id, `recorded()` trials recorded for every id. */
function memoryTallies(recorded: () => number = () => 0): Pick<TrainerBus, 'tallies'> {
  const marks = new Map<string, Set<string>>();
  return {
    tallies: {
      record: async () => {
        throw new Error('not used');
      },
      recorded: async () => recorded(),
      requests: async (id: string) => marks.get(id) ?? new Set(),
      markRequest: async (id: string, mark: string) => {
        marks.set(id, new Set([...(marks.get(id) ?? []), mark]));
      },
    },
  } as unknown as Pick<TrainerBus, 'tallies'>;
}

function accepted(digest?: string): IntakeDecision & { accepted: true } {
  const dataset = { kind: 'csv', path: 'a.csv', target: 'y', ...(digest === undefined ? {} : { digest }) };
  const parsed = parseTuneRequest({ tuning_id: 'upgraded', dataset });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return { accepted: true, tuningId: 'upgraded', request: parsed.request, trialCount: 15 };
}

describe('claiming a tuning id across the intake that pins CSV digests', () => {
  it('when a release before the pinning marked the request as sent, then the same request sent again is a repeat', async () => {
    const bus = memoryTallies();
    const now = Date.parse('2026-12-04T07:00:00Z');
    const asSent = accepted();
    const before = await claimTuningId(bus, asSent, now); // the earlier release: no pinning, marks the request as sent
    expect(before.decision.accepted).toBe(true);
    const pinned = accepted('a'.repeat(64));
    const later = now + 2 * 3600_000;
    const again = await claimTuningId(bus, pinned, later, asSent.request);
    expect(again.decision).toMatchObject({ accepted: true, tuningId: 'upgraded' });
    const unknownAsSent = await claimTuningId(bus, pinned, later);
    expect(unknownAsSent.decision).toMatchObject({ accepted: false, errors: [{ path: 'tuning_id' }] });
  });
});

describe('claiming a tuning id a request was stored under', () => {
  it('when a request marked but never stored (the intake died in between) comes again hours later, then it is stored; once stored, it is not stored again', async () => {
    const bus = memoryTallies();
    const now = Date.parse('2026-12-04T07:00:00Z');
    const request = accepted('a'.repeat(64));
    expect((await claimTuningId(bus, request, now)).store).toBe(true);
    const lost = await claimTuningId(bus, request, now + 2 * 3600_000);
    expect(lost).toMatchObject({ decision: { accepted: true }, store: true });
    await markStored(bus, request);
    const repeat = await claimTuningId(bus, request, now + 3 * 24 * 3600_000);
    expect(repeat).toMatchObject({ decision: { accepted: true, tuningId: 'upgraded' }, store: false });
  });
});

describe('claiming a tuning id whose stored request the worker gave up on', () => {
  const now = Date.parse('2026-12-05T07:00:00Z');

  /** A request stored once at stream sequence 7 (claimed, then marked stored), as the intake leaves it. */
  async function storedOnce(bus: Pick<TrainerBus, 'tallies'>) {
    const request = accepted('b'.repeat(64));
    await claimTuningId(bus, request, now);
    await markStored(bus, request, 7);
    return request;
  }

  it('when the worker gave up on the latest stored copy and no trial was recorded, then the request sent again is stored again after that copy, until the new copy is marked stored', async () => {
    const bus = memoryTallies();
    const request = await storedOnce(bus);
    await markGaveUp(bus, 'upgraded', 7);
    const again = await claimTuningId(bus, request, now + 60_000);
    const storeFailedSoAgain = await claimTuningId(bus, request, now + 120_000);
    await markStored(bus, request, 12);
    const whileTheCopyWaits = await claimTuningId(bus, request, now + 180_000);
    await markGaveUp(bus, 'upgraded', 12);
    const afterTheCopy = await claimTuningId(bus, request, now + 240_000);

    expect(
      [again, storeFailedSoAgain, whileTheCopyWaits, afterTheCopy].map((c) => [
        c.decision.accepted,
        c.store,
        c.againAfter,
      ]),
    ).toEqual([
      [true, true, 7],
      [true, true, 7],
      [true, false, undefined],
      [true, true, 12],
    ]);
  });

  it('when only an older copy was given up (the request stored twice), then the latest is waiting and nothing is stored again', async () => {
    const bus = memoryTallies();
    const request = await storedOnce(bus);
    await markStored(bus, request, 8);
    await markGaveUp(bus, 'upgraded', 7);

    expect(await claimTuningId(bus, request, now + 60_000)).toMatchObject({
      decision: { accepted: true },
      store: false,
    });
  });

  it('when a given-up tuning has trials recorded or was marked done, then the request sent again is not stored again', async () => {
    let trials = 0;
    const withTrials = memoryTallies(() => trials);
    const request = await storedOnce(withTrials);
    await markGaveUp(withTrials, 'upgraded', 7);
    trials = 3; // queued before the worker gave up, and run
    const done = memoryTallies();
    await storedOnce(done);
    await markGaveUp(done, 'upgraded', 7);
    await markWorkDone(done, 'upgraded');

    const claims = [
      await claimTuningId(withTrials, request, now + 60_000),
      await claimTuningId(done, request, now + 60_000),
    ];
    expect(claims.map((c) => [c.decision.accepted, c.store])).toEqual([
      [true, false],
      [true, false],
    ]);
  });
});

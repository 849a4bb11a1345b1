import { parseTuneRequest } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { claimTuningId, type IntakeDecision, markStored } from '../src/domain/intake.js';
import type { TrainerBus } from '../src/domain/ports.js';

/** Tallies kept in memory: the request marks of each tuning id, no trial recorded. */
function memoryTallies(): Pick<TrainerBus, 'tallies'> {
  const marks = new Map<string, Set<string>>();
  return {
    tallies: {
      record: async () => {
        throw new Error('not used');
      },
      recorded: async () => 0,
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

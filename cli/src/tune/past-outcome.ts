import { readStoredEvents } from '@mlops/bus';
import { type EventData, SUBJECTS } from '@mlops/contracts';
import type { NatsConnection } from '@nats-io/transport-node';

/** How a tuning that already ended came out, as its stored events tell. */
export type PastOutcome =
  | { readonly kind: 'registered'; readonly data: EventData<'model.registered'> }
  | { readonly kind: 'rejected'; readonly data: EventData<'model.rejected'> }
  | { readonly kind: 'nothing-succeeded'; readonly data: EventData<'tuning.completed'> };

/**
 * The outcome of tuning `tuningId` read back from the MODELS and TUNING_EVENTS streams, or undefined while it has
 * none (still running, never run, or aged out of the streams): what a request repeated under its id is answered
 * with, since the trainer runs it only once. The tuning's own verdict is the first one stored for it; a later
 * `mlops promote` of its version does not change what the tuning came to.
 */
export async function pastOutcome(
  nc: NatsConnection,
  tuningId: string,
  sentAtMs: number,
): Promise<PastOutcome | undefined> {
  // Only a tuning that had ended before the request was sent ran before it: one ending now is this request's own.
  const before = (at: string) => Date.parse(at) < sentAtMs;
  const found: { seq: number; outcome: PastOutcome }[] = [];
  await readStoredEvents(nc, SUBJECTS.modelRegistered, ({ data }, seq) => {
    if (data.tuning_id === tuningId && before(data.registered_at)) {
      found.push({ seq, outcome: { kind: 'registered', data } });
    }
  });
  await readStoredEvents(nc, SUBJECTS.modelRejected, ({ data }, seq) => {
    if (data.tuning_id === tuningId && before(data.rejected_at))
      found.push({ seq, outcome: { kind: 'rejected', data } });
  });
  const first = found.sort((a, b) => a.seq - b.seq)[0];
  if (first !== undefined) return first.outcome;
  let fruitless: PastOutcome | undefined;
  await readStoredEvents(nc, SUBJECTS.tuningCompleted, ({ data }) => {
    if (data.tuning_id === tuningId && data.completed === 0 && before(data.ended_at)) {
      fruitless ??= { kind: 'nothing-succeeded', data };
    }
  });
  return fruitless;
}

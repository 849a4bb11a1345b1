import { watchEvents } from '@mlops/bus';
import type { EventOf, EventSubject } from '@mlops/contracts';
import type { NatsConnection } from '@nats-io/transport-node';

/** Records every event of `subjects` as it is published; `of(subject, model)` lists one model's, oldest first. */
export function recordEvents(connection: NatsConnection, subjects: readonly EventSubject[]) {
  const seen = new Map<string, EventOf<EventSubject>[]>();
  for (const subject of subjects) {
    watchEvents(connection, subject, (event) => seen.set(subject, [...(seen.get(subject) ?? []), event]));
  }
  return {
    of<S extends EventSubject>(subject: S, model: string): EventOf<S>[] {
      return ((seen.get(subject) ?? []) as EventOf<S>[]).filter((e) => (e.data as { model: string }).model === model);
    },
  };
}

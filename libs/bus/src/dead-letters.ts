import { type EventOf, type EventSubject, parseEvent } from '@mlops/contracts';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';

/** The headers every dead letter carries (written by the consume loop, read by watchers). */
export const DEAD_LETTER_HEADERS = {
  reason: 'Mlops-Dead-Letter-Reason',
  error: 'Mlops-Error',
  subject: 'Mlops-Original-Subject',
  stream: 'Mlops-Original-Stream',
  sequence: 'Mlops-Original-Sequence',
  deliveries: 'Mlops-Delivery-Count',
  /** The durable consumer that gave up on the message (each one that does writes its own dead letter). */
  consumer: 'Mlops-Consumer',
} as const;

/** The subject a message consumed from `subject` is dead-lettered on. */
export function deadLetterSubject(subject: string): string {
  return `deadletter.${subject}`;
}

/** A dead letter as a watcher sees it: why it was given up on, and the event when its body still parses. */
export interface DeadLetter<S extends EventSubject> {
  readonly reason: string;
  readonly error: string;
  /** The durable consumer that gave up on it. */
  readonly consumer: string;
  readonly event: EventOf<S> | null;
}

/**
 * Follows the dead letters of an event subject on core NATS: for watchers such as `mlops tune`, which must stop
 * waiting for a tuning whose message a service gave up on.
 */
export function watchDeadLetters<S extends EventSubject>(
  nc: NatsConnection,
  subject: S,
  handler: (letter: DeadLetter<S>) => void,
): Subscription {
  return nc.subscribe(deadLetterSubject(subject), {
    callback: (err, msg) => {
      if (err) return;
      let event: EventOf<S> | null = null;
      try {
        const parsed = parseEvent(subject, msg.json());
        if (parsed.ok) event = parsed.event;
      } catch {
        // A body that is not JSON is still a dead letter: reported without its event.
      }
      const header = (name: string) => msg.headers?.get(name) ?? '';
      handler({
        reason: header(DEAD_LETTER_HEADERS.reason),
        error: header(DEAD_LETTER_HEADERS.error),
        consumer: header(DEAD_LETTER_HEADERS.consumer),
        event,
      });
    },
  });
}

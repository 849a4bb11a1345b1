import { EVENT_MAP, type EventOf, type EventSubject, parseEvent } from '@mlops/contracts';
import {
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

/** What a replay read. */
export interface ReplaySummary {
  readonly events: number;
  readonly invalid: number;
  /** The stream sequence of the last message of the subject read (0 when there was none). */
  readonly lastSequence: number;
}

/** What a replay reads: from the first message, or from the first stored at or after `since`. */
export interface ReplayOptions {
  readonly since?: Date;
  readonly onInvalid?: (reason: string, streamSequence: number) => void;
}

/**
 * Reads the events of one subject stored when called, oldest first, with an ordered consumer filtered on the
 * subject by the server (a stream's other subjects, such as the thousands of run events beside `tuning.completed`,
 * are never sent); see Bus.replayEvents.
 */
export async function replayEvents<S extends EventSubject>(
  js: JetStreamClient,
  jsm: JetStreamManager,
  subject: S,
  handler: (event: EventOf<S>, streamSequence: number) => void,
  options: ReplayOptions = {},
): Promise<ReplaySummary> {
  const stream = EVENT_MAP[subject].stream;
  let events = 0;
  let invalid = 0;
  // An ordered consumer with nothing to deliver would wait for a message forever: stop before when the subject's
  // last message is missing or older than `since`.
  const last = await jsm.streams.getMessage(stream, { last_by_subj: subject });
  if (last === null) return { events, invalid, lastSequence: 0 };
  if (options.since !== undefined && last.time.getTime() < options.since.getTime()) {
    return { events, invalid, lastSequence: 0 };
  }
  const start =
    options.since === undefined
      ? { deliver_policy: DeliverPolicy.All }
      : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: options.since.toISOString() };
  // A single filter subject (not a list) is what nats-server 2.9 takes.
  const consumer = await js.consumers.get(stream, { ...start, filter_subjects: subject });
  const messages = await consumer.consume({ max_messages: 1000 });
  let lastSequence = 0;
  try {
    for await (const m of messages) {
      lastSequence = m.info.streamSequence;
      const parsed = parseEvent(subject, safeJson(m));
      if (parsed.ok) {
        handler(parsed.event, lastSequence);
        events++;
      } else {
        invalid++;
        options.onInvalid?.(parsed.reason, lastSequence);
      }
      if (lastSequence >= last.seq || m.info.pending === 0) break;
    }
  } finally {
    await messages.close().catch(() => undefined);
  }
  return { events, invalid, lastSequence };
}

function safeJson(m: { json(): unknown }): unknown {
  try {
    return m.json();
  } catch {
    return undefined;
  }
}

/**
 * Reads the events of one subject stored now, oldest first, over a plain connection: for a tool (the CLI) that has
 * no Bus. Rejects when the subject's stream is missing.
 */
export async function readStoredEvents<S extends EventSubject>(
  nc: NatsConnection,
  subject: S,
  handler: (event: EventOf<S>, streamSequence: number) => void,
  options: ReplayOptions = {},
): Promise<ReplaySummary> {
  return await replayEvents(jetstream(nc), await jetstreamManager(nc), subject, handler, options);
}

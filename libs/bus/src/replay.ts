import { EVENT_MAP, type EventOf, type EventSubject, parseEvent } from '@mlops/contracts';
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';

/** What a replay read. */
export interface ReplaySummary {
  readonly events: number;
  readonly invalid: number;
  /** The stream sequence of the last message read (0 when the stream was empty). */
  readonly lastSequence: number;
}

/** What a replay reads: from the first message, or from the first stored at or after `since`. */
export interface ReplayOptions {
  readonly since?: Date;
  readonly onInvalid?: (reason: string, streamSequence: number) => void;
}

/** Reads the events of one subject stored when called, oldest first, with an ordered consumer; see Bus.replayEvents. */
export async function replayEvents<S extends EventSubject>(
  js: JetStreamClient,
  jsm: JetStreamManager,
  subject: S,
  handler: (event: EventOf<S>, streamSequence: number) => void,
  options: ReplayOptions = {},
): Promise<ReplaySummary> {
  const stream = EVENT_MAP[subject].stream;
  const { state } = await jsm.streams.info(stream);
  let events = 0;
  let invalid = 0;
  if (state.messages === 0) return { events, invalid, lastSequence: 0 };
  // An ordered consumer from a time after the last message would wait for one forever.
  if (options.since !== undefined && Date.parse(state.last_ts) < options.since.getTime()) {
    return { events, invalid, lastSequence: state.last_seq };
  }
  const start =
    options.since === undefined
      ? { deliver_policy: DeliverPolicy.All }
      : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: options.since.toISOString() };
  const consumer = await js.consumers.get(stream, start);
  const messages = await consumer.consume({ max_messages: 1000 });
  let lastSequence = 0;
  try {
    for await (const m of messages) {
      lastSequence = m.info.streamSequence;
      if (m.subject === subject) {
        const parsed = parseEvent(subject, safeJson(m));
        if (parsed.ok) {
          handler(parsed.event, lastSequence);
          events++;
        } else {
          invalid++;
          options.onInvalid?.(parsed.reason, lastSequence);
        }
      }
      if (lastSequence >= state.last_seq || m.info.pending === 0) break;
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

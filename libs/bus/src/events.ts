import { createHash } from 'node:crypto';
import {
  EVENT_MAP,
  type EventData,
  type EventOf,
  type EventSubject,
  MAX_EVENT_ID_LENGTH,
  makeEvent,
  parseEvent,
  REQUEST_MAP,
  type ReplyOf,
  type RequestOf,
  type RequestSubject,
} from '@mlops/contracts';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { BusMessage } from './consumer.js';
import { EventSchemaError, PoisonMessageError, ReplyError } from './errors.js';

/** How an event is identified: `key` names the fact (the envelope id, also the message id, is {@link eventId}). */
export interface EventIdentity {
  readonly key: string;
  /** The event's time. @defaultValue now */
  readonly time?: Date;
}

/** A handler per consumed subject; each receives the parsed, typed envelope. */
export type EventHandlers<S extends EventSubject> = {
  readonly [K in S]: (event: EventOf<K>, message: BusMessage) => Promise<void>;
};

/** Builds the envelope of `data` and checks it against the map, so nothing malformed ever reaches a stream. */
export function checkedEnvelope<S extends EventSubject>(
  subject: S,
  data: EventData<S>,
  identity: EventIdentity,
  source: string,
): EventOf<S> {
  const envelope = makeEvent(subject, { ...identity, key: idKey(subject, identity.key), source, data });
  const parsed = parseEvent(subject, envelope);
  if (!parsed.ok) throw new EventSchemaError(subject, parsed.reason);
  return parsed.event;
}

/** What ends an id too long to hold its key whole: `~` and the key's SHA-256 in hex. */
const DIGEST_MARK = '~';
const DIGEST_LENGTH = DIGEST_MARK.length + 64;

/**
 * The envelope id (and JetStream message id) of the fact `key` on `subject`: `<subject>:<key>`, or, when that is
 * longer than MAX_EVENT_ID_LENGTH (a key naming a long model name), its readable start ending in `~<SHA-256 of key>`.
 * Either way one key always gives one id (a repeat is de-duplicated), and two different long keys get two.
 */
export function eventId(subject: EventSubject, key: string): string {
  return `${subject}:${idKey(subject, key)}`;
}

/** The part of {@link eventId} after `<subject>:`: the key itself, or its start and its digest when too long. */
function idKey(subject: EventSubject, key: string): string {
  const room = MAX_EVENT_ID_LENGTH - subject.length - 1;
  if (key.length <= room) return key;
  const digest = createHash('sha256').update(key).digest('hex');
  return `${wholeCharacters(key, room - DIGEST_LENGTH)}${DIGEST_MARK}${digest}`;
}

/** The first `length` UTF-16 units of `text`, one fewer when the cut would split a surrogate pair. */
function wholeCharacters(text: string, length: number): string {
  const start = text.slice(0, length);
  return /[\uD800-\uDBFF]$/.test(start) ? start.slice(0, -1) : start;
}

/** The one stream every handled subject is stored in; a consumer reads exactly one stream. */
export function streamOf(subjects: readonly EventSubject[]): string {
  const streams = new Set(subjects.map((s) => EVENT_MAP[s].stream));
  const [stream] = streams;
  if (stream === undefined || streams.size !== 1) {
    throw new Error(`a consumer reads one stream: ${subjects.join(', ')} are stored in ${[...streams].join(', ')}`);
  }
  return stream;
}

/**
 * Turns a raw message into a call of its subject's handler with the parsed envelope; a subject without a handler
 * or a body that breaks its schema is poison (dead-lettered with the reason, never retried).
 */
export function dispatchEvent<S extends EventSubject>(handlers: EventHandlers<S>, durable: string) {
  return async (message: BusMessage): Promise<void> => {
    const subject = message.subject as S;
    if (!Object.hasOwn(handlers, message.subject)) {
      throw new PoisonMessageError(`${durable} has no handler for ${message.subject} #${message.streamSequence}`);
    }
    const parsed = parseEvent(subject, message.json());
    if (!parsed.ok) throw new PoisonMessageError(`${parsed.reason} (#${message.streamSequence})`);
    const handler = handlers[subject] as (event: EventOf<S>, message: BusMessage) => Promise<void>;
    await handler(parsed.event, message);
  };
}

/**
 * Follows an event subject on core NATS (no acks, no history): for watchers such as `mlops tune`'s progress.
 * A message that breaks the schema is passed to `onInvalid` and skipped.
 */
export function watchEvents<S extends EventSubject>(
  nc: NatsConnection,
  subject: S,
  handler: (event: EventOf<S>) => void,
  onInvalid: (reason: string) => void = () => undefined,
): Subscription {
  return nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) return onInvalid(err.message);
      let body: unknown;
      try {
        body = msg.json();
      } catch {
        return onInvalid(`${subject}: body is not valid JSON`);
      }
      const parsed = parseEvent(subject, body);
      if (parsed.ok) handler(parsed.event);
      else onInvalid(parsed.reason);
    },
  });
}

/**
 * Sends a core NATS request and checks the answer against the reply schema of `subject`. A string or bytes body
 * is sent as it is (what `nats request` would send); an object is sent as JSON.
 */
export async function requestReply<S extends RequestSubject>(
  nc: NatsConnection,
  subject: S,
  body: RequestOf<S> | string | Uint8Array,
  options: { timeoutMs: number },
): Promise<ReplyOf<S>> {
  const payload = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const answer = await nc.request(subject, payload, { timeout: options.timeoutMs });
  let decoded: unknown;
  try {
    decoded = answer.json();
  } catch (err) {
    throw new ReplyError(`the reply on ${subject} is not JSON`, { cause: err });
  }
  const parsed = REQUEST_MAP[subject].reply.safeParse(decoded);
  if (!parsed.success) throw new ReplyError(`the reply on ${subject} breaks its schema: ${parsed.error.message}`);
  return parsed.data as ReplyOf<S>;
}

/** Checks a reply before it is sent, so a requester never receives a malformed answer. */
export function checkedReply<S extends RequestSubject>(subject: S, reply: ReplyOf<S>): ReplyOf<S> {
  const parsed = REQUEST_MAP[subject].reply.safeParse(reply);
  if (!parsed.success) throw new ReplyError(`the reply on ${subject} breaks its schema: ${parsed.error.message}`);
  return parsed.data as ReplyOf<S>;
}

/**
 * `@mlops/bus`: NATS JetStream for the services — connection with reconnect, idempotent provisioning,
 * de-duplicated publishing, consuming with ack/nak/term semantics and dead letters, request serving, drain.
 */

export type { BlobOptions, Blobs } from './blobs.js';
export type { Bus, BusOptions, PublishResult } from './bus.js';
export { connectBus } from './bus.js';
export type { BusMessage, ConsumeOptions, ConsumerHandle, HeldMessage } from './consumer.js';
export type { DeadLetter } from './dead-letters.js';
export { DEAD_LETTER_HEADERS, deadLetterSubject, watchDeadLetters } from './dead-letters.js';
export {
  BusError,
  ConnectError,
  EventSchemaError,
  NatsSecurityError,
  PoisonMessageError,
  PublishError,
  ReplyError,
  StorageRefusedError,
  TransientError,
} from './errors.js';
export type { EventHandlers, EventIdentity } from './events.js';
export { eventId, requestReply, watchEvents } from './events.js';
export type { Lease, LeaseEntry } from './leases.js';
export type { BusLogger } from './logger.js';
export type { MarkSets } from './mark-sets.js';
export type { ConsumerSpec, StreamSpec } from './provisioning.js';
export { DEAD_LETTER_STREAM } from './provisioning.js';
export type { ReplayOptions, ReplaySummary } from './replay.js';
export { readStoredEvents } from './replay.js';
export type { NatsSecurity } from './security.js';
export { securityOptions, shownServer } from './security.js';

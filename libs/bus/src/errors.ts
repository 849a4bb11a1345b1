/** Base class of the bus's own errors. */
export class BusError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Throw from a handler when retrying later may succeed (a dependency is down): the message is nak'ed with backoff. */
export class TransientError extends BusError {}

/** Throw from a handler for a message that can never succeed (bad JSON, wrong schema): it is dead-lettered and terminated. */
export class PoisonMessageError extends BusError {}

/** A JetStream publish that failed after its retries. */
export class PublishError extends BusError {
  constructor(
    readonly subject: string,
    readonly msgId: string | undefined,
    options?: ErrorOptions,
  ) {
    super(`publish to ${subject}${msgId === undefined ? '' : ` (msg id ${msgId})`} failed`, options);
  }
}

/**
 * nats-server refused a stream or bucket for want of JetStream storage: it reserves every stream's size limit against
 * its `max_file_store` (75 % of the free disk by default), so the message names the limit and how to make room.
 */
export class StorageRefusedError extends BusError {}

/** The first connection to NATS failed for good (refused credentials or certificates, bad settings). */
export class ConnectError extends BusError {}

/** The NATS security settings cannot be used (an unreadable creds file, half a key pair). */
export class NatsSecurityError extends BusError {}

/** An event that does not match its subject's schema in the event map: a programming error, never published. */
export class EventSchemaError extends BusError {
  constructor(
    readonly subject: string,
    readonly reason: string,
  ) {
    super(`refusing to publish ${subject}: ${reason}`);
  }
}

/** A request/reply answer that is missing, not JSON or breaks its schema. */
export class ReplyError extends BusError {}

import type { Envelope, Subject, TuneReply } from '@mlops/contracts';

/** What the trainer needs from the bus (implemented over @mlops/bus in adapters/nats-bus.ts). */
export interface TrainerBus {
  /** Creates the streams and the durable work consumer if missing (idempotent). */
  provision(): Promise<void>;
  /** JetStream publish; the envelope id is the message id, so a re-publish is de-duplicated. */
  publishEvent(subject: Subject, event: Envelope<unknown>): Promise<void>;
  /** A core queue subscription answering request/reply; a message without reply subject is handled all the same. */
  serveRequests(subject: string, queue: string, handle: (body: Uint8Array) => Promise<TuneReply>): Stoppable;
  /** Consumes the durable work queue; a handler error is retried later, invalid messages are dead-lettered. */
  consumeWork(handle: (body: unknown, heartbeat: () => void) => Promise<void>): Stoppable;
  /** Drains the connection (after every consumer stopped). */
  close(): Promise<void>;
}

/** Something running that can be stopped, waiting for in-flight work. */
export interface Stoppable {
  stop(): Promise<void>;
}

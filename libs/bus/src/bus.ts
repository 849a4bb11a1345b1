import { setTimeout as sleep } from 'node:timers/promises';
import {
  EVENT_MAP,
  type EventData,
  type EventOf,
  type EventSubject,
  parseEvent,
  type ReplyOf,
  type RequestSubject,
} from '@mlops/contracts';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  connect,
  type NatsConnection,
  type NodeConnectionOptions,
  headers as natsHeaders,
  type Subscription,
} from '@nats-io/transport-node';
import { type BlobOptions, type Blobs, blobs } from './blobs.js';
import { type BusMessage, type ConsumeOptions, type ConsumerHandle, startConsuming } from './consumer.js';
import { ConnectError, PublishError } from './errors.js';
import {
  checkedEnvelope,
  checkedReply,
  dispatchEvent,
  type EventHandlers,
  type EventIdentity,
  streamOf,
} from './events.js';
import { type Lease, leases } from './leases.js';
import type { BusLogger } from './logger.js';
import { type MarkSets, markSets } from './mark-sets.js';
import {
  type ConsumerSpec,
  DEAD_LETTER_STREAM,
  ensureConsumer,
  ensureStream,
  removeConsumer,
  type StreamSpec,
  whileClusterSettles,
} from './provisioning.js';
import { type ReplayOptions, type ReplaySummary, replayEvents } from './replay.js';
import { type NatsSecurity, securityOptions, shownServer } from './security.js';
import { envelopeBytes } from './wire.js';

/** How to reach NATS. */
export interface BusOptions {
  readonly servers: string | readonly string[];
  /** Connection name shown by the server (service and instance). */
  readonly name: string;
  /** The CloudEvents `source` of every event this connection publishes. @defaultValue `mlops/<name>` */
  readonly source?: string;
  readonly logger: BusLogger;
  /** Publish attempts before PublishError, 200 ms doubling between them (at most 5 s). @defaultValue 5 */
  readonly publishAttempts?: number;
  /** Credentials and TLS; none for an open server. */
  readonly security?: NatsSecurity | undefined;
  /**
   * Replicas of the streams and key-value buckets this connection creates (3 on a 3-node cluster); an existing stream
   * keeps its own. @defaultValue 1
   */
  readonly streamReplicas?: number;
}

/** The result of a JetStream publish. */
export interface PublishResult {
  readonly stream: string;
  readonly seq: number;
  /** True when the message id was already stored inside the duplicate window (nothing new was stored). */
  readonly duplicate: boolean;
}

/** One NATS connection with JetStream, provisioning, de-duplicated publishing, consuming and request serving. */
export interface Bus {
  readonly connection: NatsConnection;
  ensureStream(spec: StreamSpec): Promise<void>;
  ensureConsumer(stream: string, spec: ConsumerSpec): Promise<void>;
  /** Deletes a durable consumer and what it had left to deliver (none there, or no such stream: nothing to do). */
  removeConsumer(stream: string, durable: string): Promise<void>;
  /** Provisions the dead-letter stream every consume loop writes to. */
  ensureDeadLetterStream(): Promise<void>;
  /**
   * Publishes an event of the map: wrapped in its envelope, checked against its schema on the way out
   * (EventSchemaError, never sent, when it breaks it) and de-duplicated on `<subject>:<key>`.
   */
  publishEvent<S extends EventSubject>(subject: S, data: EventData<S>, identity: EventIdentity): Promise<PublishResult>;
  /**
   * Consumes a durable consumer's events, each parsed and handed to its subject's handler. The stream follows from
   * the subjects; a body that breaks its schema, or a subject with no handler, is dead-lettered with the reason. A
   * handler error is retried later (logged as a failure, or in one line when the error has `retryLater: true`: the
   * message only came before what it needs).
   */
  consumeEvents<S extends EventSubject>(
    durable: string,
    handlers: EventHandlers<S>,
    options?: ConsumeOptions,
  ): Promise<ConsumerHandle>;
  /**
   * A core queue subscription answering a request subject of the map; each reply is checked before it is sent.
   * Resolves once the server has the subscription, so a request sent after it finds a responder.
   */
  serve<S extends RequestSubject>(
    subject: S,
    queue: string,
    handler: (data: Uint8Array) => Promise<ReplyOf<S>>,
  ): Promise<ConsumerHandle>;
  /**
   * Reads every event of `subject` stored now, oldest first (an ordered consumer, no acks), and resolves when it
   * reached the last one: how a service rebuilds state from a stream at start. Bodies breaking the schema go to
   * `onInvalid`.
   */
  replayEvents<S extends EventSubject>(
    subject: S,
    handler: (event: EventOf<S>, streamSequence: number) => void,
    options?: ReplayOptions,
  ): Promise<ReplaySummary>;
  /**
   * Single-flight leases in a JetStream key-value bucket whose entries expire after `ttlMs`: a holder that dies
   * cannot keep one longer than that. Creates the bucket when missing.
   */
  leases(bucket: string, options: { ttlMs: number }): Promise<Lease>;
  /** Sets marked member by member (idempotent puts, no compare-and-set) in a key-value bucket, created when missing. */
  markSets(bucket: string, options: { ttlMs: number }): Promise<MarkSets>;
  /** Byte strings too big for a message, in a JetStream object store bucket created when missing. */
  blobs(bucket: string, options: Omit<BlobOptions, 'replicas'>): Promise<Blobs>;
  /**
   * The last stored event of `subject`, parsed; undefined when there is none (or it breaks the schema, logged). Rejects
   * when the stream cannot say (missing, or not answering once a cluster had 30 s to settle).
   */
  lastEvent<S extends EventSubject>(subject: S): Promise<EventOf<S> | undefined>;
  /**
   * The event of `subject` stored at `streamSequence` of its stream (a handler's `message.streamSequence`), parsed:
   * how a service reads back an event it chose not to keep. Undefined when that sequence is gone, holds another
   * subject or breaks the schema; a failure to ask (NATS away) is thrown.
   */
  storedEvent<S extends EventSubject>(subject: S, streamSequence: number): Promise<EventOf<S> | undefined>;
  /** Raw bytes to any subject, unchecked: only for tests and tools that must send what the map forbids. */
  publishRaw(subject: string, data: string | Uint8Array, options: { msgId: string }): Promise<PublishResult>;
  /** Raw messages of any stream, unparsed: only for tests and tools (services use consumeEvents). */
  consumeRaw(
    stream: string,
    durable: string,
    handler: (m: BusMessage) => Promise<void>,
    options?: ConsumeOptions,
  ): Promise<ConsumerHandle>;
  /** Stops every consume loop and subscription, then drains the connection. Idempotent. */
  close(): Promise<void>;
}

/** Connects with unlimited reconnects and logs connection status changes. */
export async function connectBus(options: BusOptions): Promise<Bus> {
  const servers = typeof options.servers === 'string' ? options.servers.split(',') : [...options.servers];
  const log = options.logger.child({ module: 'bus' });
  const nc = await connectPatiently(
    {
      servers,
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      // An async stack trace per request costs ~25 µs a publish (measured on the prediction log); errors still say
      // what failed, from where the bus calls.
      noAsyncTraces: true,
      timeout: 10_000,
      ...securityOptions(options.security),
    },
    log,
  );
  void watchStatus(nc, log);
  // JetStream may still be electing its meta leader (a cluster starting with the services): ask again for a while.
  const jsm = await whileClusterSettles(() => jetstreamManager(nc));
  return createBus(nc, jsm, jetstream(nc), options, log);
}

/**
 * Connects, waiting while no server answers (a service started before nats-server waits for it), but failing at
 * once with a ConnectError when a server answers and refuses us (credentials, certificates): waiting cannot help.
 */
async function connectPatiently(options: NodeConnectionOptions, log: BusLogger): Promise<NatsConnection> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect(options);
    } catch (err) {
      if (!unreachable(err)) {
        const where = [options.servers ?? []].flat().map(shownServer).join(', ');
        const hint =
          (err as Error).name === 'TimeoutError' && options.tls !== undefined
            ? ' (the TLS handshake did not finish: does the server want a client certificate, NATS_CERT and NATS_KEY?)'
            : '';
        throw new ConnectError(`cannot connect to NATS at ${where}: ${(err as Error).message}${hint}`, { cause: err });
      }
      if (attempt === 1) log.warn({ err: (err as Error).message }, 'NATS is not reachable yet: waiting for it');
      await sleep(500);
    }
  }
}

function unreachable(err: unknown): boolean {
  const e = err as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  const text = `${e.message} ${e.code} ${e.cause?.code} ${e.cause?.message}`;
  return /ECONNREFUSED|CONNECTION_REFUSED|ENOTFOUND|EHOSTUNREACH|EAI_AGAIN/.test(text);
}

async function watchStatus(nc: NatsConnection, log: BusLogger): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === 'disconnect' || status.type === 'reconnect')
      log.warn({ status: status.type }, 'nats connection');
  }
}

function createBus(
  nc: NatsConnection,
  jsm: JetStreamManager,
  js: JetStreamClient,
  options: BusOptions,
  log: BusLogger,
): Bus {
  const handles: ConsumerHandle[] = [];
  let closing: Promise<void> | undefined;
  const source = options.source ?? `mlops/${options.name}`;
  const replicas = options.streamReplicas ?? 1;
  const publishRaw = (subject: string, data: string | Uint8Array, msgId: string) =>
    publishWithRetry(js, { subject, data, msgId }, options.publishAttempts ?? 5, log);
  const consumeRaw = async (
    stream: string,
    durable: string,
    handler: (m: BusMessage) => Promise<void>,
    consumeOptions: ConsumeOptions = {},
  ) => {
    // One attempt, no settle loop (30 s of retried timeouts while NATS is away): a failed dead letter is tried again
    // with its message anyway, and a stopping consumer must not wait for it.
    const restoreDeadLetters = () => ensureStream(jsm, DEAD_LETTER_STREAM, replicas);
    const handle = await startConsuming(js, stream, durable, handler, { ...consumeOptions, restoreDeadLetters }, log);
    handles.push(handle);
    return handle;
  };
  return {
    connection: nc,
    ensureStream: (spec) => whileClusterSettles(() => ensureStream(jsm, spec, replicas)),
    ensureConsumer: (stream, spec) => whileClusterSettles(() => ensureConsumer(jsm, stream, spec)),
    removeConsumer: (stream, durable) => whileClusterSettles(() => removeConsumer(jsm, stream, durable)),
    ensureDeadLetterStream: () => whileClusterSettles(() => ensureStream(jsm, DEAD_LETTER_STREAM, replicas)),
    async publishEvent(subject, data, identity) {
      const envelope = checkedEnvelope(subject, data, identity, source);
      return await publishRaw(subject, envelopeBytes(envelope, EVENT_MAP[subject].packed), envelope.id);
    },
    async consumeEvents(durable, handlers, consumeOptions) {
      const stream = streamOf(Object.keys(handlers) as EventSubject[]);
      return await consumeRaw(stream, durable, dispatchEvent(handlers, durable), consumeOptions);
    },
    async serve(subject, queue, handler) {
      const handle = serveRequests(nc, subject, queue, async (data) => checkedReply(subject, await handler(data)), log);
      handles.push(handle);
      // The round trip after the SUB: the server processes a connection's protocol in order.
      await nc.flush();
      return handle;
    },
    replayEvents: (subject, handler, replayOptions) => replayEvents(js, jsm, subject, handler, replayOptions),
    leases: (bucket, leaseOptions) => whileClusterSettles(() => leases(nc, bucket, { ...leaseOptions, replicas })),
    markSets: (bucket, setOptions) => whileClusterSettles(() => markSets(nc, jsm, bucket, { ...setOptions, replicas })),
    blobs: (bucket, blobOptions) => whileClusterSettles(() => blobs(nc, bucket, { ...blobOptions, replicas })),
    async lastEvent(subject) {
      // Only "no such message" is none: a timeout or a missing stream must not pass for an empty history.
      const stored = await whileClusterSettles(() =>
        jsm.streams.getMessage(EVENT_MAP[subject].stream, { last_by_subj: subject }),
      );
      if (stored === null) return undefined;
      const parsed = parseEvent(subject, stored.json());
      if (!parsed.ok) log.warn({ subject, seq: stored.seq }, 'last stored event breaks its schema: read as none');
      return parsed.ok ? parsed.event : undefined;
    },
    async storedEvent(subject, streamSequence) {
      const stored = await jsm.streams.getMessage(EVENT_MAP[subject].stream, { seq: streamSequence });
      if (stored === null || stored.subject !== subject) return undefined;
      const parsed = parseEvent(subject, stored.json());
      return parsed.ok ? parsed.event : undefined;
    },
    publishRaw: (subject, data, { msgId }) => publishRaw(subject, data, msgId),
    consumeRaw,
    close() {
      closing ??= (async () => {
        for (const handle of handles) await handle.stop();
        await nc.drain().catch(() => undefined);
      })();
      return closing;
    },
  };
}

/** The wait before publish attempt `attempt + 1`: 200 ms doubled per failed attempt, at most 5 s. */
function publishRetryDelayMs(attempt: number): number {
  return Math.min(200 * 2 ** (attempt - 1), 5000);
}

/**
 * Publishes with a message id, `attempts` times at most, waiting {@link publishRetryDelayMs} between attempts (none
 * after the last: 200 + 400 + 800 + 1,600 ms over 5 attempts), then throws PublishError.
 */
export async function publishWithRetry(
  js: JetStreamClient,
  message: { readonly subject: string; readonly data: string | Uint8Array; readonly msgId: string },
  attempts: number,
  log: BusLogger,
  wait: (ms: number) => Promise<unknown> = sleep,
): Promise<PublishResult> {
  const { subject, data, msgId } = message;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const ack = await js.publish(subject, data, { msgID: msgId, headers: natsHeaders() });
      return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
    } catch (err) {
      lastError = err;
      if (attempt === attempts) break;
      log.warn({ err, subject, msg_id: msgId, attempt }, 'publish failed: retrying');
      await wait(publishRetryDelayMs(attempt));
    }
  }
  log.warn({ err: lastError, subject, msg_id: msgId, attempts }, 'publish failed: giving up');
  throw new PublishError(subject, msgId, { cause: lastError });
}

function serveRequests(
  nc: NatsConnection,
  subject: string,
  queue: string,
  handler: (data: Uint8Array) => Promise<unknown>,
  log: BusLogger,
): ConsumerHandle {
  const inFlight = new Set<Promise<void>>();
  const sub: Subscription = nc.subscribe(subject, {
    queue,
    callback: (err, msg) => {
      if (err) {
        log.error({ err, subject }, 'subscription error');
        return;
      }
      const task = handler(msg.data)
        .then((answer) => {
          if (msg.reply) msg.respond(JSON.stringify(answer));
        })
        .catch((handlerErr: unknown) => {
          log.error({ err: handlerErr, subject }, 'request handler failed');
          if (msg.reply) msg.respond(JSON.stringify({ status: 'error', message: 'internal error, retry later' }));
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
    },
  });
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        await sub.drain().catch(() => undefined);
        await Promise.allSettled([...inFlight]);
      })();
      return stopping;
    },
  };
}

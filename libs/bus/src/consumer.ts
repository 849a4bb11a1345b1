import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { DEAD_LETTER_HEADERS, deadLetterSubject } from './dead-letters.js';
import { PoisonMessageError } from './errors.js';
import type { BusLogger } from './logger.js';

/** A message handed to a handler, with its delivery facts. */
export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly deliveryCount: number;
  readonly streamSequence: number;
  /** The publisher's message id (`Nats-Msg-Id`), if any. */
  readonly msgId: string | undefined;
  /** Parses the body as JSON; bad JSON throws PoisonMessageError (never retried). */
  json(): unknown;
  /** Extends the ack deadline (long handlers also get it called periodically). */
  working(): void;
  /** Aborted when the consume loop is stopping: a handler waiting for something should give up (and throw). */
  readonly signal: AbortSignal;
  /**
   * Keeps the message unacknowledged after the handler returns, for work that completes later (a monitoring window):
   * the caller settles it. Unsettled, it is redelivered after the consumer's ack wait (no keep-alive while held).
   */
  hold(): HeldMessage;
}

/** A message whose handler returned but whose work is not done: settle it exactly once. */
export interface HeldMessage {
  readonly streamSequence: number;
  /** Acknowledges and waits for the server's confirmation (so a crash right after cannot bring it back). */
  ack(): Promise<void>;
  /** Asks for redelivery after `delayMs`. */
  nak(delayMs?: number): void;
}

/** Options of a consume loop. */
export interface ConsumeOptions {
  /** Handlers in flight at most. @defaultValue 1 */
  readonly concurrency?: number;
  /** Must equal the consumer's max_deliver: the last failed attempt is dead-lettered. @defaultValue 5 */
  readonly maxDeliver?: number;
  /** The consumer's ack wait: `working()` is sent every third of it while a handler runs. @defaultValue 30000 */
  readonly ackWaitMs?: number;
  /** First retry delay, doubled per delivery up to 30 s. @defaultValue 500 */
  readonly retryBaseMs?: number;
  /**
   * Messages pulled ahead (handlers still run at most `concurrency` at once). At most `concurrency`: nothing waits
   * unseen (one pull per free handler, or for a single handler a continuous pull that asks for the next message only
   * after the handler). Above it, a continuous pull whose extra messages wait in the client without keep-alive, so the
   * ack wait must cover their wait (the monitor's windows). @defaultValue concurrency
   */
  readonly prefetch?: number;
}

/** A running consume loop. */
export interface ConsumerHandle {
  /** Stops pulling, waits for in-flight handlers to ack or nak, then resolves. Idempotent. */
  stop(): Promise<void>;
}

type Handler = (message: BusMessage) => Promise<void>;

/**
 * How long one pull waits on the server. The client expects a heartbeat every half of it and pulls again after two
 * are missed, which is how a consume recovers when its consumer's leader moves (a 409 leaves the pull unanswered):
 * 10 s bounds that to ~10 s where the client's default (30 s) took up to a minute.
 */
const PULL_EXPIRES_MS = 10_000;

/**
 * The ack semantics every service relies on: success → ack; PoisonMessageError → dead letter + term;
 * any other error → nak with exponential delay, and on the last allowed delivery dead letter + term.
 */
export async function startConsuming(
  js: JetStreamClient,
  stream: string,
  durable: string,
  handler: Handler,
  options: ConsumeOptions & { readonly restoreDeadLetters?: () => Promise<void> },
  logger: BusLogger,
): Promise<ConsumerHandle> {
  const consumer: Consumer = await js.consumers.get(stream, durable);
  const concurrency = options.concurrency ?? 1;
  const log = logger.child({ stream, durable });
  const prefetch = options.prefetch ?? concurrency;
  // One at a time, the continuous pull asks for the next message only once the loop reads on, after the handler:
  // nothing waits unseen, and one subscription serves every message (a pull per message costs a new one each).
  const run = prefetch > concurrency || (concurrency === 1 && prefetch === 1) ? consumeAhead : consumeBySlot;
  return await run(consumer, (m, signal) => handleOne(js, m, handler, { ...options, signal }, log), {
    concurrency,
    prefetch,
    log,
  });
}

type Handle = (m: JsMsg, signal: AbortSignal) => Promise<void>;
type LoopOptions = { readonly concurrency: number; readonly prefetch: number; readonly log: BusLogger };

/**
 * One pull of one message per free handler slot: nothing waits in the client's buffer, where no keep-alive reaches it
 * (a message that sat there longer than the ack wait, behind long handlers, was delivered again and handled twice).
 */
async function consumeBySlot(consumer: Consumer, handle: Handle, options: LoopOptions): Promise<ConsumerHandle> {
  const stopping = new AbortController();
  const pulls = new Set<ConsumerMessages>();
  const slot = async () => {
    for (let failures = 0; !stopping.signal.aborted; ) {
      try {
        const m = await nextMessage(consumer, pulls, stopping.signal);
        failures = 0;
        if (m !== undefined) await handle(m, stopping.signal);
      } catch (err) {
        if (stopping.signal.aborted) break;
        failures++;
        options.log[failures > 2 ? 'warn' : 'debug']({ err, failures }, 'pull failed: pulling again');
        await sleep(Math.min(250 * failures, 2000), undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  };
  const slots = Array.from({ length: options.concurrency }, slot);
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        // Not awaited: a pull closes once its iteration sees the close.
        for (const pull of pulls) void pull.close().catch(() => undefined);
        await Promise.allSettled(slots);
      })();
      return stopped;
    },
  };
}

/**
 * One message from one pull, or undefined when the pull expired empty or the loop is stopping. The pull ends as soon
 * as its message is taken (leaving the iteration stops it and its heartbeat watch), before the handler runs.
 */
async function nextMessage(
  consumer: Consumer,
  pulls: Set<ConsumerMessages>,
  signal: AbortSignal,
): Promise<JsMsg | undefined> {
  const pull = await consumer.fetch({ max_messages: 1, expires: PULL_EXPIRES_MS });
  pulls.add(pull);
  try {
    if (signal.aborted) {
      void pull.close().catch(() => undefined);
      return undefined;
    }
    for await (const m of pull) return m;
    return undefined;
  } finally {
    pulls.delete(pull);
  }
}

/**
 * A continuous pull of `prefetch` messages: for a single handler pulling one, the next is asked for only after it;
 * for consumers that hold many at once (the monitor's windows), up to `prefetch` may wait in the client for a slot,
 * so their ack wait must cover that.
 */
async function consumeAhead(consumer: Consumer, handle: Handle, options: LoopOptions): Promise<ConsumerHandle> {
  const messages: ConsumerMessages = await consumer.consume({
    max_messages: options.prefetch,
    expires: PULL_EXPIRES_MS,
  });
  const inFlight = new Set<Promise<void>>();
  void logNotifications(messages, options.log);
  const stopping = new AbortController();
  const loop = (async () => {
    for await (const m of messages) {
      const task = handle(m, stopping.signal).finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    }
  })();
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await messages.close().catch(() => undefined);
        await loop.catch(() => undefined);
        await Promise.allSettled([...inFlight]);
      })();
      return stopped;
    },
  };
}

/** What the client tells about its pulls (missed heartbeats, 409s, resets): warnings when it may stall, debug else. */
async function logNotifications(messages: ConsumerMessages, log: BusLogger): Promise<void> {
  for await (const note of messages.status()) {
    if (note.type === 'next' || note.type === 'heartbeat') continue;
    const stalling = note.type === 'heartbeats_missed' || note.type.endsWith('not_found');
    log[stalling ? 'warn' : 'debug']({ notification: note }, `consumer notification: ${note.type}`);
  }
}

type HandleOptions = ConsumeOptions & {
  readonly signal: AbortSignal;
  /**
   * Creates DEAD_LETTERS again when a dead letter could not be stored (the stream deleted since the start): one bounded
   * attempt, not awaited past the loop's stop.
   */
  readonly restoreDeadLetters?: () => Promise<void>;
};

async function handleOne(js: JetStreamClient, m: JsMsg, handler: Handler, options: HandleOptions, log: BusLogger) {
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const keepAlive = setInterval(() => m.working(), Math.max(1000, ackWaitMs / 3));
  const context = { subject: m.subject, seq: m.info.streamSequence, delivery: m.info.deliveryCount };
  let held = false;
  const hold = () => {
    held = true;
    return heldMessage(m);
  };
  try {
    await handler(toBusMessage(m, options.signal, hold));
    if (!held) m.ack();
  } catch (err) {
    const maxDeliver = options.maxDeliver ?? 5;
    const delay = retryDelay(options, m.info.deliveryCount);
    if (err instanceof PoisonMessageError || m.info.deliveryCount >= maxDeliver) {
      const reason = err instanceof PoisonMessageError ? 'poison' : 'max-deliveries';
      log.error({ ...context, err, reason }, 'message dead-lettered');
      await giveUp(js, m, { reason, err, lastDelivery: m.info.deliveryCount >= maxDeliver, delay }, options, log);
    } else {
      if (waitsForOrder(err)) log.info({ ...context, waits: err.message, retry_in_ms: delay }, 'not yet: will retry');
      else log.warn({ ...context, err, retry_in_ms: delay }, 'handler failed: will retry');
      m.nak(delay);
    }
  } finally {
    clearInterval(keepAlive);
  }
}

/** The nak delay of a delivery: the first retry delay, doubled per delivery up to 30 s. */
function retryDelay(options: ConsumeOptions, deliveryCount: number): number {
  return Math.min((options.retryBaseMs ?? 500) * 2 ** (deliveryCount - 1), 30_000);
}

/** Why a message is given up on, and how long to wait before trying to store its dead letter again. */
type Verdict = {
  readonly reason: string;
  readonly err: unknown;
  readonly lastDelivery: boolean;
  readonly delay: number;
};

/**
 * Stores the dead letter, then terminates the message: never terminated before its dead letter is stored. When the
 * dead-letter stream cannot take it (missing, NATS away), the message is nak'ed to come again, except on its last
 * delivery, which the server would not deliver again: that one is kept here, alive, and its dead letter tried again
 * until stored or the loop stops.
 */
async function giveUp(js: JetStreamClient, m: JsMsg, verdict: Verdict, options: HandleOptions, log: BusLogger) {
  const context = { subject: m.subject, seq: m.info.streamSequence, delivery: m.info.deliveryCount };
  for (;;) {
    try {
      await deadLetter(js, m, verdict.reason, verdict.err);
      // A plain +TERM: nats-server 2.9 ignores `+TERM <reason>` and redelivers; the reason is in the dead letter.
      m.term();
      return;
    } catch (err) {
      const failed = { ...context, err, retry_in_ms: verdict.delay };
      await restoreUnlessStopping(options, (restoreErr) =>
        log.error({ ...context, err: restoreErr }, 'dead-letter stream could not be created again'),
      );
      if (verdict.lastDelivery && !options.signal.aborted) {
        log.error(failed, 'dead-letter publish failed: message kept unacknowledged (last delivery), trying again');
        await sleep(verdict.delay, undefined, { signal: options.signal }).catch(() => undefined);
        continue;
      }
      m.nak(verdict.delay);
      log.error(failed, verdict.lastDelivery ? NAKED_SPENT : NAKED);
      return;
    }
  }
}

/**
 * Creates the dead-letter stream again, waiting for it only until the loop stops: a stop never waits on it (NATS away,
 * its requests time out), and none is started once stopping (the message is nak'ed then, whatever it would do).
 */
async function restoreUnlessStopping(options: HandleOptions, onError: (err: unknown) => void): Promise<void> {
  if (options.restoreDeadLetters === undefined || options.signal.aborted) return;
  await untilAborted(options.restoreDeadLetters().catch(onError), options.signal);
}

/** Waits for `work`, or only until `signal` aborts (`work` then goes on alone, unwatched: it must not reject). */
async function untilAborted(work: Promise<void>, signal: AbortSignal): Promise<void> {
  let onAbort = () => {};
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

const NAKED = "dead-letter publish failed: message not terminated but nak'ed, it comes again";
const NAKED_SPENT =
  "dead-letter publish failed while stopping: message nak'ed, but its deliveries are spent: it stays unacknowledged in its stream, delivered no more";

/**
 * A handler's error that only says its message came before what it needs (`retryLater: true`, e.g. a trial before
 * its tuning's start): ordinary on a stream read in parallel, so it is logged in a line, not as a failure with a stack.
 */
function waitsForOrder(err: unknown): err is Error {
  return err instanceof Error && (err as { retryLater?: unknown }).retryLater === true;
}

function heldMessage(m: JsMsg): HeldMessage {
  return {
    streamSequence: m.info.streamSequence,
    async ack() {
      await m.ackAck();
    },
    nak: (delayMs) => m.nak(delayMs),
  };
}

function toBusMessage(m: JsMsg, signal: AbortSignal, hold: () => HeldMessage): BusMessage {
  return {
    subject: m.subject,
    data: m.data,
    deliveryCount: m.info.deliveryCount,
    streamSequence: m.info.streamSequence,
    msgId: m.headers?.get('Nats-Msg-Id') || undefined,
    json() {
      try {
        return m.json();
      } catch (err) {
        throw new PoisonMessageError(`body of ${m.subject} #${m.info.streamSequence} is not valid JSON`, {
          cause: err,
        });
      }
    },
    working: () => m.working(),
    signal,
    hold,
  };
}

/**
 * Republishes the original bytes to `deadletter.<subject>` with headers saying why, where they came from and which
 * durable consumer gave up on them.
 */
async function deadLetter(js: JetStreamClient, m: JsMsg, reason: string, err: unknown): Promise<void> {
  const h = natsHeaders();
  h.set(DEAD_LETTER_HEADERS.reason, reason);
  h.set(
    DEAD_LETTER_HEADERS.error,
    String((err as Error)?.message ?? err)
      .replace(/\s+/g, ' ')
      .slice(0, 1000),
  );
  h.set(DEAD_LETTER_HEADERS.subject, m.subject);
  h.set(DEAD_LETTER_HEADERS.stream, m.info.stream);
  h.set(DEAD_LETTER_HEADERS.sequence, String(m.info.streamSequence));
  h.set(DEAD_LETTER_HEADERS.deliveries, String(m.info.deliveryCount));
  h.set(DEAD_LETTER_HEADERS.consumer, m.info.consumer);
  // One dead letter per consumer that gave up: each durable's verdict is kept, a repeat of one is dropped.
  await js.publish(deadLetterSubject(m.subject), m.data, {
    headers: h,
    msgID: `deadletter:${m.info.stream}:${m.info.consumer}:${m.info.streamSequence}`,
  });
}

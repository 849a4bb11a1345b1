import { randomUUID } from 'node:crypto';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Bus, type BusLogger, type BusMessage, connectBus, DEAD_LETTER_STREAM } from '../src/index.js';

// A server of its own: these tests delete DEAD_LETTERS, which every other test's consumers write to.

const silent: BusLogger = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent };
let nats: NatsServerHandle;
let bus: Bus;
let stream: string;
let subject: string;

async function waitFor(check: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The stream that keeps DEAD_LETTERS from being created while it exists. */
const BLOCKER = 'DEAD_LETTER_BLOCKER';

async function deadLetter() {
  const jsm = await jetstreamManager(bus.connection);
  return jsm.streams.getMessage(DEAD_LETTER_STREAM.name, { last_by_subj: `deadletter.${subject}` }).catch(() => null);
}

/** What the consumer still has to settle: delivered and not acknowledged or terminated. */
async function unsettled(durable: string): Promise<number> {
  const jsm = await jetstreamManager(bus.connection);
  return (await jsm.consumers.info(stream, durable)).num_ack_pending;
}

beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  await nats?.stop();
});
beforeEach(async () => {
  bus = await connectBus({ servers: nats.url, name: 'dead-letter-outage-test', logger: silent });
  stream = `S_${randomUUID().slice(0, 8)}`;
  subject = `test.${randomUUID().slice(0, 8)}`;
  await bus.ensureStream({ name: stream, subjects: [subject] });
  await bus.ensureDeadLetterStream();
  const jsm = await jetstreamManager(bus.connection);
  await jsm.streams.delete(DEAD_LETTER_STREAM.name);
  // A stream on another dead-letter subject: DEAD_LETTERS (deadletter.>) cannot be created beside it, so nothing
  // stores a dead letter until it goes.
  await jsm.streams.add({ name: BLOCKER, subjects: ['deadletter.blocker'] });
});
afterEach(async () => {
  await bus.close();
});

describe('a consumer whose dead-letter stream is missing and cannot be created', () => {
  it.each([
    ['a poison message', 'poison', (m: BusMessage) => void m.json(), 'not json'],
    [
      'a message out of deliveries',
      'max-deliveries',
      () => {
        throw new Error('always fails');
      },
      '{}',
    ],
  ])(
    'when it gives up on %s, then the message is kept unsettled, and lands in DEAD_LETTERS once the consumer can create it again',
    async (_what, reason, fail, body) => {
      const durable = `c-${randomUUID().slice(0, 8)}`;
      await bus.ensureConsumer(stream, { durable, ackWaitMs: 2000, maxDeliver: 2 });
      const deliveries: number[] = [];
      const handle = await bus.consumeRaw(
        stream,
        durable,
        async (m) => {
          deliveries.push(m.deliveryCount);
          fail(m);
        },
        { maxDeliver: 2, ackWaitMs: 2000, retryBaseMs: 50 },
      );
      await bus.publishRaw(subject, body, { msgId: randomUUID() });
      await waitFor(() => deliveries.length === 2);
      // Longer than the ack wait (2 s): a message held without keep-alive, or terminated, would show by now.
      await pause(2500);
      expect(await unsettled(durable)).toBe(1);
      expect(await deadLetter()).toBeNull();
      await (await jetstreamManager(bus.connection)).streams.delete(BLOCKER);
      await waitFor(async () => (await deadLetter()) !== null);
      const letter = await deadLetter();
      expect([letter?.string(), letter?.header.get('Mlops-Dead-Letter-Reason')]).toEqual([body, reason]);
      expect(letter?.header.get('Mlops-Consumer')).toBe(durable);
      await waitFor(async () => (await unsettled(durable)) === 0);
      expect(deliveries).toEqual([1, 2]);
      await handle.stop();
    },
    30_000,
  );
});

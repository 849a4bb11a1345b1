import { randomUUID } from 'node:crypto';
import { type NatsServerHandle, startNatsServer, within } from '@mlops/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type Bus, type BusLogger, connectBus } from '../src/index.js';

// A server of its own: the test stops it.

const silent: BusLogger = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent };
let nats: NatsServerHandle | undefined;
let bus: Bus | undefined;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(async () => {
  await bus?.close();
  await nats?.stop();
  bus = undefined;
  nats = undefined;
}, 60_000);

describe('a consumer stopping while NATS is away', () => {
  it('when a message on its last delivery cannot store its dead letter, then stop() resolves within seconds, not after the dead-letter stream restore gave up', async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url, name: 'dead-letter-stop-test', logger: silent });
    const stream = `S_${randomUUID().slice(0, 8)}`;
    const subject = `test.${randomUUID().slice(0, 8)}`;
    await bus.ensureStream({ name: stream, subjects: [subject] });
    await bus.ensureDeadLetterStream();
    await bus.ensureConsumer(stream, { durable: 'last', ackWaitMs: 60_000, maxDeliver: 1 });
    let fail: () => void = () => undefined;
    const failing = new Promise<void>((resolve) => {
      fail = resolve;
    });
    const deliveries: number[] = [];
    const handle = await bus.consumeRaw(
      stream,
      'last',
      async (m) => {
        deliveries.push(m.deliveryCount);
        await failing;
        throw new Error('always fails');
      },
      // A long retry delay: after its first try, the dead letter is tried again no sooner than the stop.
      { maxDeliver: 1, ackWaitMs: 60_000, retryBaseMs: 60_000 },
    );
    await bus.publishRaw(subject, '{}', { msgId: randomUUID() });
    await within(
      until(() => deliveries.length === 1),
      8000,
      'the delivery',
    );
    await nats.stop();
    nats = undefined;
    fail();
    // The dead letter's publish times out (the client's 5 s); the stream's restore is under way when the stop comes.
    await pause(6500);

    const started = Date.now();
    await within(handle.stop(), 20_000, 'the stop');

    expect(Date.now() - started).toBeLessThan(3000);
    expect(deliveries).toEqual([1]);
  }, 60_000);
});

/** Resolves once `check` holds, polled every 50 ms. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await pause(50);
}

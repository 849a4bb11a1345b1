import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { type Bus, type BusLogger, type BusMessage, connectBus, TransientError } from '../src/index.js';

const silent: BusLogger = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent };
let bus: Bus;
let stream: string;
let subject: string;

async function waitFor(check: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not met in time');
}

async function consumerWith(
  handler: (m: BusMessage) => Promise<void>,
  maxDeliver = 3,
  durable = `c-${randomUUID().slice(0, 8)}`,
) {
  await bus.ensureConsumer(stream, { durable, ackWaitMs: 2000, maxDeliver });
  return bus.consumeRaw(stream, durable, handler, { maxDeliver, ackWaitMs: 2000, retryBaseMs: 50 });
}

type StoredDeadLetter = { subject: string; reason: string | undefined; consumer: string | undefined; data: string };

async function deadLetters(): Promise<StoredDeadLetter[]> {
  const jsm = await jetstreamManager(bus.connection);
  const info = await jsm.streams.info('DEAD_LETTERS');
  const out = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && seq > 0; seq++) {
    const m = await jsm.streams.getMessage('DEAD_LETTERS', { seq }).catch(() => null);
    if (m?.subject === `deadletter.${subject}`) {
      const header = (name: string) => m.header.get(name);
      out.push({
        subject: m.subject,
        reason: header('Mlops-Dead-Letter-Reason'),
        consumer: header('Mlops-Consumer'),
        data: m.string(),
      });
    }
  }
  return out;
}

beforeEach(async () => {
  bus = await connectBus({ servers: inject('natsUrl'), name: 'bus-test', logger: silent });
  stream = `S_${randomUUID().slice(0, 8)}`;
  subject = `test.${randomUUID().slice(0, 8)}`;
  await bus.ensureStream({ name: stream, subjects: [`${subject}.>`, subject] });
  await bus.ensureDeadLetterStream();
});
afterEach(async () => {
  await bus.close();
});

describe('provisioning', () => {
  it('when a stream and consumer are ensured twice, then the second call changes nothing and does not fail', async () => {
    await bus.ensureStream({ name: stream, subjects: [`${subject}.>`, subject] });
    await bus.ensureConsumer(stream, { durable: 'd1' });
    await bus.ensureConsumer(stream, { durable: 'd1' });
    const jsm = await jetstreamManager(bus.connection);
    expect((await jsm.consumers.info(stream, 'd1')).config.max_deliver).toBe(5);
  });

  it('when the subjects change, then the stream is updated in place', async () => {
    await bus.ensureStream({ name: stream, subjects: [subject, `${subject}.>`, `${subject}-extra`] });
    const jsm = await jetstreamManager(bus.connection);
    expect((await jsm.streams.info(stream)).config.subjects).toContain(`${subject}-extra`);
  });

  it('when a size limit is set, then it is applied in place, changed only by a spec that names one, and the oldest messages go', async () => {
    const spec = { name: stream, subjects: [`${subject}.>`, subject], maxAgeMs: 3_600_000, duplicateWindowMs: 120_000 };
    await bus.ensureStream({ ...spec, maxBytes: 64 * 1024 });
    const jsm = await jetstreamManager(bus.connection);
    const first = (await jsm.streams.info(stream)).config;
    expect([first.max_bytes, first.discard, first.duplicate_window]).toEqual([64 * 1024, 'old', 120_000_000_000]);
    await bus.ensureStream({ ...spec, maxBytes: 8 * 1024 });
    expect((await jsm.streams.info(stream)).config.max_bytes).toBe(8 * 1024);
    for (let i = 0; i < 10; i++) await bus.publishRaw(subject, 'x'.repeat(2000), { msgId: `big-${i}` });
    const state = (await jsm.streams.info(stream)).state;
    expect(state.bytes).toBeLessThanOrEqual(8 * 1024);
    expect(state.last_seq).toBe(10);
    expect(state.first_seq).toBeGreaterThan(1);
    await bus.ensureStream(spec);
    expect((await jsm.streams.info(stream)).config.max_bytes).toBe(8 * 1024);
    await bus.ensureStream({ ...spec, maxBytes: 0 });
    expect((await jsm.streams.info(stream)).config.max_bytes).toBe(-1);
  });
});

describe('publish', () => {
  it('when the same message id is published twice, then the stream stores it once', async () => {
    const first = await bus.publishRaw(subject, '{"n":1}', { msgId: 'm-1' });
    const second = await bus.publishRaw(subject, '{"n":1}', { msgId: 'm-1' });
    expect([first.duplicate, second.duplicate]).toEqual([false, true]);
    const jsm = await jetstreamManager(bus.connection);
    expect((await jsm.streams.info(stream)).state.messages).toBe(1);
  });
});

describe('consume', () => {
  it('when the handler succeeds, then the message is acked and not redelivered', async () => {
    const seen: number[] = [];
    const handle = await consumerWith(async (m) => void seen.push(m.deliveryCount));
    await bus.publishRaw(subject, '{}', { msgId: randomUUID() });
    await waitFor(() => seen.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(seen).toEqual([1]);
    await handle.stop();
  });

  it('when the handler fails transiently once, then the message comes back and succeeds', async () => {
    const deliveries: number[] = [];
    let done = false;
    const handle = await consumerWith(async (m) => {
      deliveries.push(m.deliveryCount);
      if (m.deliveryCount === 1) throw new TransientError('mlflow down');
      done = true;
    });
    await bus.publishRaw(subject, '{}', { msgId: randomUUID() });
    await waitFor(() => done);
    expect(deliveries).toEqual([1, 2]);
    await handle.stop();
  });

  it('when a message is poison to two consumers, then each dead-letters it with the reason and its name, and neither gets it again', async () => {
    const deliveries: string[] = [];
    const durables = ['a', 'b'].map((name) => `c-${name}-${randomUUID().slice(0, 8)}`);
    const handles = await Promise.all(
      durables.map((durable) =>
        consumerWith(
          async (m) => {
            deliveries.push(`${durable}#${m.deliveryCount}`);
            m.json();
          },
          3,
          durable,
        ),
      ),
    );
    await bus.publishRaw(subject, 'not json', { msgId: randomUUID() });
    await waitFor(async () => (await deadLetters()).length === 2);
    const letters = (await deadLetters()).sort((x, y) => String(x.consumer).localeCompare(String(y.consumer)));
    expect(letters).toEqual(
      durables.map((consumer) => ({ subject: `deadletter.${subject}`, reason: 'poison', consumer, data: 'not json' })),
    );
    // Longer than the ack wait (2 s): a message the server did not take as terminated would be back by now.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(deliveries.sort()).toEqual(durables.map((durable) => `${durable}#1`));
    await Promise.all(handles.map((handle) => handle.stop()));
  });

  it('when failures exceed max deliveries, then the last attempt dead-letters the message', async () => {
    const deliveries: number[] = [];
    const handle = await consumerWith(async (m) => {
      deliveries.push(m.deliveryCount);
      throw new Error('always fails');
    }, 3);
    await bus.publishRaw(subject, '{"x":1}', { msgId: randomUUID() });
    await waitFor(async () => (await deadLetters()).length === 1);
    expect(deliveries).toEqual([1, 2, 3]);
    expect((await deadLetters())[0]?.reason).toBe('max-deliveries');
    await handle.stop();
  });

  it('when stopped during a handler, then stop waits for it and the message is acked', async () => {
    let finished = false;
    let started = false;
    const handle = await consumerWith(async () => {
      started = true;
      await new Promise((resolve) => setTimeout(resolve, 500));
      finished = true;
    });
    await bus.publishRaw(subject, '{}', { msgId: randomUUID() });
    await waitFor(() => started);
    await handle.stop();
    expect(finished).toBe(true);
  });

  it('when stopped while a handler waits on its signal, then the wait ends and the message goes to the next consumer', async () => {
    const durable = `c-${randomUUID().slice(0, 8)}`;
    await bus.ensureConsumer(stream, { durable, ackWaitMs: 30_000, maxDeliver: 3 });
    let waiting = false;
    const first = await bus.consumeRaw(
      stream,
      durable,
      async (m) => {
        waiting = true;
        await new Promise((_resolve, reject) =>
          m.signal.addEventListener('abort', () => reject(new Error('stopping'))),
        );
      },
      { maxDeliver: 3, ackWaitMs: 30_000, retryBaseMs: 50 },
    );
    await bus.publishRaw(subject, '{}', { msgId: randomUUID() });
    await waitFor(() => waiting);
    await first.stop();
    const deliveries: number[] = [];
    const second = await bus.consumeRaw(stream, durable, async (m) => void deliveries.push(m.deliveryCount), {
      maxDeliver: 3,
      ackWaitMs: 30_000,
    });
    // Well before the 30 s ack wait: the first consumer gave the message back (nak) when its wait was aborted.
    await waitFor(() => deliveries.length === 1, 5000);
    expect(deliveries).toEqual([2]);
    await second.stop();
  });

  it('when concurrency is 2, then never more than 2 handlers run at once', async () => {
    let running = 0;
    let peak = 0;
    let done = 0;
    const durable = `c-${randomUUID().slice(0, 8)}`;
    await bus.ensureConsumer(stream, { durable });
    const handle = await bus.consumeRaw(
      stream,
      durable,
      async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 100));
        running--;
        done++;
      },
      { concurrency: 2 },
    );
    for (let i = 0; i < 6; i++) await bus.publishRaw(subject, '{}', { msgId: randomUUID() });
    await waitFor(() => done === 6);
    expect(peak).toBeLessThanOrEqual(2);
    await handle.stop();
  });

  it.each([
    1, 2,
  ])('when %i handler(s) outlast the ack wait and more messages wait, then each message is handled once, on its first delivery', async (concurrency) => {
    const durable = `c-${randomUUID().slice(0, 8)}`;
    await bus.ensureConsumer(stream, { durable, ackWaitMs: 2000, maxDeliver: 5 });
    const handled: string[] = [];
    const handle = await bus.consumeRaw(
      stream,
      durable,
      async (m) => {
        handled.push(`${m.streamSequence}#${m.deliveryCount}`);
        await new Promise((resolve) => setTimeout(resolve, 5000)); // 2.5 ack waits, kept alive every second
      },
      { concurrency, maxDeliver: 5, ackWaitMs: 2000 },
    );
    const count = 2 * concurrency;
    for (let i = 0; i < count; i++) await bus.publishRaw(subject, '{}', { msgId: randomUUID() });
    await waitFor(() => handled.length >= count, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // any second delivery would come meanwhile
    await handle.stop();
    const sequences = Array.from({ length: count }, (_, i) => String(i + 1));
    expect(handled.map((h) => h.split('#')[0]).sort()).toEqual(sequences);
    expect(handled.every((h) => h.endsWith('#1'))).toBe(true);
  }, 40_000);

  it('when a handler runs longer than two pull heartbeats, then the next pull goes on without a failed pull', async () => {
    const notes: string[] = [];
    const noting: BusLogger = {
      info() {},
      warn: (_o: unknown, message?: string) => void notes.push(`warn ${message}`),
      error: (_o: unknown, message?: string) => void notes.push(`error ${message}`),
      debug: (_o: unknown, message?: string) => void notes.push(`debug ${message}`),
      child: () => noting,
    };
    const watched = await connectBus({ servers: inject('natsUrl'), name: 'bus-test-heartbeats', logger: noting });
    const durable = `c-${randomUUID().slice(0, 8)}`;
    await watched.ensureConsumer(stream, { durable, ackWaitMs: 30_000, maxDeliver: 3 });
    const handled: number[] = [];
    const handle = await watched.consumeRaw(
      stream,
      durable,
      async (m) => {
        handled.push(m.streamSequence);
        if (handled.length === 1) await new Promise((resolve) => setTimeout(resolve, 12_000)); // pull heartbeats: 5 s
      },
      { maxDeliver: 3, ackWaitMs: 30_000 },
    );
    for (let i = 0; i < 2; i++) await bus.publishRaw(subject, '{}', { msgId: randomUUID() });
    await waitFor(() => handled.length === 2, 20_000);
    await handle.stop();
    await watched.close();
    expect(handled).toEqual([1, 2]);
    expect(notes.filter((n) => n.includes('pull failed'))).toEqual([]);
  }, 40_000);
});

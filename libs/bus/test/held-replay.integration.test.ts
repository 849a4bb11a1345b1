import { STREAMS, SUBJECTS } from '@mlops/contracts';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, type BusLogger, connectBus, type HeldMessage } from '../src/index.js';
import { loadFailed } from './events-fixture.js';

const silent: BusLogger = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent };
let nats: NatsServerHandle;
let bus: Bus;

async function until<T>(get: () => T | undefined, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await connectBus({ servers: nats.url, name: 'held-test', logger: silent });
  await bus.ensureDeadLetterStream();
  await bus.ensureStream(STREAMS.models);
});

afterAll(async () => {
  await bus?.close();
  await nats?.stop();
});

describe('held messages', () => {
  it('when a handler holds messages, then they stay pending until settled, and an unsettled one comes back after the ack wait', async () => {
    await bus.ensureConsumer(STREAMS.models.name, { durable: 'held', ackWaitMs: 1500, maxAckPending: 50 });
    for (const v of ['1', '2', '3']) await bus.publishEvent(SUBJECTS.modelLoadFailed, loadFailed(v), { key: `h${v}` });
    const held: HeldMessage[] = [];
    const deliveries: string[] = [];
    const handle = await bus.consumeEvents(
      'held',
      {
        [SUBJECTS.modelLoadFailed]: async (event, message) => {
          deliveries.push(`${event.data.version}#${message.deliveryCount}`);
          held.push(message.hold());
        },
      },
      { prefetch: 10, ackWaitMs: 1500 },
    );
    await until(() => (held.length >= 3 ? true : undefined));
    await held[0]?.ack();
    await held[1]?.ack();
    // The third is never settled: after the ack wait it is delivered again.
    await until(() => (deliveries.includes('3#2') ? true : undefined));
    await handle.stop();
    expect(deliveries.slice(0, 3)).toEqual(['1#1', '2#1', '3#1']);
    expect(deliveries.filter((d) => d.startsWith('1#') || d.startsWith('2#'))).toEqual(['1#1', '2#1']);
  });
});

describe('replayEvents and lastEvent', () => {
  it('when a stream holds events, then replay reads each stored one in order and lastEvent gives the newest', async () => {
    await bus.publishEvent(SUBJECTS.modelLoadFailed, loadFailed('7'), { key: 'r7' });
    await bus.publishEvent(SUBJECTS.modelLoadFailed, loadFailed('8'), { key: 'r8' });
    const seen: string[] = [];
    const summary = await bus.replayEvents(SUBJECTS.modelLoadFailed, (event) => seen.push(event.data.version));
    expect(seen.slice(-2)).toEqual(['7', '8']);
    expect(summary.events).toBe(seen.length);
    expect(summary.lastSequence).toBeGreaterThanOrEqual(summary.events);
    expect((await bus.lastEvent(SUBJECTS.modelLoadFailed))?.data.version).toBe('8');
  });

  it('when an event is read back by its stream sequence, then storedEvent gives it, and nothing for another subject or a sequence not stored', async () => {
    const first = await bus.publishEvent(SUBJECTS.modelLoadFailed, loadFailed('41'), { key: 's41' });
    await bus.publishEvent(SUBJECTS.modelLoadFailed, loadFailed('42'), { key: 's42' });
    expect((await bus.storedEvent(SUBJECTS.modelLoadFailed, first.seq))?.data.version).toBe('41');
    expect(await bus.storedEvent(SUBJECTS.modelRegistered, first.seq)).toBeUndefined();
    expect(await bus.storedEvent(SUBJECTS.modelLoadFailed, first.seq + 1_000)).toBeUndefined();
  });

  it('when a stream holds several subjects, then replay reads only its own, and stops at once when none is newer than since', async () => {
    await bus.publishEvent(SUBJECTS.modelLoadFailed, loadFailed('51'), { key: 'm51' });
    await bus.publishRaw(SUBJECTS.modelRegistered, '{"not":"an event"}', { msgId: 'm52' });
    await bus.publishEvent(SUBJECTS.modelLoadFailed, loadFailed('53'), { key: 'm53' });
    const failed: string[] = [];
    const onlyFailed = await bus.replayEvents(SUBJECTS.modelLoadFailed, (event) => failed.push(event.data.version));
    expect(failed.slice(-2)).toEqual(['51', '53']);
    expect(onlyFailed.invalid).toBe(0);
    const invalid: number[] = [];
    const registered = await bus.replayEvents(SUBJECTS.modelRegistered, () => undefined, {
      onInvalid: (_reason, seq) => invalid.push(seq),
    });
    expect(registered).toEqual({ events: 0, invalid: 1, lastSequence: invalid[0] });
    const later = await bus.replayEvents(SUBJECTS.modelRegistered, () => undefined, {
      since: new Date(Date.now() + 60_000),
    });
    expect(later).toEqual({ events: 0, invalid: 0, lastSequence: 0 });
  });

  it('when the stream is empty, then replay reads nothing and lastEvent is undefined', async () => {
    await bus.ensureStream(STREAMS.feedback);
    const summary = await bus.replayEvents(SUBJECTS.labelRecorded, () => undefined);
    expect(summary).toEqual({ events: 0, invalid: 0, lastSequence: 0 });
    expect(await bus.lastEvent(SUBJECTS.labelRecorded)).toBeUndefined();
  });

  it('when the stream itself is missing, then lastEvent rejects instead of reading it as empty', async () => {
    await expect(bus.lastEvent(SUBJECTS.retrainRequested)).rejects.toThrow(/stream not found/i);
  });
});

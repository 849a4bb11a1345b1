import { randomUUID } from 'node:crypto';
import { STREAMS, SUBJECTS } from '@mlops/contracts';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Bus,
  type BusLogger,
  connectBus,
  type DeadLetter,
  EventSchemaError,
  eventId,
  PoisonMessageError,
  ReplyError,
  requestReply,
  watchDeadLetters,
  watchEvents,
} from '../src/index.js';
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

async function deadLetter(subject: string) {
  const jsm = await jetstreamManager(bus.connection);
  return jsm.streams.getMessage('DEAD_LETTERS', { last_by_subj: `deadletter.${subject}` }).catch(() => null);
}

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await connectBus({ servers: nats.url, name: 'events-test', logger: silent });
  await bus.ensureDeadLetterStream();
  await bus.ensureStream(STREAMS.models);
});

afterAll(async () => {
  await bus?.close();
  await nats?.stop();
});

describe('publishEvent', () => {
  it('when the data fit the map, then the envelope names subject, key, type and source, and a repeat is dropped', async () => {
    const first = await bus.publishEvent(SUBJECTS.modelLoadFailed, loadFailed('1'), { key: 'm:1:p-1' });
    const again = await bus.publishEvent(SUBJECTS.modelLoadFailed, loadFailed('1'), { key: 'm:1:p-1' });
    expect(first).toMatchObject({ stream: 'MODELS', duplicate: false });
    expect(again).toMatchObject({ seq: first.seq, duplicate: true });
    const stored = await (await jetstreamManager(bus.connection)).streams.getMessage('MODELS', { seq: first.seq });
    expect(stored?.json()).toMatchObject({
      id: 'model.load_failed:m:1:p-1',
      type: 'mlops.model.load_failed.v1',
      source: 'mlops/events-test',
      data: { version: '1' },
    });
  });

  it('when model.registered is keyed by a 256-character model name, then it is stored under a bounded id, and a repeat is dropped', async () => {
    const name = 'n'.repeat(256);
    const data = {
      tuning_id: 't-long',
      trial_id: 't-long-0',
      name,
      version: '1',
      alias: 'champion',
      run_id: 'r1',
      model_uri: 'models:/m-1',
      source_uri: 'runs:/r1/model',
      metric: { name: 'accuracy' as const, value: 0.9 },
      registered_at: new Date().toISOString(),
    };
    const first = await bus.publishEvent(SUBJECTS.modelRegistered, data, { key: `${name}:1` });
    const again = await bus.publishEvent(SUBJECTS.modelRegistered, data, { key: `${name}:1` });
    expect(again).toMatchObject({ seq: first.seq, duplicate: true });
    const stored = await (await jetstreamManager(bus.connection)).streams.getMessage('MODELS', { seq: first.seq });
    expect(stored?.json()).toMatchObject({ id: eventId(SUBJECTS.modelRegistered, `${name}:1`), data: { name } });
  });

  it('when the data break the schema, then EventSchemaError names the field and nothing is stored', async () => {
    const jsm = await jetstreamManager(bus.connection);
    const before = (await jsm.streams.info('MODELS')).state.messages;
    const bad = { ...loadFailed('1'), version: 'one' };
    await expect(bus.publishEvent(SUBJECTS.modelLoadFailed, bad, { key: 'bad' })).rejects.toThrow(EventSchemaError);
    await expect(bus.publishEvent(SUBJECTS.modelLoadFailed, bad, { key: 'bad' })).rejects.toThrow(/data\.version/);
    expect((await jsm.streams.info('MODELS')).state.messages).toBe(before);
  });
});

describe('consumeEvents', () => {
  it('when events arrive, then each handler gets its parsed envelope; a broken body or an unhandled subject is dead-lettered with the reason', async () => {
    const durable = `c-${randomUUID().slice(0, 8)}`;
    await bus.ensureConsumer(STREAMS.models.name, { durable, deliverPolicy: 'new', ackWaitMs: 2000, maxDeliver: 3 });
    const seen: string[] = [];
    const handle = await bus.consumeEvents(
      durable,
      { [SUBJECTS.modelLoadFailed]: async (event) => void seen.push(`${event.data.version}:${event.id}`) },
      { maxDeliver: 3, ackWaitMs: 2000 },
    );
    await bus.publishRaw(SUBJECTS.modelLoadFailed, JSON.stringify({ specversion: '1.0', data: {} }), {
      msgId: randomUUID(),
    });
    await bus.publishEvent(SUBJECTS.modelLoadFailed, loadFailed('7'), { key: randomUUID() });
    await bus.publishRaw(SUBJECTS.modelRegistered, '{}', { msgId: randomUUID() });
    await until(() => (seen.length === 1 ? true : undefined));
    expect(seen[0]).toMatch(/^7:model\.load_failed:/);
    const schemaLetter = await deadLetter(SUBJECTS.modelLoadFailed);
    expect(schemaLetter?.header.get('Mlops-Dead-Letter-Reason')).toBe('poison');
    expect(schemaLetter?.header.get('Mlops-Error')).toMatch(/model\.load_failed breaks its schema: .*id/);
    let unhandled = await deadLetter(SUBJECTS.modelRegistered);
    for (let i = 0; i < 100 && unhandled === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      unhandled = await deadLetter(SUBJECTS.modelRegistered);
    }
    expect(unhandled?.header.get('Mlops-Error')).toMatch(new RegExp(`${durable} has no handler for model.registered`));
    await handle.stop();
  });

  it('when a handler gives up on an event, then a dead-letter watcher gets the reason, the error, the consumer and the event', async () => {
    const durable = `c-${randomUUID().slice(0, 8)}`;
    await bus.ensureConsumer(STREAMS.models.name, { durable, deliverPolicy: 'new', ackWaitMs: 2000, maxDeliver: 3 });
    const letters: DeadLetter<'model.load_failed'>[] = [];
    const watcher = watchDeadLetters(bus.connection, SUBJECTS.modelLoadFailed, (letter) => letters.push(letter));
    await bus.connection.flush();
    const handle = await bus.consumeEvents(
      durable,
      {
        [SUBJECTS.modelLoadFailed]: async (event) => {
          throw new PoisonMessageError(`version ${event.data.version} cannot be handled`);
        },
      },
      { maxDeliver: 3, ackWaitMs: 2000 },
    );
    await bus.publishEvent(SUBJECTS.modelLoadFailed, loadFailed('9'), { key: randomUUID() });
    const letter = await until(() => letters[0]);
    expect(letter).toMatchObject({ reason: 'poison', error: 'version 9 cannot be handled', consumer: durable });
    expect(letter.event?.data.version).toBe('9');
    await handle.stop();
    watcher.unsubscribe();
  });

  it('when a handler says its event came before what it needs (retryLater), then it is retried and logged in one line, not as a failure', async () => {
    const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
    const recording: BusLogger = {
      info: (fields: Record<string, unknown>, msg?: string) =>
        void lines.push({ level: 'info', msg: msg ?? '', fields }),
      warn: (fields: Record<string, unknown>, msg?: string) =>
        void lines.push({ level: 'warn', msg: msg ?? '', fields }),
      error() {},
      debug() {},
      child: () => recording,
    } as unknown as BusLogger;
    const waiting = await connectBus({ servers: nats.url, name: 'events-order-test', logger: recording });
    const durable = `c-${randomUUID().slice(0, 8)}`;
    await waiting.ensureConsumer(STREAMS.models.name, {
      durable,
      deliverPolicy: 'new',
      ackWaitMs: 2000,
      maxDeliver: 5,
    });
    let attempts = 0;
    const handled: string[] = [];
    const handle = await waiting.consumeEvents(
      durable,
      {
        [SUBJECTS.modelLoadFailed]: async (event) => {
          attempts++;
          if (attempts === 1) throw Object.assign(new Error('its tuning has not started yet'), { retryLater: true });
          if (attempts === 2) throw new Error('MLflow answered 503');
          handled.push(event.data.version);
        },
      },
      { maxDeliver: 5, ackWaitMs: 2000, retryBaseMs: 50 },
    );
    await waiting.publishEvent(SUBJECTS.modelLoadFailed, loadFailed('4'), { key: randomUUID() });
    await until(() => (handled.length === 1 ? true : undefined));
    const retries = lines.filter((l) => l.msg.endsWith('will retry'));
    expect(retries.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'not yet: will retry'],
      ['warn', 'handler failed: will retry'],
    ]);
    expect(retries[0]?.fields).toMatchObject({ waits: 'its tuning has not started yet' });
    expect(retries[0]?.fields.err).toBeUndefined();
    await handle.stop();
    await waiting.close();
  });

  it('when the handled subjects live in two streams, then consuming is refused', async () => {
    const handlers = { [SUBJECTS.modelRegistered]: async () => {}, [SUBJECTS.runStarted]: async () => {} };
    await expect(bus.consumeEvents('any', handlers)).rejects.toThrow(/one stream/);
  });
});

describe('requests and watchers', () => {
  it('when a served handler answers, then requestReply returns the checked reply; a malformed answer is a ReplyError', async () => {
    let answerRight = true;
    const serving = await bus.serve(SUBJECTS.tuneRequested, 'q', async (data) =>
      answerRight
        ? { status: 'accepted', tuning_id: new TextDecoder().decode(data), trial_count: 1 }
        : ({ status: 'maybe' } as never),
    );
    const reply = await requestReply(bus.connection, SUBJECTS.tuneRequested, 'tun-1', { timeoutMs: 2000 });
    expect(reply).toEqual({ status: 'accepted', tuning_id: 'tun-1', trial_count: 1 });
    answerRight = false;
    await expect(requestReply(bus.connection, SUBJECTS.tuneRequested, {}, { timeoutMs: 2000 })).rejects.toThrow(
      ReplyError,
    );
    await serving.stop();
  });

  it('when serve resolves, then a request from another connection finds the responder at once, every time', async () => {
    const asker = await connectBus({ servers: nats.url, name: 'events-asker', logger: silent });
    try {
      for (let round = 0; round < 25; round++) {
        const serving = await bus.serve(SUBJECTS.tuneRequested, `q-${round}`, async () => ({
          status: 'accepted',
          tuning_id: `tun-${round}`,
          trial_count: 1,
        }));
        const reply = await requestReply(asker.connection, SUBJECTS.tuneRequested, {}, { timeoutMs: 2000 });
        expect(reply).toMatchObject({ tuning_id: `tun-${round}` });
        await serving.stop();
      }
    } finally {
      await asker.close();
    }
  });

  it('when a watcher sees a valid and a broken event, then it gets the typed one and is told about the other', async () => {
    const got: string[] = [];
    const invalid: string[] = [];
    const sub = watchEvents(
      bus.connection,
      SUBJECTS.modelLoadFailed,
      (e) => got.push(e.data.version),
      (r) => invalid.push(r),
    );
    bus.connection.publish(SUBJECTS.modelLoadFailed, '{"nope":1}');
    bus.connection.publish(SUBJECTS.modelLoadFailed, 'not json');
    await bus.publishEvent(SUBJECTS.modelLoadFailed, loadFailed('9'), { key: randomUUID() });
    await until(() => (got.length === 1 && invalid.length === 2 ? true : undefined));
    expect(got).toEqual(['9']);
    expect(invalid[0]).toMatch(/model\.load_failed breaks its schema/);
    expect(invalid[1]).toMatch(/not valid JSON/);
    sub.unsubscribe();
  });
});

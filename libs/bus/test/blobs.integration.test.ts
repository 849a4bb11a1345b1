import { randomBytes } from 'node:crypto';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, type BusLogger, connectBus } from '../src/index.js';

const silent: BusLogger = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent };
const options = { ttlMs: 60_000, maxBytes: 64 * 1024 * 1024 };
let nats: NatsServerHandle;
let a: Bus;
let b: Bus;

beforeAll(async () => {
  nats = await startNatsServer();
  a = await connectBus({ servers: nats.url, name: 'blobs-a', logger: silent });
  b = await connectBus({ servers: nats.url, name: 'blobs-b', logger: silent });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await nats?.stop();
});

describe('blobs', () => {
  it('when 5 MB are stored on one connection, then another reads back the same bytes', async () => {
    const bytes = randomBytes(5 * 1024 * 1024);
    await (await a.blobs('holdouts', options)).put('tuning-1', bytes);
    const read = await (await b.blobs('holdouts', options)).get('tuning-1');
    expect(read === undefined ? undefined : Buffer.from(read).equals(bytes)).toBe(true);
  });

  it('when a name is stored again, then it reads as the second bytes', async () => {
    const store = await a.blobs('holdouts', options);
    await store.put('again', Buffer.from('first'));
    await store.put('again', Buffer.from('second, longer'));
    expect(Buffer.from((await store.get('again')) ?? []).toString()).toBe('second, longer');
  });

  it('when the same bytes are stored again, then nothing is written again', async () => {
    const store = await a.blobs('holdouts', options);
    const bytes = randomBytes(300_000);
    await store.put('same', bytes);
    const jsm = await jetstreamManager(a.connection);
    const before = (await jsm.streams.info('OBJ_holdouts')).state.last_seq;
    await store.put('same', Buffer.from(bytes));
    expect((await jsm.streams.info('OBJ_holdouts')).state.last_seq).toBe(before);
  });

  it('when the same bytes are stored again after rewriteAfterMs, then they are written again (their TTL starts again)', async () => {
    const store = await a.blobs('holdouts', options);
    const bytes = randomBytes(300_000);
    await store.put('aging', bytes);
    const jsm = await jetstreamManager(a.connection);
    const seq = async () => (await jsm.streams.info('OBJ_holdouts')).state.last_seq;
    const before = await seq();
    await store.put('aging', Buffer.from(bytes), { rewriteAfterMs: 60_000 });
    expect(await seq()).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await store.put('aging', Buffer.from(bytes), { rewriteAfterMs: 10 });
    expect(await seq()).toBeGreaterThan(before);
    expect(Buffer.from((await store.get('aging')) ?? []).equals(bytes)).toBe(true);
  });

  it("when an object's chunks are gone under its metadata, then reading it fails within the timeout instead of hanging", async () => {
    const store = await a.blobs('holdouts', options);
    await store.put('chunkless', randomBytes(200_000));
    const jsm = await jetstreamManager(a.connection);
    await jsm.streams.purge('OBJ_holdouts', { filter: '$O.holdouts.C.>' });
    const began = Date.now();
    await expect(store.get('chunkless', 1000)).rejects.toThrow('not read whole within 1000 ms');
    expect(Date.now() - began).toBeLessThan(20_000);
  });

  it('when a name was never stored, then it reads as undefined', async () => {
    expect(await (await b.blobs('holdouts', options)).get('never')).toBeUndefined();
  });

  it('when a put would pass the bucket size, then it is refused', async () => {
    const small = await a.blobs('small', { ttlMs: 60_000, maxBytes: 1024 * 1024 });
    await expect(small.put('big', randomBytes(2 * 1024 * 1024))).rejects.toThrow();
  });

  it('when four connections open a new bucket at the same moment, again and again, then each gets it', async () => {
    const more = await Promise.all(
      [1, 2].map((i) => connectBus({ servers: nats.url, name: `blobs-${i}`, logger: silent })),
    );
    try {
      const failures: string[] = [];
      for (let round = 0; round < 40; round++) {
        const opened = await Promise.allSettled([a, b, ...more].map((bus) => bus.blobs(`race-${round}`, options)));
        for (const o of opened) if (o.status === 'rejected') failures.push(String(o.reason));
      }
      expect(failures).toEqual([]);
    } finally {
      for (const bus of more) await bus.close();
    }
  }, 60_000);
});

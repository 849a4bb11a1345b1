import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, type BusLogger, connectBus } from '../src/index.js';

const silent: BusLogger = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent };
let nats: NatsServerHandle;
let a: Bus;
let b: Bus;

beforeAll(async () => {
  nats = await startNatsServer();
  a = await connectBus({ servers: nats.url, name: 'records-a', logger: silent });
  b = await connectBus({ servers: nats.url, name: 'records-b', logger: silent });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await nats?.stop();
});

describe('shared records', () => {
  it('when two connections change one record 40 times at once, then no change is lost', async () => {
    const [ra, rb] = await Promise.all([
      a.sharedRecords('counts', { ttlMs: 60_000 }),
      b.sharedRecords('counts', { ttlMs: 60_000 }),
    ]);
    const add = (records: typeof ra, who: string) =>
      records.change<{ seen: string[] }>('tuning/1', (current) => ({ seen: [...(current?.seen ?? []), who] }));
    const writes = Array.from({ length: 40 }, (_, i) => add(i % 2 === 0 ? ra : rb, `w${i}`));
    await Promise.all(writes);
    const final = await ra.read<{ seen: string[] }>('tuning/1');
    expect(final?.seen).toHaveLength(40);
    expect(new Set(final?.seen).size).toBe(40);
  });

  it('when a record was never written, then reading it gives undefined', async () => {
    const records = await a.sharedRecords('counts', { ttlMs: 60_000 });
    expect(await records.read('nobody')).toBeUndefined();
  });
});

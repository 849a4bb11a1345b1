import { STREAMS, SUBJECTS } from '@mlops/contracts';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, type BusLogger, connectBus, type Lease } from '../src/index.js';
import { loadFailed } from './events-fixture.js';

const silent: BusLogger = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent };
let nats: NatsServerHandle;
let bus: Bus;
let other: Bus;

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await connectBus({ servers: nats.url, name: 'lease-a', logger: silent });
  other = await connectBus({ servers: nats.url, name: 'lease-b', logger: silent });
});

afterAll(async () => {
  await bus?.close();
  await other?.close();
  await nats?.stop();
});

describe('leases', () => {
  it('when two holders race for one name, then exactly one gets it, the other sees who holds it, and after release the other can take it', async () => {
    const [a, b] = await Promise.all([bus.leases('race', { ttlMs: 60_000 }), other.leases('race', { ttlMs: 60_000 })]);
    const name = 'One Customer/Classifier';
    const results = await Promise.all([a.acquire(name, { owner: 'a' }), b.acquire(name, { owner: 'b' })]);
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    const holder = await b.holder(name);
    expect(holder?.value).toEqual(winners[0]?.value);
    expect(holder?.name).toBe(name);
    expect((await a.held()).map((e) => e.name)).toEqual([name]);
    const won = winners[0];
    if (won === undefined) throw new Error('no winner');
    await a.release(won);
    expect(await b.holder(name)).toBeUndefined();
    expect(await b.acquire(name, { owner: 'b' })).toMatchObject({ name, value: { owner: 'b' } });
  });

  it('when a holder updates its lease, then a stale entry can neither update nor release it', async () => {
    const lease = await bus.leases('updates', { ttlMs: 60_000 });
    const first = await lease.acquire('m', { state: 'building' });
    if (first === undefined) throw new Error('not acquired');
    const second = await lease.update(first, { state: 'requested' });
    expect(second?.revision).toBeGreaterThan(first.revision);
    expect(await lease.update(first, { state: 'stale' })).toBeUndefined();
    await lease.release(first);
    expect((await lease.holder('m'))?.value).toEqual({ state: 'requested' });
  });

  it('when the holder never releases, then the lease ends after the TTL and someone else can take it', async () => {
    const lease = await bus.leases('expiring', { ttlMs: 1000 });
    const acquiredAt = Date.now();
    expect(await lease.acquire('m', { owner: 'crashed' })).toBeDefined();
    expect(await lease.acquire('m', { owner: 'next' })).toBeUndefined();
    const endedAfter = await untilReleased(lease, 'm');
    expect(endedAfter - acquiredAt).toBeGreaterThanOrEqual(1000);
    expect(await lease.acquire('m', { owner: 'next' })).toMatchObject({ value: { owner: 'next' } });
  });

  it('when the bucket exists with another TTL, then it takes the TTL asked for now', async () => {
    await bus.leases('retimed', { ttlMs: 60_000 });
    const lease = await other.leases('retimed', { ttlMs: 1000 });
    const acquiredAt = Date.now();
    expect(await lease.acquire('m', { owner: 'gone' })).toBeDefined();
    const endedAfter = await untilReleased(lease, 'm');
    expect(endedAfter - acquiredAt).toBeLessThan(10_000);
  });
});

describe('replay from a time', () => {
  it('when replaying since a time, then only the events stored at or after it are read, and none (at once) when it is after the last', async () => {
    await bus.ensureStream(STREAMS.models);
    await bus.publishEvent(SUBJECTS.modelLoadFailed, loadFailed('1'), { key: 'since-1' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const since = new Date();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await bus.publishEvent(SUBJECTS.modelLoadFailed, loadFailed('2'), { key: 'since-2' });
    await bus.publishEvent(SUBJECTS.modelLoadFailed, loadFailed('3'), { key: 'since-3' });
    const all: string[] = [];
    const recent: string[] = [];
    await bus.replayEvents(SUBJECTS.modelLoadFailed, (e) => all.push(e.data.version));
    await bus.replayEvents(SUBJECTS.modelLoadFailed, (e) => recent.push(e.data.version), { since });
    expect(all).toEqual(['1', '2', '3']);
    expect(recent).toEqual(['2', '3']);
    const none: string[] = [];
    const after = await bus.replayEvents(SUBJECTS.modelLoadFailed, (e) => none.push(e.data.version), {
      since: new Date(Date.now() + 60_000),
    });
    expect(none).toEqual([]);
    expect(after.events).toBe(0);
  });
});

/** When `name` stopped being held (polled every 50 ms; the server expires entries on its own timer, late under load). */
async function untilReleased(lease: Lease, name: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  while ((await lease.holder(name)) !== undefined) {
    if (Date.now() > deadline) throw new Error(`lease ${name} still held 10 s after its 1 s TTL`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now();
}

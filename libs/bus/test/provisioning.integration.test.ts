import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, type BusLogger, connectBus, StorageRefusedError } from '../src/index.js';

// Services starting together ensure the streams they share (MODELS, PREDICTIONS, …) at the same moment.

const silent: BusLogger = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent };
let nats: NatsServerHandle;
let buses: Bus[];

beforeAll(async () => {
  nats = await startNatsServer();
  buses = await Promise.all(
    [0, 1, 2, 3, 4, 5].map((i) => connectBus({ servers: nats.url, name: `ensure-${i}`, logger: silent })),
  );
});

afterAll(async () => {
  for (const bus of buses ?? []) await bus.close();
  await nats?.stop();
});

describe('ensureStream', () => {
  it('when six connections ensure one new stream at once, half with a size limit, then each succeeds and the limit holds', async () => {
    // nats-server 2.9 answers the losers "stream name already in use with a different configuration" (about half of
    // them here) or "subjects overlap with an existing stream".
    const jsm = await jetstreamManager(buses[0]!.connection);
    for (let round = 0; round < 50; round++) {
      const spec = (i: number) => ({
        name: `RACE_${round}`,
        subjects: [`race${round}.>`],
        ...(i % 2 ? { maxBytes: 1 << 20 } : {}),
      });
      const ensured = await Promise.allSettled(buses.map((bus, i) => bus.ensureStream(spec(i))));
      const failed = ensured
        .filter((e) => e.status === 'rejected')
        .map((e) => String((e as PromiseRejectedResult).reason));
      expect(failed).toEqual([]);
      expect((await jsm.streams.info(`RACE_${round}`)).config.max_bytes).toBe(1 << 20);
    }
  }, 120_000);

  it("when nats-server has too little storage for a stream's size limit, then the error names the stream, the limit, and what to change", async () => {
    const small = await startNatsServer({ maxFileStoreBytes: 64 * 1024 ** 2 });
    const bus = await connectBus({ servers: small.url, name: 'ensure-small', logger: silent });
    try {
      await bus.ensureStream({ name: 'FITS', subjects: ['fits.>'], maxBytes: 32 * 1024 ** 2 });
      const refused = bus.ensureStream({
        name: 'TOO_BIG',
        subjects: ['big.>'],
        maxBytes: 1024 ** 3,
        maxBytesSetting: 'BIG_MAX_BYTES',
      });
      await expect(refused).rejects.toThrow(StorageRefusedError);
      await expect(refused).rejects.toThrow(
        /^nats-server refused stream TOO_BIG of 1 GiB: too little JetStream storage left .*max_file_store.*, or lower BIG_MAX_BYTES$/,
      );
      const bucket = bus.blobs('too-big-bucket', { ttlMs: 60_000, maxBytes: 48 * 1024 ** 2 });
      await expect(bucket).rejects.toThrow(/^nats-server refused object store too-big-bucket of 48 MiB: too little/);
    } finally {
      await bus.close();
      await small.stop();
    }
  });
});

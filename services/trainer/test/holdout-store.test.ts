import type { Blobs, Bus } from '@mlops/bus';
import { describe, expect, it } from 'vitest';
import { natsTrainerBus } from '../src/adapters/nats-bus.js';

/** A bus whose provisioning succeeds and whose object store fails `failures` times before it opens. */
function busWithStore(failures: number) {
  const opened: string[] = [];
  const put: string[] = [];
  let attempts = 0;
  const store: Blobs = {
    put: async (name) => void put.push(name),
    get: async () => undefined,
  };
  const bus = {
    ensureDeadLetterStream: async () => {},
    ensureStream: async () => {},
    ensureConsumer: async () => {},
    markSets: async () => ({ mark: async () => new Set(), members: async () => new Set() }),
    blobs: async (bucket: string) => {
      attempts++;
      if (attempts <= failures) throw new Error('insufficient storage resources available');
      opened.push(bucket);
      return store;
    },
  } as unknown as Bus;
  return { bus: natsTrainerBus(bus, { snapshotMaxBytes: 64 * 1024 ** 2 }), opened, put };
}

describe('the holdout store of the trainer bus', () => {
  it('when the server cannot make the bucket, then the trainer still provisions, the store fails, and a later store opens it', async () => {
    const { bus, opened, put } = busWithStore(1);
    await bus.provision();
    await expect(bus.storeHoldout('tun-1', Buffer.from('{}'))).rejects.toThrow('insufficient storage');
    await bus.storeHoldout('tun-2', Buffer.from('{}'));
    await bus.storeHoldout('tun-3', Buffer.from('{}'));
    expect(opened).toEqual(['gate-holdouts']);
    expect(put).toEqual(['tun-2', 'tun-3']);
  });
});

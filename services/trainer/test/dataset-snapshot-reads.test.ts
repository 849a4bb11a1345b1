import { type Blobs, type Bus, StorageRefusedError, TransientError } from '@mlops/bus';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { natsTrainerBus } from '../src/adapters/nats-bus.js';

// How the trainer bus tells a snapshot read that may succeed when asked again (the bus's TransientError: the opening
// replica's work message is retried) from one that cannot (its own error: the tuning is refused at once). What the
// opening replica does with each is in snapshot-read-failure.component.test.ts, against a real nats-server.

/** The trainer bus over a bus whose snapshot bucket fails as `failure` says: opening it, or reading from it. */
function snapshotsFailing(failure: { readonly opening?: Error; readonly reading?: Error }) {
  const store: Blobs = {
    put: async () => {},
    get: async () => {
      if (failure.reading !== undefined) throw failure.reading;
      return undefined;
    },
  };
  const bus = {
    blobs: async () => {
      if (failure.opening !== undefined) throw failure.opening;
      return store;
    },
  } as unknown as Bus;
  return natsTrainerBus(bus, { snapshotMaxBytes: 64 * 1024 ** 2 }).datasetSnapshots;
}

const refused = new StorageRefusedError('nats-server refused object store trainer-dataset-snapshots of 1 GiB: …');
const gone = new JetStreamApiError({
  err_code: JetStreamApiCodes.StreamNotFound,
  code: 404,
  description: 'stream not found',
});
const corrupt = new Error('received a corrupt object, digests do not match\n  expected: SHA-256=x\n  computed: y');
const slow = new Error('object "abc" not read whole within 600000 ms');

describe('a dataset snapshot read that fails', () => {
  it.each([
    ['a JetStream request timed out (NATS slow, a leader election)', new TimeoutError()],
    [
      'nobody answered the JetStream API (NATS restarting)',
      new RequestError('no responders', { cause: new NoRespondersError('$JS.API.STREAM.MSG.GET.OBJ_x') }),
    ],
    [
      'JetStream was unavailable for a moment',
      new JetStreamApiError({ err_code: 10008, code: 503, description: 'JetStream system temporarily unavailable' }),
    ],
  ])('when %s, then it rejects with the bus TransientError (asked again later), its cause the error itself', async (_, err) => {
    const read = snapshotsFailing({ reading: err }).read('abc');
    await expect(read).rejects.toBeInstanceOf(TransientError);
    await expect(read).rejects.toMatchObject({ message: err.message, cause: err });
  });

  it.each([
    ['nats-server refused the bucket (too little storage)', { opening: refused }, refused],
    ['the bucket is not there (deleted under this replica)', { reading: gone }, gone],
    ['the object is corrupt', { reading: corrupt }, corrupt],
    // Ten minutes for one read: five more would hold the one-at-a-time work queue for most of an hour.
    ['the object was not read whole in time', { reading: slow }, slow],
  ])('when %s, then it rejects with that error, not a transient one (asking again cannot mend it)', async (_, failure, err) => {
    const read = snapshotsFailing(failure).read('abc');
    await expect(read).rejects.toBe(err);
    await expect(read).rejects.not.toBeInstanceOf(TransientError);
  });

  it('when snapshots are off, then nothing is asked and there is none', async () => {
    const bus = { blobs: async () => Promise.reject(new Error('no bucket is opened')) } as unknown as Bus;
    expect(await natsTrainerBus(bus, { snapshotMaxBytes: 0 }).datasetSnapshots.read('abc')).toBeUndefined();
  });
});

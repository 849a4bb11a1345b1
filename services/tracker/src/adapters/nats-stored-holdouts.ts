import type { Blobs, Bus } from '@mlops/bus';
import { GATE_HOLDOUT_BUCKET, GATE_HOLDOUT_MAX_BYTES, GATE_HOLDOUT_TTL_MS } from '@mlops/contracts';
import type { ReadStoredHoldout } from '../domain/stored-holdout.js';

/**
 * Reads whole holdouts from the bus's object store (GATE_HOLDOUT_BUCKET, opened on first use); a holdout said to be
 * in another bucket reads as not there (an event never makes the tracker open a bucket of its choosing).
 */
export function natsStoredHoldouts(bus: Pick<Bus, 'blobs'>): ReadStoredHoldout {
  let opened: Promise<Blobs> | undefined;
  const store = () => {
    if (opened === undefined) {
      opened = bus.blobs(GATE_HOLDOUT_BUCKET, { ttlMs: GATE_HOLDOUT_TTL_MS, maxBytes: GATE_HOLDOUT_MAX_BYTES });
      opened.catch(() => {
        opened = undefined; // NATS away: opened again next time
      });
    }
    return opened;
  };
  return async (ref) => (ref.bucket === GATE_HOLDOUT_BUCKET ? await (await store()).get(ref.name) : undefined);
}

import type { TuningRequested } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import type { TrainerBus, WorkDelivery } from '../src/domain/ports.js';
import { startWorker } from '../src/entry-points/worker.js';
import { queuedWork } from './support/tuning-run.js';

// The worker's own marks on a failed delivery, with the bus stubbed (the dead letter itself is the bus library's,
// tested there on a real nats-server).

type WorkHandler = (work: TuningRequested['data'], heartbeat: () => void, delivery: WorkDelivery) => Promise<void>;

/** A bus that hands the worker's handler to the test and keeps the request marks written. */
function stubBus() {
  const marks: string[] = [];
  let handler: WorkHandler | undefined;
  const bus = {
    consumeWork: (handle: WorkHandler) => {
      handler = handle;
      return { stop: async () => {} };
    },
    tallies: {
      requests: async () => new Set(marks),
      markRequest: async (_id: string, mark: string) => {
        marks.push(mark);
      },
    },
    publishEvent: async () => {},
  } as unknown as TrainerBus;
  return {
    bus,
    marks,
    deliver: (work: TuningRequested['data'], delivery: WorkDelivery) => handler!(work, () => {}, delivery),
  };
}

describe('the worker failing a tuning', () => {
  const logger = createLogger({ service: 'worker-test', level: 'silent' });
  const work = queuedWork('given-up', { dataset: { kind: 'csv', path: 'a.csv', target: 'y' } });
  const failingLoader = () => async () => {
    throw new Error('NATS went away while reading the snapshot');
  };

  it('when its last delivery fails, then the stored copy is marked given up (by its stream sequence) and the error still dead-letters it; an earlier delivery marks nothing', async () => {
    const { bus, marks, deliver } = stubBus();
    startWorker(bus, failingLoader, logger, 'queue');

    await expect(deliver(work, { lastAttempt: false, streamSequence: 12 })).rejects.toThrow('NATS went away');
    const afterEarlier = [...marks];
    await expect(deliver(work, { lastAttempt: true, streamSequence: 12 })).rejects.toThrow('NATS went away');

    expect([afterEarlier, marks]).toEqual([[], ['gave-up-12']]);
  });
});

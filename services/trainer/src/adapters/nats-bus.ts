import type { Bus } from '@mlops/bus';
import { CONSUMERS, STREAMS, SUBJECTS } from '@mlops/contracts';
import type { TrainerBus } from '../domain/ports.js';

/**
 * The work message's ack deadline, extended by a heartbeat between trials and every third of it: a crashed trainer's
 * tuning goes to its successor after this. A single trial blocks the event loop, so it must fit in it (or the tuning
 * is also run a second time, harmlessly: its events keep their ids and are de-duplicated).
 */
const WORK_ACK_WAIT_MS = 20_000;
const WORK_MAX_DELIVER = 5;

/** The trainer's bus port over @mlops/bus: events through the typed map, malformed work dead-lettered by the bus. */
export function natsTrainerBus(bus: Bus): TrainerBus {
  return {
    async provision() {
      await bus.ensureDeadLetterStream();
      await bus.ensureStream(STREAMS.tuneRequests);
      await bus.ensureStream(STREAMS.tuningEvents);
      await bus.ensureConsumer(STREAMS.tuneRequests.name, {
        durable: CONSUMERS.trainer,
        filterSubject: SUBJECTS.tuningRequested,
        ackWaitMs: WORK_ACK_WAIT_MS,
        maxDeliver: WORK_MAX_DELIVER,
      });
    },
    async publishEvent(subject, data, key) {
      await bus.publishEvent(subject, data, { key });
    },
    serveTuneRequests: (handle) => bus.serve(SUBJECTS.tuneRequested, 'trainer-intake', handle),
    consumeWork(handle) {
      const started = bus.consumeEvents(
        CONSUMERS.trainer,
        { [SUBJECTS.tuningRequested]: (event, message) => handle(event.data, () => message.working()) },
        { concurrency: 1, ackWaitMs: WORK_ACK_WAIT_MS, maxDeliver: WORK_MAX_DELIVER },
      );
      return { stop: async () => (await started).stop() };
    },
    close: () => bus.close(),
  };
}

import { type Bus, PoisonMessageError } from '@mlops/bus';
import { CONSUMERS, STREAMS, SUBJECTS } from '@mlops/contracts';
import type { TrainerBus } from '../entry-points/trainer-bus.js';
import { InvalidWorkError } from '../entry-points/worker.js';

/**
 * The work message's ack deadline, extended by a heartbeat between trials and every third of it: a crashed trainer's
 * tuning goes to its successor after this. A single trial blocks the event loop, so it must fit in it (or the tuning
 * is also run a second time, harmlessly: its events keep their ids and are de-duplicated).
 */
const WORK_ACK_WAIT_MS = 20_000;
const WORK_MAX_DELIVER = 5;

/** The trainer's bus port over @mlops/bus. */
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
    async publishEvent(subject, event) {
      await bus.publish(subject, JSON.stringify(event), { msgId: event.id });
    },
    serveRequests: (subject, queue, handle) => bus.serve(subject, queue, handle),
    consumeWork(handle) {
      const started = bus.consume(
        STREAMS.tuneRequests.name,
        CONSUMERS.trainer,
        async (message) => {
          try {
            await handle(message.json(), () => message.working());
          } catch (err) {
            if (err instanceof InvalidWorkError) throw new PoisonMessageError(err.message, { cause: err });
            throw err;
          }
        },
        { concurrency: 1, ackWaitMs: WORK_ACK_WAIT_MS, maxDeliver: WORK_MAX_DELIVER },
      );
      return { stop: async () => (await started).stop() };
    },
    close: () => bus.close(),
  };
}

import { SUBJECTS, TuningRequestedSchema } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import { type CsvLoader, UnusableDataError } from '../domain/dataset.js';
import { limitProblems, rejectionEvent } from '../domain/intake.js';
import { runTuning } from '../domain/tuning.js';
import type { TrainerBus } from './trainer-bus.js';

/** Thrown for a work message that can never succeed (schema-invalid): the bus dead-letters it. */
export class InvalidWorkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidWorkError';
  }
}

/** Consumes `tuning.requested` one tuning at a time and runs it; events go out as the trials finish. */
export function startWorker(bus: TrainerBus, loadCsv: CsvLoader, source: string, logger: Logger) {
  return bus.consumeWork(async (body, heartbeat) => {
    const parsed = TuningRequestedSchema.safeParse(body);
    if (!parsed.success)
      throw new InvalidWorkError(`tuning.requested does not match its schema: ${parsed.error.message}`);
    const work = parsed.data.data;
    const log = logger.child({ tuning_id: work.tuning_id });
    log.info({ trial_count: work.trial_count }, 'tuning started');
    const started = performance.now();
    try {
      const outcome = await runTuning(work, {
        publish: (subject, event) => bus.publishEvent(subject, event),
        loadCsv,
        heartbeat,
        source,
      });
      log.info({ ...outcome, ms: Math.round(performance.now() - started) }, 'tuning finished');
    } catch (err) {
      if (!(err instanceof UnusableDataError)) throw err;
      await reject(bus, work.tuning_id, err, source);
      log.warn({ err }, 'tuning rejected: its data cannot be used');
    }
  });
}

/** Nothing was published for the tuning yet (the data come first): it is refused with `tune.rejected`, not retried. */
async function reject(bus: TrainerBus, tuningId: string, err: UnusableDataError, source: string): Promise<void> {
  const errors = limitProblems([{ path: 'dataset', message: err.message }]);
  await bus.publishEvent(SUBJECTS.tuneRejected, rejectionEvent({ id: tuningId, source, tuningId, errors }));
}

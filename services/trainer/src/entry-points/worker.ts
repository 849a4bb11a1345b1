import { SUBJECTS } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import { type CsvLoader, UnusableDataError } from '../domain/dataset.js';
import { limitProblems, rejection } from '../domain/intake.js';
import type { TrainerBus } from '../domain/ports.js';
import { runTuning } from '../domain/tuning.js';

/** Consumes `tuning.requested` one tuning at a time and runs it; events go out as the trials finish. */
export function startWorker(bus: TrainerBus, loadCsv: CsvLoader, logger: Logger) {
  return bus.consumeWork(async (work, heartbeat) => {
    const log = logger.child({ tuning_id: work.tuning_id });
    log.info({ trial_count: work.trial_count }, 'tuning started');
    const started = performance.now();
    try {
      const outcome = await runTuning(work, { publish: bus.publishEvent, loadCsv, heartbeat });
      log.info({ ...outcome, ms: Math.round(performance.now() - started) }, 'tuning finished');
    } catch (err) {
      if (!(err instanceof UnusableDataError)) throw err;
      const errors = limitProblems([{ path: 'dataset', message: err.message }]);
      // Nothing was published for the tuning yet (the data come first): refused, not retried.
      await bus.publishEvent(SUBJECTS.tuneRejected, rejection(work.tuning_id, errors), work.tuning_id);
      log.warn({ err }, 'tuning rejected: its data cannot be used');
    }
  });
}

import { SUBJECTS } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import { type CsvLoader, UnusableDataError } from '../domain/dataset.js';
import { limitProblems, rejection } from '../domain/intake.js';
import type { TrainerBus } from '../domain/ports.js';
import { openTuning, runTuning } from '../domain/tuning.js';
import { closingPorts } from './trials.js';

/** How a tuning's trials run: queued for every replica's threads, or one after another in the replica that took it. */
export type TrialMode = 'queue' | 'inline';

/** Trial messages published at once when a tuning is queued. */
const PUBLISH_BATCH = 64;

/** The tuning the worker has in hand: its logger (naming it), and whether its work message has no delivery left. */
export interface TuningInHand {
  readonly log: Logger;
  readonly lastAttempt: boolean;
}

/** The CSV loader of one tuning in hand (its snapshot reads log with its logger and know its delivery). */
export type CsvLoaderOf = (tuning: TuningInHand) => CsvLoader;

/**
 * Consumes `tuning.requested` one tuning at a time: builds the data set, publishes tuning.started, then queues one
 * `trial.requested` per trial (mode `queue`) or runs every trial here (mode `inline`). A data set that cannot be
 * used is refused as tune.rejected, before anything else is published.
 */
export function startWorker(bus: TrainerBus, loaderOf: CsvLoaderOf, logger: Logger, mode: TrialMode) {
  return bus.consumeWork(async (work, heartbeat, delivery) => {
    const log = logger.child({ tuning_id: work.tuning_id });
    const loadCsv = loaderOf({ log, lastAttempt: delivery.lastAttempt });
    log.info({ trial_count: work.trial_count, mode }, 'tuning started');
    const started = performance.now();
    try {
      if (mode === 'inline') {
        const outcome = await runTuning(work, { ...closingPorts(bus, log), loadCsv, heartbeat });
        log.info({ ...outcome, ms: Math.round(performance.now() - started) }, 'tuning finished');
        return;
      }
      const { trials } = await openTuning(work, { publish: bus.publishEvent, loadCsv });
      for (let i = 0; i < trials.length; i += PUBLISH_BATCH) {
        heartbeat();
        const batch = trials.slice(i, i + PUBLISH_BATCH);
        await Promise.all(batch.map((t) => bus.publishEvent(SUBJECTS.trialRequested, t, t.trial_id)));
      }
      log.info({ trials: trials.length, ms: Math.round(performance.now() - started) }, 'tuning queued');
    } catch (err) {
      if (!(err instanceof UnusableDataError)) throw err;
      const errors = limitProblems([{ path: 'dataset', message: err.message }]);
      // Nothing was published for the tuning yet (the data come first): refused, not retried.
      await bus.publishEvent(SUBJECTS.tuneRejected, rejection(work.tuning_id, errors), work.tuning_id);
      log.warn({ err }, 'tuning rejected: its data cannot be used');
    }
  });
}

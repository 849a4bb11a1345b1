import { setTimeout as delay } from 'node:timers/promises';
import { SUBJECTS, type TuningRequested } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import { type CsvLoader, UnusableDataError } from '../domain/dataset.js';
import { limitProblems, markGaveUp, markWorkDone, rejection, workDone } from '../domain/intake.js';
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
 * used is refused as tune.rejected, before anything else is published. A tuning the worker finished with is marked
 * done, and its request delivered again after JetStream's duplicate window (or a copy of it) is not run again; one it
 * gives up on (its last delivery failed) is marked so, and the request sent again is stored and run again.
 */
export function startWorker(bus: TrainerBus, loaderOf: CsvLoaderOf, logger: Logger, mode: TrialMode) {
  return bus.consumeWork(async (work, heartbeat, delivery) => {
    const log = logger.child({ tuning_id: work.tuning_id });
    if (await workDone(bus, work.tuning_id)) {
      log.info('tuning already queued or run: its request delivered again is not run again');
      return;
    }
    const loadCsv = loaderOf({ log, lastAttempt: delivery.lastAttempt });
    await workOn(bus, work, { log, heartbeat, loadCsv }, mode).catch(async (err: unknown) => {
      if (delivery.lastAttempt) await givenUp(bus, work.tuning_id, delivery.streamSequence, log);
      throw err;
    });
    // Unmarked, only a delivery after the duplicate window would run it again: not worth failing a finished tuning.
    await markWorkDone(bus, work.tuning_id).catch((err: unknown) => log.warn({ err }, 'tuning not marked done'));
  });
}

/**
 * Marks a tuning's request given up (it is dead-lettered next): sent again, it is stored and run again. Tried a few
 * times over ~3 s, as the failure that ended the delivery may be NATS's own.
 */
async function givenUp(bus: TrainerBus, tuningId: string, streamSequence: number, log: Logger): Promise<void> {
  for (const pauseMs of MARK_RETRY_PAUSES_MS) {
    try {
      await markGaveUp(bus, tuningId, streamSequence);
      return;
    } catch (err) {
      if (pauseMs === undefined) {
        log.warn({ err }, 'tuning not marked given up: its request sent again is answered accepted but not run');
        return;
      }
      await delay(pauseMs);
    }
  }
}

/** Pauses between attempts to mark a tuning given up; undefined after the last. */
const MARK_RETRY_PAUSES_MS = [500, 1000, 1500, undefined];

/** What working on one tuning needs besides the bus. */
interface WorkPorts {
  readonly log: Logger;
  readonly heartbeat: () => void;
  readonly loadCsv: CsvLoader;
}

/** Queues or runs one tuning's trials, or refuses it as tune.rejected when its data cannot be used. */
async function workOn(bus: TrainerBus, work: TuningRequested['data'], ports: WorkPorts, mode: TrialMode) {
  const { log, heartbeat, loadCsv } = ports;
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
}

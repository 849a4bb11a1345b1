import { SUBJECTS, type TrialRequested } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import { UnusableDataError } from '../domain/data-source.js';
import type { PublishEvent, TrainerBus } from '../domain/ports.js';
import type { QueuedTrialResult } from '../domain/trial-runner.js';
import { TrialGivenUpError, tallyCounts } from '../domain/trial-tally.js';
import { closeTuning, publishTrialEnd, trialRefOf } from '../domain/tuning.js';

/** Where queued trials run (worker threads in production). */
export interface TrialExecutor {
  run(trial: TrialRequested['data']): Promise<QueuedTrialResult>;
  holdout(trial: TrialRequested['data']): Promise<Parameters<typeof closeTuning>[2]>;
}

/**
 * Consumes the shared trial queue: per trial run.started, the fit on a worker thread, run.completed or run.failed,
 * then its outcome in the shared tally; whichever replica accounts for a tuning's last trial publishes
 * tuning.completed (its id names the tuning, so a second publish is dropped). A trial whose data set cannot be
 * rebuilt, or whose last fit attempt fails, is recorded as failed with the reason, then dead-lettered
 * (TrialGivenUpError); a failure to record it is retried like any error.
 */
export function startTrialConsumer(bus: TrainerBus, executor: TrialExecutor, concurrency: number, logger: Logger) {
  return bus.consumeTrials(async (trial, delivery) => {
    const log = logger.child({ tuning_id: trial.tuning_id, trial_id: trial.trial_id });
    const startedAt = new Date().toISOString();
    await bus.publishEvent(SUBJECTS.runStarted, { ...trialRefOf(trial), started_at: startedAt }, trial.trial_id);
    log.debug({ last_attempt: delivery.lastAttempt }, 'trial fitting');
    let result: QueuedTrialResult;
    try {
      result = await executor.run(trial);
    } catch (err) {
      if (!(err instanceof UnusableDataError) && !delivery.lastAttempt) throw err;
      const reason = `the trial could not run: ${(err as Error).message}`;
      // If accounting fails (NATS unreachable), its error is retried like any other: the trial is not lost unaccounted.
      await account(trial, { ok: false, reason }, '', startedAt, bus, executor, log);
      log.error({ err, last_attempt: delivery.lastAttempt }, 'trial failed for good: dead-lettered');
      throw new TrialGivenUpError(reason, { cause: err });
    }
    log.debug({ ok: result.outcome.ok }, 'trial fitted');
    await account(trial, result.outcome, result.datasetDigest, startedAt, bus, executor, log);
  }, concurrency);
}

/** Publishes how the trial ended, records it, and closes the tuning when it was the last one accounted for. */
async function account(
  trial: TrialRequested['data'],
  outcome: QueuedTrialResult['outcome'],
  datasetDigest: string,
  startedAt: string,
  bus: Pick<TrainerBus, 'publishEvent' | 'tallies'>,
  executor: TrialExecutor,
  log: Logger,
): Promise<void> {
  const publish: PublishEvent = bus.publishEvent;
  await publishTrialEnd(trialRefOf(trial), outcome, datasetDigest, startedAt, publish);
  const tally = await bus.tallies.record(trial.tuning_id, trial.trial_count, trial.trial_index, outcome.ok);
  const counts = tallyCounts(tally);
  log.debug({ ...counts }, 'trial accounted for');
  if (!counts.complete) return;
  const holdout = await executor.holdout(trial).catch(() => undefined);
  await closeTuning(trial, counts, holdout, publish);
}

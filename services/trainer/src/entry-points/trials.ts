import { setTimeout as sleep } from 'node:timers/promises';
import { EventSchemaError } from '@mlops/bus';
import { SUBJECTS, type TrialRequested } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import { TrialTimeoutError } from '../adapters/trial-threads.js';
import { UnusableDataError } from '../domain/data-source.js';
import type { PublishEvent, TrainerBus } from '../domain/ports.js';
import type { QueuedTrialResult, TuningHoldout } from '../domain/trial-runner.js';
import { type TallyCounts, TrialGivenUpError, tallyCounts } from '../domain/trial-tally.js';
import { type ClosingPorts, closeTuning, publishTrialEnd, trialRefOf } from '../domain/tuning.js';

/** Where queued trials run (worker threads in production). */
export interface TrialExecutor {
  run(trial: TrialRequested['data']): Promise<QueuedTrialResult>;
  holdout(trial: TrialRequested['data']): Promise<TuningHoldout>;
}

/**
 * Consumes the shared trial queue: per trial run.started, the fit on a worker thread, run.completed or run.failed,
 * then its outcome in the shared tally; whichever replica accounts for a tuning's last trial publishes
 * tuning.completed (its id names the tuning, so a second publish is dropped). A trial the tally already holds as
 * completed is not fitted again. A trial whose data set cannot be rebuilt, or whose last fit attempt fails, is
 * recorded as failed with the reason, then dead-lettered (TrialGivenUpError); a failure to record it is retried like
 * any error.
 */
export function startTrialConsumer(bus: TrainerBus, executor: TrialExecutor, concurrency: number, logger: Logger) {
  const close = tuningCloser(executor, bus, logger);
  return bus.consumeTrials(async (trial, delivery) => {
    const log = logger.child({ tuning_id: trial.tuning_id, trial_id: trial.trial_id });
    if (await completedBefore(trial, bus, (counts) => close(trial, counts), delivery.signal, log)) return;
    const startedAt = new Date().toISOString();
    // Patiently too: on the last delivery a failed publish would dead-letter the trial before it is accounted for.
    const started = { ...trialRefOf(trial), started_at: startedAt };
    await patiently(() => bus.publishEvent(SUBJECTS.runStarted, started, trial.trial_id), delivery.signal, log);
    log.debug({ last_attempt: delivery.lastAttempt }, 'trial fitting');
    let result: QueuedTrialResult;
    try {
      result = await executor.run(trial);
    } catch (err) {
      if (!givesUpAtOnce(err) && !delivery.lastAttempt) throw retryable(err);
      const reason = `the trial could not run: ${(err as Error).message}`;
      const failure = { ok: false, reason } as const;
      await patiently(() => account(trial, failure, '', startedAt, bus, close, log), delivery.signal, log);
      log.error({ err, last_attempt: delivery.lastAttempt }, 'trial failed for good: dead-lettered');
      throw new TrialGivenUpError(reason, { cause: err });
    }
    log.debug({ ok: result.outcome.ok }, 'trial fitted');
    await patiently(
      () => account(trial, result.outcome, result.datasetDigest, startedAt, bus, close, log),
      delivery.signal,
      log,
    );
  }, concurrency);
}

/**
 * Whether the trial's completion is already recorded: a copy of it (redelivered after its ack was lost, or queued
 * again when its tuning was sent again) is then not fitted a second time, and closes the tuning only when every trial
 * is accounted for and no replica marked it closed (the one that completed the last trial may have died closing it).
 * A check that cannot be read, or misses a mark made a moment ago, lets the trial run: a second fit costs time, never
 * a second MLflow run.
 */
async function completedBefore(
  trial: TrialRequested['data'],
  bus: Pick<TrainerBus, 'tallies'>,
  close: (counts: TallyCounts) => Promise<void>,
  signal: AbortSignal,
  log: Logger,
): Promise<boolean> {
  try {
    if (!(await bus.tallies.completed(trial.tuning_id, trial.trial_index))) return false;
  } catch (err) {
    log.warn({ err }, 'trial tally not read: fitting the trial, which may have completed before');
    return false;
  }
  log.info('trial already completed: not fitted again');
  await patiently(
    async () => {
      const counts = tallyCounts(await bus.tallies.tally(trial.tuning_id, trial.trial_count));
      if (counts.complete && !counts.closed) await close(counts);
    },
    signal,
    log,
  );
  return true;
}

/** A trial failure no other attempt can mend: data unusable anywhere, or a fit that ran past the time limit. */
function givesUpAtOnce(err: unknown): boolean {
  return (err instanceof UnusableDataError && !err.readableElsewhere) || err instanceof TrialTimeoutError;
}

/** Data this replica alone could not read is tried again (on whichever replica takes it), not dead-lettered. */
function retryable(err: unknown): unknown {
  if (!(err instanceof UnusableDataError)) return err;
  return new Error(`trial data not readable on this replica: ${err.message}`, { cause: err });
}

/**
 * Runs `step` again while it fails for want of NATS, with backoff up to 10 s, until the consumer stops: a fitted trial
 * must not end unaccounted (its message could run out of deliveries while NATS is away, and no replica would then
 * close its tuning). An event that breaks its schema or an index out of range is a bug: thrown at once.
 */
async function patiently(step: () => Promise<void>, signal: AbortSignal, log: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (signal.aborted || err instanceof EventSchemaError || err instanceof RangeError) throw err;
      log.warn({ err, attempt }, 'trial outcome not recorded yet: retrying');
      await sleep(Math.min(500 * 2 ** (attempt - 1), 10_000), undefined, { signal }).catch(() => undefined);
    }
  }
}

/** Publishes how the trial ended, records it, and closes the tuning when it was the last one accounted for. */
async function account(
  trial: TrialRequested['data'],
  outcome: QueuedTrialResult['outcome'],
  datasetDigest: string,
  startedAt: string,
  bus: Pick<TrainerBus, 'publishEvent' | 'tallies'>,
  close: (trial: TrialRequested['data'], counts: TallyCounts) => Promise<void>,
  log: Logger,
): Promise<void> {
  const publish: PublishEvent = bus.publishEvent;
  await publishTrialEnd(trialRefOf(trial), outcome, datasetDigest, startedAt, publish);
  const tally = await bus.tallies.record(trial.tuning_id, trial.trial_count, trial.trial_index, outcome.ok);
  const counts = tallyCounts(tally);
  log.debug({ ...counts }, 'trial accounted for');
  if (counts.complete && !counts.closed) await close(trial, counts);
}

/**
 * Publishes a tuning's tuning.completed once per process: two of its trials ending side by side on this replica both
 * see it complete. Replicas racing to it are de-duplicated by JetStream (the event id names the tuning), and a copy
 * of a trial arriving after JetStream's duplicate window finds the tuning marked closed. A close that fails is
 * forgotten, so the retry closes it.
 */
function tuningCloser(
  executor: TrialExecutor,
  bus: Pick<TrainerBus, 'publishEvent' | 'storeHoldout' | 'tallies'>,
  logger: Logger,
) {
  const closed = new Set<string>();
  return async (trial: TrialRequested['data'], counts: TallyCounts): Promise<void> => {
    if (closed.has(trial.tuning_id)) return;
    closed.add(trial.tuning_id);
    if (closed.size > 1000) closed.delete(closed.values().next().value!);
    try {
      const log = logger.child({ tuning_id: trial.tuning_id });
      const holdout = await holdoutOrNone(executor, trial, log);
      await closeTuning(trial, counts, holdout, closingPorts(bus, log));
      // Failing, the close is retried whole: its publish again is de-duplicated (within the window), the mark made.
      await bus.tallies.markClosed(trial.tuning_id);
    } catch (err) {
      closed.delete(trial.tuning_id);
      throw err;
    }
  };
}

/** How a tuning closes over the bus: a cut holdout's whole the store refuses is logged, and left out. */
export function closingPorts(bus: Pick<TrainerBus, 'publishEvent' | 'storeHoldout'>, log: Logger): ClosingPorts {
  return {
    publish: bus.publishEvent,
    storeHoldout: bus.storeHoldout,
    holdoutNotStored: (err) =>
      log.warn({ err }, 'holdout cut and its whole not stored: the gate judges on the rows the event carries'),
  };
}

/** Holdout builds tried before a tuning closes without one (a thread that died is replaced; a bug is not). */
const HOLDOUT_ATTEMPTS = 3;

/**
 * The tuning's holdout for the gate, built again when a build fails; none only when the data set is unusable now or
 * every attempt failed (then the gate cannot compare with the champion and says so), logged as an error.
 */
async function holdoutOrNone(executor: TrialExecutor, trial: TrialRequested['data'], log: Logger) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await executor.holdout(trial);
    } catch (err) {
      if (err instanceof UnusableDataError || err instanceof TrialTimeoutError || attempt >= HOLDOUT_ATTEMPTS) {
        log.error({ err, attempt }, 'tuning closes without its holdout: the gate cannot compare it with the champion');
        return undefined;
      }
      log.warn({ err, attempt }, 'holdout not built: trying again');
    }
  }
}

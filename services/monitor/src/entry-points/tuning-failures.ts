import type { Bus, ConsumerHandle } from '@mlops/bus';
import { CONSUMERS, type EventData, refusesAcceptedTuning, STREAMS, SUBJECTS } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import type { Retrainer, TuningFailure } from '../domain/retrainer.js';

/** Provisions the monitor's durable consumers of tunings that end without a verdict (events from their creation on). */
export async function provisionTuningFailures(bus: Bus): Promise<void> {
  await bus.ensureStream(STREAMS.tuneRequests);
  await bus.ensureStream(STREAMS.tuningEvents);
  const durable = (name: string, filterSubject: string) => ({
    durable: name,
    filterSubject,
    deliverPolicy: 'new' as const,
  });
  await bus.ensureConsumer(STREAMS.tuneRequests.name, durable(CONSUMERS.monitorTuneRejected, SUBJECTS.tuneRejected));
  await bus.ensureConsumer(
    STREAMS.tuningEvents.name,
    durable(CONSUMERS.monitorTuningCompleted, SUBJECTS.tuningCompleted),
  );
}

/**
 * Tunings that end with no gate verdict ever coming: `tune.rejected` (the worker found the data unusable after the
 * intake accepted them) and `tuning.completed` with no completed trial. A retrain waiting for such a tuning ends as
 * failed (its lease released) instead of holding the model until the lease expires.
 */
export async function consumeTuningFailures(bus: Bus, retrainer: Retrainer): Promise<ConsumerHandle[]> {
  const refused = await bus.consumeEvents(CONSUMERS.monitorTuneRejected, {
    [SUBJECTS.tuneRejected]: async ({ id, data }) => {
      const failure = workerRefusal(id, data);
      if (failure !== undefined) await retrainer.onTuningFailed(failure);
    },
  });
  const completed = await bus.consumeEvents(CONSUMERS.monitorTuningCompleted, {
    [SUBJECTS.tuningCompleted]: async ({ data }) => {
      const failure = noTrialSucceeded(data);
      if (failure !== undefined) await retrainer.onTuningFailed(failure);
    },
  });
  return [refused, completed];
}

/**
 * Reads stored failures of retrain tunings back at start, so `mlops history` names them after a restart: each
 * retrain's own `retrain.failed` (RETRAIN keeps 90 days), then the tunings' events still in their streams (30 days).
 * A failure found only there (seen by a monitor from before `retrain.failed`) is stored as one now, so its reason
 * outlives the tuning's events.
 */
export async function restoreTuningFailures(bus: Bus, retrainer: Retrainer, logger: Logger): Promise<void> {
  await bus.replayEvents(SUBJECTS.retrainFailed, ({ data }) => {
    retrainer.rememberFailure({ tuningId: data.tuning_id, reason: data.reason, at: data.failed_at });
  });
  const unrecorded: EventData<'retrain.failed'>[] = [];
  const learn = (failure: TuningFailure | undefined) => {
    const record = failure === undefined ? undefined : retrainer.rememberFailure(failure);
    if (record !== undefined) unrecorded.push(record);
  };
  await bus.replayEvents(SUBJECTS.tuneRejected, ({ id, data }) => learn(workerRefusal(id, data)));
  await bus.replayEvents(SUBJECTS.tuningCompleted, ({ data }) => learn(noTrialSucceeded(data)));
  for (const record of unrecorded) {
    await bus.publishEvent(SUBJECTS.retrainFailed, record, { key: record.retrain_id }).catch((err: unknown) => {
      logger.warn({ err, retrain: record.retrain_id }, 'retrain.failed not stored: tried again at the next start');
    });
  }
}

/**
 * The worker's refusal of an accepted tuning (refusesAcceptedTuning): a stray bad request that merely claims a
 * retrain's tuning id must not end that retrain while its tuning runs.
 */
function workerRefusal(id: string, data: EventData<'tune.rejected'>): TuningFailure | undefined {
  if (!refusesAcceptedTuning({ id, data }) || data.tuning_id === null) return undefined;
  const errors = data.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  return {
    tuningId: data.tuning_id,
    reason: `tuning ${data.tuning_id} was refused: ${errors}`,
    at: data.rejected_at,
  };
}

function noTrialSucceeded(data: EventData<'tuning.completed'>): TuningFailure | undefined {
  if (data.lineage === undefined || data.completed > 0) return undefined;
  const reason = `no trial of tuning ${data.tuning_id} succeeded (${data.failed} of ${data.trial_count} failed): nothing to judge`;
  return { tuningId: data.tuning_id, reason, at: data.ended_at };
}

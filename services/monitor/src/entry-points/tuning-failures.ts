import type { Bus, ConsumerHandle } from '@mlops/bus';
import { CONSUMERS, type EventData, refusesAcceptedTuning, STREAMS, SUBJECTS } from '@mlops/contracts';
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
 * retrain's own `retrain.failed` (kept with the retrains), then the tunings' events still in their streams (30 days),
 * for failures a monitor before `retrain.failed` saw.
 */
export async function restoreTuningFailures(bus: Bus, retrainer: Retrainer): Promise<void> {
  await bus.replayEvents(SUBJECTS.retrainFailed, ({ data }) =>
    retrainer.rememberFailure({ tuningId: data.tuning_id, reason: data.reason, at: data.failed_at }),
  );
  await bus.replayEvents(SUBJECTS.tuneRejected, ({ id, data }) => {
    const failure = workerRefusal(id, data);
    if (failure !== undefined) retrainer.rememberFailure(failure);
  });
  await bus.replayEvents(SUBJECTS.tuningCompleted, ({ data }) => {
    const failure = noTrialSucceeded(data);
    if (failure !== undefined) retrainer.rememberFailure(failure);
  });
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

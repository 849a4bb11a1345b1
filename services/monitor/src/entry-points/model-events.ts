import type { Bus, ConsumerHandle } from '@mlops/bus';
import { CONSUMERS, type EventData, NO_CHAMPION, type RetrainOutcome, STREAMS, SUBJECTS } from '@mlops/contracts';
import type { Monitor } from '../domain/monitor.js';
import type { Retrainer } from '../domain/retrainer.js';

/** Provisions the monitor's durable consumer of the models stream (events from its creation on). */
export async function provisionModelEvents(bus: Bus): Promise<void> {
  await bus.ensureStream(STREAMS.models);
  await bus.ensureConsumer(STREAMS.models.name, { durable: CONSUMERS.monitorModels, deliverPolicy: 'new' });
}

/**
 * The gate's outcomes: `model.registered` (the champion moved) and `model.rejected` end the retrain that waited
 * for the tuning, and a promotion ends the replaced version's drift episode. `model.load_failed` is not the
 * monitor's concern.
 */
export async function consumeModelEvents(bus: Bus, monitor: Monitor): Promise<ConsumerHandle> {
  return await bus.consumeEvents(CONSUMERS.monitorModels, {
    [SUBJECTS.modelRegistered]: async ({ data }, message) => {
      const promoted = {
        version: data.version,
        previous: data.previous_version ?? null,
        sequence: message.streamSequence,
      };
      const verdict = promotion(data);
      await monitor.onModelOutcome({
        model: data.name,
        tuningId: data.tuning_id,
        retrainId: data.retrain_id,
        verdict,
        promoted,
      });
    },
    [SUBJECTS.modelRejected]: async ({ data }) => {
      const verdict = rejection(data);
      await monitor.onModelOutcome({ model: data.name, tuningId: data.tuning_id, retrainId: data.retrain_id, verdict });
    },
    [SUBJECTS.modelLoadFailed]: async () => undefined,
  });
}

/**
 * Reads the gate's stored verdicts on retrain tunings back at start, so `mlops history` names their outcome (a
 * promotion or rollback by hand carries no retrain id and does not overwrite them).
 */
export async function restoreOutcomes(bus: Bus, retrainer: Retrainer): Promise<void> {
  await bus.replayEvents(SUBJECTS.modelRegistered, ({ data }) => {
    if (data.retrain_id !== undefined) retrainer.rememberOutcome(data.tuning_id, promotion(data));
  });
  await bus.replayEvents(SUBJECTS.modelRejected, ({ data }) => {
    if (data.retrain_id !== undefined) retrainer.rememberOutcome(data.tuning_id, rejection(data));
  });
}

function promotion(data: EventData<'model.registered'>): RetrainOutcome {
  return {
    verdict: 'promoted',
    version: data.version,
    run_id: data.run_id,
    champion_version: data.previous_version ?? null,
    reason: data.reason ?? 'promoted',
    at: data.registered_at,
  };
}

function rejection(data: EventData<'model.rejected'>): RetrainOutcome {
  return {
    verdict: 'rejected',
    version: data.version,
    run_id: data.run_id ?? null,
    champion_version: data.champion_version === NO_CHAMPION ? null : data.champion_version,
    reason: data.reason,
    at: data.rejected_at,
  };
}

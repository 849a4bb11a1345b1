import type { Bus, ConsumerHandle } from '@mlops/bus';
import { CONSUMERS, STREAMS, SUBJECTS } from '@mlops/contracts';
import type { Monitor } from '../domain/monitor.js';

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
    [SUBJECTS.modelRegistered]: async ({ data }) => {
      const promoted = { version: data.version, previous: data.previous_version ?? null };
      await monitor.onModelOutcome({ model: data.name, tuningId: data.tuning_id, promoted });
    },
    [SUBJECTS.modelRejected]: async ({ data }) => {
      await monitor.onModelOutcome({ model: data.name, tuningId: data.tuning_id });
    },
    [SUBJECTS.modelLoadFailed]: async () => undefined,
  });
}

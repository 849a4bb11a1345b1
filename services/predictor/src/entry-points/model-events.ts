import { type Bus, PoisonMessageError } from '@mlops/bus';
import { ModelRegisteredSchema, STREAMS, SUBJECTS } from '@mlops/contracts';
import type { ModelReloader } from '../domain/reloader.js';

/** The predictor instance's own durable consumer of `model.registered` (each instance sees every event). */
export function modelEventsDurable(instance: string): string {
  return `predictor-${instance}`;
}

/** Provisions the models stream and this instance's consumer (new events only: the champion is read at start). */
export async function provisionModelEvents(bus: Bus, instance: string): Promise<void> {
  await bus.ensureDeadLetterStream();
  await bus.ensureStream(STREAMS.models);
  await bus.ensureConsumer(STREAMS.models.name, {
    durable: modelEventsDurable(instance),
    filterSubject: SUBJECTS.modelRegistered,
    deliverPolicy: 'new',
  });
}

/** Hot reload: each `model.registered` for our model and alias loads that version and swaps it in. */
export function consumeModelEvents(
  bus: Bus,
  instance: string,
  model: { name: string; alias: string },
  reloader: ModelReloader,
) {
  return bus.consume(STREAMS.models.name, modelEventsDurable(instance), async (message) => {
    const parsed = ModelRegisteredSchema.safeParse(message.json());
    if (!parsed.success) throw new PoisonMessageError(`model.registered breaks its schema: ${parsed.error.message}`);
    const event = parsed.data.data;
    if (event.name !== model.name || event.alias !== model.alias) return;
    await reloader.offer(event.version, 'model.registered');
  });
}

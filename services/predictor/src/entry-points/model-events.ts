import { type Bus, PoisonMessageError } from '@mlops/bus';
import {
  eventType,
  type ModelLoadFailed,
  ModelRegisteredSchema,
  makeEnvelope,
  STREAMS,
  SUBJECTS,
} from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import type { PredictorConfig } from '../config.js';
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

/** Tells the pipeline a registered version could not be loaded here (the previous one keeps serving); never throws. */
export async function publishLoadFailed(
  bus: Bus,
  failure: { config: PredictorConfig; version: string; err: unknown; serving: string | null },
  logger: Logger,
): Promise<void> {
  const { config, version } = failure;
  const event = makeEnvelope<ModelLoadFailed['data']>({
    type: eventType(SUBJECTS.modelLoadFailed),
    id: `${SUBJECTS.modelLoadFailed}:${config.modelName}:${version}:${config.instance}`,
    source: `predictor/${config.instance}`,
    data: {
      name: config.modelName,
      version,
      alias: config.modelAlias,
      instance: config.instance,
      reason: String((failure.err as Error)?.message ?? failure.err).slice(0, 2000) || 'unknown error',
      serving_version: failure.serving,
      failed_at: new Date().toISOString(),
    },
  });
  try {
    await bus.publish(SUBJECTS.modelLoadFailed, JSON.stringify(event), { msgId: event.id });
  } catch (err) {
    logger.warn({ err, version }, 'could not publish model.load_failed');
  }
}

import type { Bus } from '@mlops/bus';
import { STREAMS, SUBJECTS } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import type { PredictorConfig } from '../config.js';

/**
 * The predictor instance's own durable consumer of `model.registered` (each instance sees every event); worker `slot`
 * of a multi-process predictor has its own (`-w<slot>`), so each worker sees every event too. Slot 1 keeps the
 * instance's name: a single process and the first worker share it. No instance name ends in `-w<digits>` (loadConfig
 * refuses it), so no instance's consumer is another's worker's.
 */
export function modelEventsDurable(instance: string, slot = 1): string {
  return slot === 1 ? `predictor-${instance}` : `predictor-${instance}-w${slot}`;
}

/** How long an abandoned durable consumer of model events stays (7 days: longer than any outage or redeploy). */
export const MODEL_EVENTS_INACTIVE_THRESHOLD_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Provisions the models stream and this consumer (new events only: the champion is read at start), which the server
 * deletes after 7 days without a consumer (an instance name no longer used).
 */
export async function provisionModelEvents(bus: Bus, durable: string): Promise<void> {
  await bus.ensureDeadLetterStream();
  await bus.ensureStream(STREAMS.models);
  await bus.ensureConsumer(STREAMS.models.name, {
    durable,
    filterSubject: SUBJECTS.modelRegistered,
    deliverPolicy: 'new',
    inactiveThresholdMs: MODEL_EVENTS_INACTIVE_THRESHOLD_MS,
  });
}

/**
 * Hot reload: `model.registered` for our model and alias says the alias moved, so the predictor reads where it
 * points now and serves that (a rollback to a lower version included; a stale event changes nothing).
 */
export function consumeModelEvents(
  bus: Bus,
  durable: string,
  model: { name: string; alias: string },
  followChampion: (reason: string) => Promise<unknown>,
  logger: Logger,
) {
  return bus.consumeEvents(durable, {
    [SUBJECTS.modelRegistered]: async ({ data }) => {
      if (data.name !== model.name || data.alias !== model.alias) return;
      // A registry that cannot be read now is the poll's to retry (as a failed load is): the event is not retried.
      await followChampion(`model.registered v${data.version}`).catch((err: unknown) =>
        logger.warn({ err, version: data.version }, 'could not read the champion alias: the poll will retry'),
      );
    },
  });
}

/** Tells the pipeline a registered version could not be loaded here (the previous one keeps serving); never throws. */
export async function publishLoadFailed(
  bus: Bus,
  failure: { config: PredictorConfig; version: string; err: unknown; serving: string | null },
  logger: Logger,
): Promise<void> {
  const { config, version } = failure;
  const data = {
    name: config.modelName,
    version,
    alias: config.modelAlias,
    instance: config.instance,
    reason: String((failure.err as Error)?.message ?? failure.err).slice(0, 2000) || 'unknown error',
    serving_version: failure.serving,
    failed_at: new Date().toISOString(),
  };
  try {
    const key = `${config.modelName}:${version}:${config.instance}`;
    await bus.publishEvent(SUBJECTS.modelLoadFailed, data, { key });
  } catch (err) {
    logger.warn({ err, version }, 'could not publish model.load_failed');
  }
}

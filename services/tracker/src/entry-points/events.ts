import { type Bus, type BusMessage, PoisonMessageError } from '@mlops/bus';
import {
  CONSUMERS,
  eventType,
  ModelRegisteredSchema,
  makeEnvelope,
  RunCompletedSchema,
  RunFailedSchema,
  RunStartedSchema,
  STREAMS,
  SUBJECTS,
  TuningCompletedSchema,
  TuningStartedSchema,
} from '@mlops/contracts';
import type { MlflowClient } from '@mlops/mlflow';
import type { Logger } from '@mlops/service-kit';
import type { z } from 'zod';
import type { MlflowRecorder } from '../domain/recorder.js';
import { registerBest } from '../domain/registrar.js';
import { CHAMPION_ALIAS } from '../domain/tags.js';
import { holdWhileUnavailable } from './hold.js';

/** Redeliveries of one event before it is dead-lettered (pending trials wait through these). */
export const TRACKER_MAX_DELIVER = 10;
/**
 * How long an event stays with a tracker that stopped answering: a crashed tracker's event goes to its successor
 * after this. Handlers only wait on MLflow (never block the event loop), so the bus's heartbeat keeps slow ones alive.
 */
export const TRACKER_ACK_WAIT_MS = 15_000;

/** Everything an event handler needs. */
export interface TrackerDeps {
  readonly bus: Bus;
  readonly mlflow: MlflowClient;
  readonly recorder: MlflowRecorder;
  readonly source: string;
  readonly logger: Logger;
}

/** Provisions the tracker's stream, consumer and the models stream it publishes to. */
export async function provisionTracker(bus: Bus): Promise<void> {
  await bus.ensureDeadLetterStream();
  await bus.ensureStream(STREAMS.tuningEvents);
  await bus.ensureStream(STREAMS.models);
  await bus.ensureConsumer(STREAMS.tuningEvents.name, {
    durable: CONSUMERS.trackerEvents,
    ackWaitMs: TRACKER_ACK_WAIT_MS,
    maxDeliver: TRACKER_MAX_DELIVER,
  });
}

/**
 * Consumes tuning events in order and mirrors each into MLflow; tuning.completed registers the best model.
 * While MLflow is down, the event at hand is held and retried (nothing behind it could be recorded either).
 */
export function consumeTuningEvents(deps: TrackerDeps) {
  const log = deps.logger;
  const onWait = (err: Error, delayMs: number) =>
    log.warn({ err, retry_in_ms: delayMs }, 'MLflow unavailable: holding the event until it is back');
  const handler = (message: BusMessage) =>
    holdWhileUnavailable(() => handle(message, deps), { signal: message.signal, onWait });
  return deps.bus.consume(STREAMS.tuningEvents.name, CONSUMERS.trackerEvents, handler, {
    concurrency: 1,
    maxDeliver: TRACKER_MAX_DELIVER,
    ackWaitMs: TRACKER_ACK_WAIT_MS,
  });
}

async function handle(message: BusMessage, deps: TrackerDeps): Promise<void> {
  const body = message.json();
  const { recorder } = deps;
  switch (message.subject) {
    case SUBJECTS.tuningStarted:
      return await recorder.recordTuningStarted(parse(TuningStartedSchema, body, message).data);
    case SUBJECTS.runStarted:
      return await recorder.recordRunStarted(parse(RunStartedSchema, body, message).data);
    case SUBJECTS.runCompleted:
      return await recorder.recordRunCompleted(parse(RunCompletedSchema, body, message).data);
    case SUBJECTS.runFailed:
      return await recorder.recordRunFailed(parse(RunFailedSchema, body, message).data);
    case SUBJECTS.tuningCompleted:
      return await completeTuning(parse(TuningCompletedSchema, body, message).data, deps);
    default:
      deps.logger.warn({ subject: message.subject }, 'ignoring an event the tracker does not handle');
  }
}

function parse<T extends z.ZodType>(schema: T, body: unknown, message: BusMessage): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new PoisonMessageError(
      `${message.subject} #${message.streamSequence} breaks its schema: ${result.error.message}`,
    );
  }
  return result.data;
}

async function completeTuning(data: z.output<typeof TuningCompletedSchema>['data'], deps: TrackerDeps): Promise<void> {
  const log = deps.logger.child({ tuning_id: data.tuning_id });
  const registration = await registerBest(deps.mlflow, deps.recorder, data);
  if (registration === undefined) {
    log.warn('no trial succeeded: nothing registered');
    return;
  }
  const { version, best, metricValue } = registration;
  const event = makeEnvelope({
    type: eventType(SUBJECTS.modelRegistered),
    id: `${SUBJECTS.modelRegistered}:${version.name}:${version.version}`,
    source: deps.source,
    data: {
      tuning_id: data.tuning_id,
      trial_id: best.trialId,
      name: version.name,
      version: version.version,
      alias: CHAMPION_ALIAS,
      run_id: best.runId,
      model_uri: `models:/${version.name}/${version.version}`,
      source_uri: version.source,
      metric: { name: data.selection_metric, value: metricValue },
      registered_at: new Date().toISOString(),
    },
  });
  ModelRegisteredSchema.parse(event);
  await deps.bus.publish(SUBJECTS.modelRegistered, JSON.stringify(event), { msgId: event.id });
  log.info(
    { name: version.name, version: version.version, trial_id: best.trialId, metric: metricValue },
    'model registered',
  );
}

import type { Bus, BusMessage, EventHandlers } from '@mlops/bus';
import { CONSUMERS, type EventData, NO_CHAMPION, STREAMS, SUBJECTS } from '@mlops/contracts';
import { holdWhileUnavailable } from '@mlops/mlflow';
import { KeyedQueue, type Logger } from '@mlops/service-kit';
import type { GateVerdict } from '../domain/gate.js';
import type { ChampionRegistry, Registration, TuningFigures, TuningRecords, Unregistered } from '../domain/ports.js';
import { decidePromotion, type GateDefaults } from '../domain/promotion.js';
import { type ReadStoredHoldout, withStoredHoldout } from '../domain/stored-holdout.js';
import { CHAMPION_ALIAS } from '../domain/tags.js';

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
  readonly records: TuningRecords;
  readonly registry: ChampionRegistry;
  readonly figures: TuningFigures;
  /** Where a tuning's whole holdout is read when its event carries only the first rows. */
  readonly readStoredHoldout: ReadStoredHoldout;
  readonly gate: GateDefaults;
  readonly logger: Logger;
  /** Events handled at once. @defaultValue 1 */
  readonly concurrency?: number;
  /** One decision at a time per registered model, shared with the registry requests (promote, rollback). */
  readonly modelMoves: KeyedQueue;
}

/** Provisions the tracker's stream, consumer and the models stream it publishes to. */
export async function provisionTracker(bus: Bus): Promise<void> {
  await bus.ensureDeadLetterStream();
  await bus.ensureStream(STREAMS.tuningEvents);
  await bus.ensureStream(STREAMS.models);
  // A tuning whose trials completed but that registered nothing is refused there (tune.rejected), with why.
  await bus.ensureStream(STREAMS.tuneRequests);
  await bus.ensureConsumer(STREAMS.tuningEvents.name, {
    durable: CONSUMERS.trackerEvents,
    ackWaitMs: TRACKER_ACK_WAIT_MS,
    maxDeliver: TRACKER_MAX_DELIVER,
  });
}

type TuningEvent =
  | typeof SUBJECTS.tuningStarted
  | typeof SUBJECTS.runStarted
  | typeof SUBJECTS.runCompleted
  | typeof SUBJECTS.runFailed
  | typeof SUBJECTS.tuningCompleted;

/**
 * Consumes tuning events, `concurrency` at once, and mirrors each into MLflow; tuning.completed registers the best
 * model, or says why none could be. An event that arrives before what it needs (a trial before its tuning.started,
 * tuning.completed before its last trials are recorded) is retried later. While MLflow is down, the events at hand
 * are held and retried.
 */
export function consumeTuningEvents(deps: TrackerDeps) {
  const { records, logger } = deps;
  const completions = new KeyedQueue();
  const onWait = (err: Error, delayMs: number) =>
    logger.warn({ err, retry_in_ms: delayMs }, 'MLflow unavailable: holding the event until it is back');
  const held =
    <T>(work: (data: T) => Promise<void>) =>
    (event: { data: T }, message: BusMessage) =>
      holdWhileUnavailable(() => work(event.data), { signal: message.signal, onWait });
  const handlers: EventHandlers<TuningEvent> = {
    [SUBJECTS.tuningStarted]: held(records.tuningStarted),
    [SUBJECTS.runStarted]: held(records.runStarted),
    [SUBJECTS.runCompleted]: (event, message) =>
      holdWhileUnavailable(() => records.runCompleted(event.data, message.streamSequence), {
        signal: message.signal,
        onWait,
      }),
    [SUBJECTS.runFailed]: held(records.runFailed),
    // Two deliveries of one tuning.completed (a redelivery overtaking a slow first) register one at a time.
    [SUBJECTS.tuningCompleted]: held((data: EventData<'tuning.completed'>) =>
      completions.run(data.tuning_id, () => completeTuning(data, deps)),
    ),
  };
  const concurrency = deps.concurrency ?? 1;
  return deps.bus.consumeEvents(CONSUMERS.trackerEvents, handlers, {
    concurrency,
    prefetch: concurrency,
    maxDeliver: TRACKER_MAX_DELIVER,
    ackWaitMs: TRACKER_ACK_WAIT_MS,
  });
}

async function completeTuning(event: EventData<'tuning.completed'>, deps: TrackerDeps): Promise<void> {
  const log = deps.logger.child({ tuning_id: event.tuning_id });
  const { data, kept } = await withStoredHoldout(event, deps.readStoredHoldout);
  if (kept !== undefined)
    log.warn({ reason: kept }, 'judging on the rows the event carries: its whole holdout is unusable');
  const outcome = await deps.records.tuningCompleted(data);
  if (outcome.kind === 'unregistered') {
    await announceUnregistered(data, outcome.unregistered, deps, log);
    return;
  }
  const { registration } = outcome;
  // One model's decisions one at a time, each against the champion the one before left, never beside a promote or
  // rollback of it; registering before and drawing after run outside, so a manual move waits for no more than this.
  await deps.modelMoves.run(registration.name, async () => {
    const verdict = await decidePromotion(deps.registry, deps.gate, data, registration);
    if (verdict === undefined) {
      const { name, version } = registration;
      log.info({ name, version }, 'delivered again after its move was made and overtaken: nothing changed');
    } else {
      await announceVerdict(data, registration, verdict, deps, log);
    }
  });
  await drawFigures(data, registration, deps, log);
}

async function announceVerdict(
  data: EventData<'tuning.completed'>,
  registration: Registration,
  verdict: GateVerdict,
  deps: TrackerDeps,
  log: Logger,
): Promise<void> {
  const { name, version } = registration;
  if (verdict.status === 'promoted') {
    await deps.bus.publishEvent(SUBJECTS.modelRegistered, registered(data, registration, verdict), {
      key: `${name}:${version}`,
    });
    log.info({ name, version, trial_id: registration.trialId, reason: verdict.reason }, 'model registered as champion');
    return;
  }
  await deps.bus.publishEvent(SUBJECTS.modelRejected, rejected(data, registration, verdict), {
    key: `${name}:${version}`,
  });
  log.info({ name, version, champion: verdict.championVersion, reason: verdict.reason }, 'model kept as challenger');
}

/**
 * A tuning that registered nothing: once trials completed, no consumer can tell from tuning.completed that no verdict
 * will come, so it is refused as `tune.rejected` (its id names the tuning, as the worker's refusal does: `mlops tune`
 * and a retrain waiting on it end with the reason); with none completed, tuning.completed says it already. Announced
 * before the parent run says it, and only while it does not: a redelivery after both publishes nothing again, one
 * cut short in between publishes the same message id, which JetStream drops.
 */
async function announceUnregistered(
  data: EventData<'tuning.completed'>,
  unregistered: Unregistered,
  deps: TrackerDeps,
  log: Logger,
): Promise<void> {
  const { path, message } = unregistered;
  if (!unregistered.recorded && data.completed > 0) {
    const refusal = { tuning_id: data.tuning_id, errors: [{ path, message }], rejected_at: data.ended_at };
    await deps.bus.publishEvent(SUBJECTS.tuneRejected, refusal, { key: data.tuning_id });
  }
  await deps.records.recordUnregistered(unregistered, data.ended_at);
  const { completed, failed } = data;
  log.warn({ run_id: unregistered.parentRunId, completed, failed, path, reason: message }, 'nothing registered');
}

/** After the verdict is out (serving never waits for pictures): a failure is logged, the tuning stays done. */
async function drawFigures(
  data: EventData<'tuning.completed'>,
  registration: Registration,
  deps: TrackerDeps,
  log: Logger,
): Promise<void> {
  try {
    const paths = await deps.figures.draw(data, registration);
    log.info({ run_id: registration.parentRunId, figures: paths }, 'tuning figures drawn');
  } catch (err) {
    log.warn({ err, run_id: registration.parentRunId }, 'tuning figures not drawn');
  }
}

function registered(
  data: EventData<'tuning.completed'>,
  registration: Registration,
  verdict: GateVerdict,
): EventData<'model.registered'> {
  const { name, version } = registration;
  return {
    tuning_id: data.tuning_id,
    trial_id: registration.trialId,
    name,
    version,
    alias: CHAMPION_ALIAS,
    run_id: registration.runId,
    model_uri: `models:/${name}/${version}`,
    source_uri: registration.source,
    metric: { name: data.selection_metric, value: registration.metricValue },
    previous_version: verdict.championVersion,
    reason: verdict.reason,
    ...(data.lineage === undefined ? {} : { retrain_id: data.lineage.retrain_id }),
    registered_at: data.ended_at,
  };
}

function rejected(
  data: EventData<'tuning.completed'>,
  registration: Registration,
  verdict: GateVerdict,
): EventData<'model.rejected'> {
  return {
    tuning_id: data.tuning_id,
    trial_id: registration.trialId,
    run_id: registration.runId,
    name: registration.name,
    version: registration.version,
    champion_version: verdict.championVersion ?? NO_CHAMPION,
    metric: { name: verdict.metric, challenger: verdict.challengerValue, champion: verdict.championValue },
    difference: verdict.difference,
    interval: verdict.interval,
    p_value: verdict.pValue,
    reason: verdict.reason,
    ...(data.lineage === undefined ? {} : { retrain_id: data.lineage.retrain_id }),
    rejected_at: data.ended_at,
  };
}

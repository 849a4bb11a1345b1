import { watchEvents } from '@mlops/bus';
import { type EventData, SUBJECTS } from '@mlops/contracts';
import type { NatsConnection } from '@nats-io/transport-node';

/** The events of one model's closed loop, in arrival order, as the loop tests read them. */
export interface LoopEvents {
  readonly windows: EventData<'monitor.window'>[];
  readonly detected: EventData<'drift.detected'>[];
  readonly resolved: EventData<'drift.resolved'>[];
  readonly degraded: EventData<'performance.degraded'>[];
  readonly registered: EventData<'model.registered'>[];
  readonly rejected: EventData<'model.rejected'>[];
  readonly retrains: EventData<'retrain.requested'>[];
  readonly skipped: EventData<'retrain.skipped'>[];
  /** The gate's verdict on a tuning once it came: its `model.registered` or `model.rejected`. */
  verdictOf(tuningId: string): EventData<'model.registered'> | EventData<'model.rejected'> | undefined;
}

/** Watches (core subscriptions) everything the loop publishes about `model` from now on. */
export function recordLoopEvents(client: NatsConnection, model: string): LoopEvents {
  const events: Omit<LoopEvents, 'verdictOf'> = {
    windows: [],
    detected: [],
    resolved: [],
    degraded: [],
    registered: [],
    rejected: [],
    retrains: [],
    skipped: [],
  };
  const mine = (name: string) => name === model;
  watchEvents(client, SUBJECTS.monitorWindow, ({ data }) => mine(data.model) && events.windows.push(data));
  watchEvents(client, SUBJECTS.driftDetected, ({ data }) => mine(data.model) && events.detected.push(data));
  watchEvents(client, SUBJECTS.driftResolved, ({ data }) => mine(data.model) && events.resolved.push(data));
  watchEvents(client, SUBJECTS.performanceDegraded, ({ data }) => mine(data.model) && events.degraded.push(data));
  watchEvents(client, SUBJECTS.modelRegistered, ({ data }) => mine(data.name) && events.registered.push(data));
  watchEvents(client, SUBJECTS.modelRejected, ({ data }) => mine(data.name) && events.rejected.push(data));
  watchEvents(client, SUBJECTS.retrainRequested, ({ data }) => mine(data.model) && events.retrains.push(data));
  watchEvents(client, SUBJECTS.retrainSkipped, ({ data }) => mine(data.model) && events.skipped.push(data));
  return {
    ...events,
    verdictOf: (tuningId) =>
      events.registered.find((r) => r.tuning_id === tuningId) ?? events.rejected.find((r) => r.tuning_id === tuningId),
  };
}

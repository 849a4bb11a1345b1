import type { z } from 'zod';
import { makeEnvelope } from './envelope.js';
import {
  ModelLoadFailedSchema,
  ModelRegisteredSchema,
  ModelRejectedSchema,
  RunCompletedSchema,
  RunFailedSchema,
  RunStartedSchema,
  TrialRequestedSchema,
  TuneRejectedSchema,
  TuningCompletedSchema,
  TuningRequestedSchema,
  TuningStartedSchema,
} from './events.js';
import {
  DriftDetectedSchema,
  DriftResolvedSchema,
  FeedbackReplySchema,
  FeedbackRequestSchema,
  LabelRecordedSchema,
  MonitorStatusReplySchema,
  MonitorStatusRequestSchema,
  MonitorWindowSchema,
  PerformanceDegradedSchema,
  PerformanceRecoveredSchema,
  PREDICTION_PACKED_FIELDS,
  PredictionLoggedSchema,
} from './monitoring.js';
import {
  ChampionMoveReplySchema,
  ListModelsReplySchema,
  ListModelsRequestSchema,
  PromoteRequestSchema,
  RollbackRequestSchema,
} from './registry.js';
import { TuneReplySchema } from './replies.js';
import {
  RetrainFailedSchema,
  RetrainHistoryReplySchema,
  RetrainHistoryRequestSchema,
  RetrainReplySchema,
  RetrainRequestedSchema,
  RetrainRequestSchema,
  RetrainSkippedSchema,
} from './retraining.js';
import { STREAMS, SUBJECTS } from './subjects.js';
import { TuneRequestSchema } from './tune-request.js';

/** What the map knows of one JetStream event: the stream that stores it and the schema of its envelope. */
export interface EventDefinition {
  readonly stream: string;
  /** The CloudEvents `type` every envelope of this subject carries. */
  readonly type: string;
  readonly schema: z.ZodType;
  /**
   * Fields of `data` that hold long base64 text (packed arrays): the bus writes them into the message as bytes
   * instead of through `JSON.stringify`, which costs several nanoseconds per character. The JSON is the same.
   */
  readonly packed?: readonly string[];
}

function define<S extends z.ZodObject<{ type: z.ZodLiteral<string> }>>(
  stream: { name: string },
  schema: S,
  packed?: readonly string[],
) {
  return { stream: stream.name, type: schema.shape.type.value, schema, ...(packed && { packed }) } as const;
}

/**
 * Every JetStream event, by subject: the only way events are published (`Bus.publishEvent`) and read
 * (`Bus.consumeEvents`, `watchEvents`). Adding an event means adding it here; everything else follows from the types.
 */
export const EVENT_MAP = {
  [SUBJECTS.tuneRejected]: define(STREAMS.tuneRequests, TuneRejectedSchema),
  [SUBJECTS.tuningRequested]: define(STREAMS.tuneRequests, TuningRequestedSchema),
  [SUBJECTS.trialRequested]: define(STREAMS.trials, TrialRequestedSchema),
  [SUBJECTS.tuningStarted]: define(STREAMS.tuningEvents, TuningStartedSchema),
  [SUBJECTS.runStarted]: define(STREAMS.tuningEvents, RunStartedSchema),
  [SUBJECTS.runCompleted]: define(STREAMS.tuningEvents, RunCompletedSchema),
  [SUBJECTS.runFailed]: define(STREAMS.tuningEvents, RunFailedSchema),
  [SUBJECTS.tuningCompleted]: define(STREAMS.tuningEvents, TuningCompletedSchema),
  [SUBJECTS.modelRegistered]: define(STREAMS.models, ModelRegisteredSchema),
  [SUBJECTS.modelRejected]: define(STREAMS.models, ModelRejectedSchema),
  [SUBJECTS.modelLoadFailed]: define(STREAMS.models, ModelLoadFailedSchema),
  [SUBJECTS.predictionLogged]: define(STREAMS.predictions, PredictionLoggedSchema, PREDICTION_PACKED_FIELDS),
  [SUBJECTS.labelRecorded]: define(STREAMS.feedback, LabelRecordedSchema),
  [SUBJECTS.monitorWindow]: define(STREAMS.monitor, MonitorWindowSchema),
  [SUBJECTS.driftDetected]: define(STREAMS.monitor, DriftDetectedSchema),
  [SUBJECTS.driftResolved]: define(STREAMS.monitor, DriftResolvedSchema),
  [SUBJECTS.performanceDegraded]: define(STREAMS.monitor, PerformanceDegradedSchema),
  [SUBJECTS.performanceRecovered]: define(STREAMS.monitor, PerformanceRecoveredSchema),
  [SUBJECTS.retrainRequested]: define(STREAMS.retrain, RetrainRequestedSchema),
  [SUBJECTS.retrainSkipped]: define(STREAMS.retrain, RetrainSkippedSchema),
  [SUBJECTS.retrainFailed]: define(STREAMS.retrain, RetrainFailedSchema),
} as const satisfies Record<string, EventDefinition>;

/** A subject that carries JetStream events (a key of {@link EVENT_MAP}). */
export type EventSubject = keyof typeof EVENT_MAP;

/** The whole envelope of an event on subject `S`, as consumers read it. */
export type EventOf<S extends EventSubject> = z.output<(typeof EVENT_MAP)[S]['schema']>;

/** The `data` of an event on subject `S`, as producers write it. */
export type EventData<S extends EventSubject> = EventOf<S>['data'];

/** The outcome of checking a body against its subject's schema. */
export type ParsedEvent<S extends EventSubject> =
  | { readonly ok: true; readonly event: EventOf<S> }
  | { readonly ok: false; readonly reason: string };

/** True when `subject` is in the event map (narrowing a raw NATS subject before parsing). */
export function isEventSubject(subject: string): subject is EventSubject {
  return Object.hasOwn(EVENT_MAP, subject);
}

/** Checks an already-decoded body against the envelope schema of `subject`; the reason names the subject and fields. */
export function parseEvent<S extends EventSubject>(subject: S, body: unknown): ParsedEvent<S> {
  const result = EVENT_MAP[subject].schema.safeParse(body);
  if (result.success) return { ok: true, event: result.data as EventOf<S> };
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(envelope)'}: ${i.message}`);
  return { ok: false, reason: `${subject} breaks its schema: ${problems.join('; ').slice(0, 900)}` };
}

/**
 * The envelope of an event on `subject`. Its id is `<subject>:<key>`, so `key` must name the fact described
 * (a trial id, `<model>:<version>`): it doubles as the JetStream message id, and a re-published event is dropped.
 * The bus passes a key bounded to MAX_EVENT_ID_LENGTH (its `eventId`: a long key ends in its digest).
 */
export function makeEvent<S extends EventSubject>(
  subject: S,
  fields: { key: string; source: string; data: EventData<S>; time?: Date },
): EventOf<S> {
  const { key, source, data, time } = fields;
  const type = EVENT_MAP[subject].type;
  return makeEnvelope({
    type,
    id: `${subject}:${key}`,
    source,
    data,
    ...(time === undefined ? {} : { time }),
  }) as EventOf<S>;
}

/**
 * True for the trainer worker's refusal of an accepted tuning, whose event id names the tuning
 * (`tune.rejected:<tuning_id>`). The intake's refusals of a request (id `tune.rejected:<uuid>`) concern only their
 * requester, who has the reply: one that claims a running tuning's id says nothing about that tuning.
 */
export function refusesAcceptedTuning(event: {
  readonly id: string;
  readonly data: EventData<'tune.rejected'>;
}): boolean {
  return event.data.tuning_id !== null && event.id === `tune.rejected:${event.data.tuning_id}`;
}

/** Core NATS request/reply subjects: the schema of the request and of the answer. */
export const REQUEST_MAP = {
  [SUBJECTS.tuneRequested]: { request: TuneRequestSchema, reply: TuneReplySchema },
  [SUBJECTS.registryModels]: { request: ListModelsRequestSchema, reply: ListModelsReplySchema },
  [SUBJECTS.registryPromote]: { request: PromoteRequestSchema, reply: ChampionMoveReplySchema },
  [SUBJECTS.registryRollback]: { request: RollbackRequestSchema, reply: ChampionMoveReplySchema },
  [SUBJECTS.feedbackReceived]: { request: FeedbackRequestSchema, reply: FeedbackReplySchema },
  [SUBJECTS.monitorStatus]: { request: MonitorStatusRequestSchema, reply: MonitorStatusReplySchema },
  [SUBJECTS.monitorRetrain]: { request: RetrainRequestSchema, reply: RetrainReplySchema },
  [SUBJECTS.monitorHistory]: { request: RetrainHistoryRequestSchema, reply: RetrainHistoryReplySchema },
} as const;

/** The request schema of `subject`, for the server that parses raw bodies. */
export function requestSchema<S extends RequestSubject>(subject: S): (typeof REQUEST_MAP)[S]['request'] {
  return REQUEST_MAP[subject].request;
}

/** A core request/reply subject (a key of {@link REQUEST_MAP}). */
export type RequestSubject = keyof typeof REQUEST_MAP;

/** What a requester may send on `S` (defaults not yet applied). */
export type RequestOf<S extends RequestSubject> = z.input<(typeof REQUEST_MAP)[S]['request']>;

/** The answer to a request on `S`. */
export type ReplyOf<S extends RequestSubject> = z.output<(typeof REQUEST_MAP)[S]['reply']>;

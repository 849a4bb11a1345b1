import { CONSUMERS, STREAMS, SUBJECTS, type Subject } from '@mlops/contracts';

/** Who produces and who handles the messages of one subject (what the contracts cannot say by themselves). */
export interface SubjectRole {
  readonly summary: string;
  readonly publishers: readonly string[];
  readonly consumers: readonly string[];
  /** The JetStream message id (`Nats-Msg-Id`, also the CloudEvents id); undefined for core NATS messages. */
  readonly messageId: string | undefined;
}

/** A durable consumer and its delivery settings (mirrors services/*: adapters and entry-points). */
export interface ConsumerDoc {
  readonly durable: string;
  readonly service: string;
  readonly stream: string;
  readonly filter: string | undefined;
  readonly deliverPolicy: 'all' | 'new';
  readonly ackWait: string;
  readonly maxDeliver: number;
  readonly concurrency: number;
  readonly source: string;
}

const trainerWorker = `trainer worker (durable \`${CONSUMERS.trainer}\`)`;
const tracker = `tracker (durable \`${CONSUMERS.trackerEvents}\`)`;
const cliWatch = '`mlops tune` (core subscription, progress display only)';

/** Every subject's roles; a Record over Subject, so a subject added to the contracts fails to compile here. */
export const SUBJECT_ROLES: Record<Subject, SubjectRole> = {
  [SUBJECTS.tuneRequested]: {
    summary:
      'A tune request: plain JSON (no envelope), every field optional. Core NATS request/reply, served by the queue group `trainer-intake`; the reply is `tune.reply`. Without a reply subject (`nats pub`) the request is handled the same way and the answer is dropped.',
    publishers: ['`mlops tune`', '`nats request tune.requested …`', 'any NATS client'],
    consumers: ['trainer intake (queue group `trainer-intake`)'],
    messageId: undefined,
  },
  [SUBJECTS.registryModels]: {
    summary:
      "Lists a registered model's versions (newest first) with metric, gate status and reason, aliases and tuning. Core NATS request/reply; every field optional.",
    publishers: ['`mlops models`', "`nats request registry.models '{}'`"],
    consumers: ['tracker (queue group `tracker-registry`)'],
    messageId: undefined,
  },
  [SUBJECTS.registryPromote]: {
    summary:
      'Moves `champion` to any version (a rejected one too), records who asked and why in the promotion history, and publishes `model.registered`.',
    publishers: ['`mlops promote`', '`nats request registry.promote \'{"version": "3", "reason": "…"}\'`'],
    consumers: ['tracker (queue group `tracker-registry`)'],
    messageId: undefined,
  },
  [SUBJECTS.registryRollback]: {
    summary:
      'Moves `champion` back to the champion before it (from the promotion history) and publishes `model.registered`.',
    publishers: ['`mlops rollback`', '`nats request registry.rollback \'{"reason": "…"}\'`'],
    consumers: ['tracker (queue group `tracker-registry`)'],
    messageId: undefined,
  },
  [SUBJECTS.tuneRejected]: {
    summary: 'A tune request that failed validation, with every problem. Nothing was trained or tracked.',
    publishers: ['trainer intake'],
    consumers: ['none (kept in the stream for inspection)'],
    messageId: '`tune.rejected:<random uuid>` (every rejection is stored)',
  },
  [SUBJECTS.tuningRequested]: {
    summary:
      "An accepted request with every default applied: the trainer's durable unit of work. The intake replies `accepted` only after JetStream stored it.",
    publishers: ['trainer intake'],
    consumers: [trainerWorker],
    messageId: '`tuning.requested:<tuning_id>`',
  },
  [SUBJECTS.tuningStarted]: {
    summary: 'The trainer built the data set and is about to train `trial_count` models.',
    publishers: ['trainer worker'],
    consumers: [tracker, cliWatch],
    messageId: '`tuning.started:<tuning_id>`',
  },
  [SUBJECTS.runStarted]: {
    summary: 'One trial began fitting.',
    publishers: ['trainer worker'],
    consumers: [tracker],
    messageId: '`run.started:<trial_id>`',
  },
  [SUBJECTS.runCompleted]: {
    summary: 'One trial fitted and evaluated; carries the weights, so the tracker can build the model files.',
    publishers: ['trainer worker'],
    consumers: [tracker, cliWatch],
    messageId: '`run.completed:<trial_id>`',
  },
  [SUBJECTS.runFailed]: {
    summary: 'One trial could not be fitted; the tuning goes on with the others.',
    publishers: ['trainer worker'],
    consumers: [tracker, cliWatch],
    messageId: '`run.failed:<trial_id>`',
  },
  [SUBJECTS.tuningCompleted]: {
    summary:
      "Every trial ended. The tracker picks the best completed trial by the selection metric, registers it, and its promotion gate compares it with the champion on `holdout` (the first test rows) under `gate` (the request's overrides of the tracker's defaults).",
    publishers: ['trainer worker'],
    consumers: [tracker, cliWatch],
    messageId: '`tuning.completed:<tuning_id>`',
  },
  [SUBJECTS.modelRegistered]: {
    summary:
      'The `champion` alias moved (the gate promoted a better model, or a person promoted or rolled back): predictors resolve the alias and hot-reload what it points to.',
    publishers: ['tracker'],
    consumers: ['predictor (durable `predictor-<PREDICTOR_INSTANCE>`, one per instance)', cliWatch],
    messageId: '`model.registered:<name>:<version>`',
  },
  [SUBJECTS.modelRejected]: {
    summary:
      "The gate kept the champion: the tuning's best is registered with the alias `challenger`, with both metric values, the difference, its interval and the reason (also tagged on the version and the tuning's parent run).",
    publishers: ['tracker'],
    consumers: [cliWatch, 'none else (kept in the MODELS stream)'],
    messageId: '`model.rejected:<name>:<version>`',
  },
  [SUBJECTS.modelLoadFailed]: {
    summary:
      'A predictor could not load a registered version (corrupt or missing files, MLflow error) and keeps serving the previous one; also counted in `predictor_model_reload_failures_total`.',
    publishers: ['predictor'],
    consumers: ['none yet (kept in the MODELS stream for alerting and inspection)'],
    messageId: '`model.load_failed:<name>:<version>:<instance>`',
  },
};

/** The replies to core requests (not subjects of their own: they go to the requester's inbox), by schema key. */
export const REPLY_ROLES: Readonly<Record<string, SubjectRole>> = {
  'tune.reply': {
    summary: 'The answer to a tune request that carried a reply subject: `accepted` with the id, or `rejected`.',
    publishers: ['trainer intake'],
    consumers: ['the requester (`mlops tune`, `nats request`)'],
    messageId: undefined,
  },
  'registry.models.reply': {
    summary: 'The answer to `registry.models`: the champion and each version with metric, gate verdict and aliases.',
    publishers: ['tracker'],
    consumers: ['the requester (`mlops models`, `nats request`)'],
    messageId: undefined,
  },
  'registry.move.reply': {
    summary:
      'The answer to `registry.promote` and `registry.rollback`: where champion points now and before, or `rejected` with the reasons (nothing moved).',
    publishers: ['tracker'],
    consumers: ['the requester (`mlops promote`, `mlops rollback`, `nats request`)'],
    messageId: undefined,
  },
};

/** The durable consumers the services provision, with the settings they pass to @mlops/bus. */
export const CONSUMER_DOCS: readonly ConsumerDoc[] = [
  {
    durable: CONSUMERS.trainer,
    service: 'trainer (worker)',
    stream: STREAMS.tuneRequests.name,
    filter: SUBJECTS.tuningRequested,
    deliverPolicy: 'all',
    ackWait: '20 s, extended every third of it while a tuning runs',
    maxDeliver: 5,
    concurrency: 1,
    source: 'services/trainer/src/adapters/nats-bus.ts',
  },
  {
    durable: CONSUMERS.trackerEvents,
    service: 'tracker',
    stream: STREAMS.tuningEvents.name,
    filter: undefined,
    deliverPolicy: 'all',
    ackWait: '15 s, extended while a handler waits on MLflow',
    maxDeliver: 10,
    concurrency: 1,
    source: 'services/tracker/src/entry-points/events.ts',
  },
  {
    durable: 'predictor-<PREDICTOR_INSTANCE>',
    service: 'predictor (each instance)',
    stream: STREAMS.models.name,
    filter: SUBJECTS.modelRegistered,
    deliverPolicy: 'new',
    ackWait: '30 s',
    maxDeliver: 5,
    concurrency: 1,
    source: 'services/predictor/src/entry-points/model-events.ts',
  },
];

/** Every NATS subject the pipeline uses, in one place. */
export const SUBJECTS = {
  /** Core request/reply intake: plain JSON tune requests (`nats pub tune.requested '{}'`). */
  tuneRequested: 'tune.requested',
  /** Core request/reply, answered by the tracker: the versions of a registered model. */
  registryModels: 'registry.models',
  /** Core request/reply, answered by the tracker: move champion to a version, recording who and why. */
  registryPromote: 'registry.promote',
  /** Core request/reply, answered by the tracker: champion back to the previous champion. */
  registryRollback: 'registry.rollback',
  /** A tune request that failed validation (JetStream). */
  tuneRejected: 'tune.rejected',
  /** An accepted, normalised tune request: the trainer's durable work queue (JetStream). */
  tuningRequested: 'tuning.requested',
  /** One trial of an accepted tuning: the work queue every trainer replica consumes (JetStream, stream TRIALS). */
  trialRequested: 'trial.requested',
  tuningStarted: 'tuning.started',
  runStarted: 'run.started',
  runCompleted: 'run.completed',
  runFailed: 'run.failed',
  tuningCompleted: 'tuning.completed',
  /** The tracker registered a new model version and moved the alias to it (JetStream). */
  modelRegistered: 'model.registered',
  /** The gate kept the champion: the tuning's best is registered as challenger (JetStream). */
  modelRejected: 'model.rejected',
  /** A predictor could not load a registered version; it keeps serving the previous one (JetStream). */
  modelLoadFailed: 'model.load_failed',
  /** What a predictor scored: one message per request, rows batched (JetStream, stream PREDICTIONS). */
  predictionLogged: 'prediction.logged',
  /** Core request/reply, answered by the monitor: plain JSON labels (`nats pub feedback.received '{…}'`). */
  feedbackReceived: 'feedback.received',
  /** A label the monitor accepted and joined to its prediction (JetStream). */
  labelRecorded: 'label.recorded',
  /** Core request/reply, answered by the monitor: latest window and live performance per served version. */
  monitorStatus: 'monitor.status',
  /** Every closed monitoring window with every statistic (JetStream). */
  monitorWindow: 'monitor.window',
  /** Dataset drift began (once per episode). */
  driftDetected: 'drift.detected',
  /** Dataset drift ended. */
  driftResolved: 'drift.resolved',
  /** The live metric fell below the training metric by more than the threshold (once per episode). */
  performanceDegraded: 'performance.degraded',
  /** The live metric came back within the threshold. */
  performanceRecovered: 'performance.recovered',
  /** Core request/reply, answered by the monitor: retrain the served version now (`mlops retrain`). */
  monitorRetrain: 'monitor.retrain',
  /** Core request/reply, answered by the monitor: past retrains with their verdicts, newest first (`mlops history`). */
  monitorHistory: 'monitor.history',
  /** A retrain passed the policy; its tune request was sent (JetStream). */
  retrainRequested: 'retrain.requested',
  /** A retrain trigger held but the policy said not now, and why (JetStream). */
  retrainSkipped: 'retrain.skipped',
  /** A retrain's tuning ended with no verdict to come, and why (JetStream). */
  retrainFailed: 'retrain.failed',
} as const;

/** One of the subject strings in {@link SUBJECTS}. */
export type Subject = (typeof SUBJECTS)[keyof typeof SUBJECTS];

/**
 * How long TUNE_REQUESTS and TUNING_EVENTS keep a message: a tuning's events are transport (its holdout alone takes up
 * to half a megabyte, and the monitor reads every kept `tuning.completed` at start), MLflow keeps its record, and a
 * retrain keeps its own outcome (RETRAIN, MODELS). Longer than the 7 days a tuning id stays claimed, so a repeated id
 * still finds what its tuning came to.
 */
export const TUNING_STREAM_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

/** JetStream streams and the subjects each captures (no overlaps; nats-server 2.9 consumers take one filter). */
export const STREAMS = {
  /** The trainer's work queue and the requests it refused; kept 30 days (MLflow keeps the record of each tuning). */
  tuneRequests: {
    name: 'TUNE_REQUESTS',
    subjects: ['tuning.requested', 'tune.rejected'],
    maxAgeMs: TUNING_STREAM_MAX_AGE_MS,
  },
  /** The trials of accepted tunings: a work queue (each message deleted once a replica acknowledged it). */
  trials: { name: 'TRIALS', subjects: ['trial.requested'], retention: 'workqueue' },
  /** What the trainer did: tuning and run lifecycle events, consumed by the tracker; kept 30 days, as TUNE_REQUESTS. */
  tuningEvents: {
    name: 'TUNING_EVENTS',
    subjects: ['tuning.started', 'tuning.completed', 'run.>'],
    maxAgeMs: TUNING_STREAM_MAX_AGE_MS,
  },
  /** Model registry events, consumed by predictors. */
  models: { name: 'MODELS', subjects: ['model.>'] },
  /** The prediction log, consumed by the monitor; bounded by age and bytes (the predictor's config). */
  predictions: { name: 'PREDICTIONS', subjects: ['prediction.logged'] },
  /** Labels joined to predictions, replayed by the monitor when it starts. */
  feedback: { name: 'FEEDBACK', subjects: ['label.recorded'] },
  /** What the monitor concluded: windows, drift and performance episodes. */
  monitor: { name: 'MONITOR', subjects: ['monitor.window', 'drift.>', 'performance.>'] },
  /** The retrain policy's decisions: what it started and what it held back. */
  retrain: { name: 'RETRAIN', subjects: ['retrain.requested', 'retrain.skipped', 'retrain.failed'] },
} as const;

/** Durable consumer names, one per (service, purpose). */
export const CONSUMERS = {
  trainer: 'trainer-tuning-requests',
  trainerTrials: 'trainer-trials',
  trackerEvents: 'tracker-tuning-events',
  predictorModels: 'predictor-model-registered',
  monitorPredictions: 'monitor-predictions',
  monitorModels: 'monitor-model-events',
  monitorTuneRejected: 'monitor-tune-rejected',
  monitorTuningCompleted: 'monitor-tuning-completed',
  monitorMlflowWindows: 'monitor-mlflow-windows',
} as const;

/**
 * The prediction log's limits when nothing else is configured (the predictor's PREDICTOR_LOG_* defaults): 7 days,
 * 1 GiB, a 2-minute de-duplication window (request ids are unique).
 */
export const PREDICTIONS_STREAM_DEFAULTS = {
  ...STREAMS.predictions,
  duplicateWindowMs: 2 * 60 * 1000,
  maxAgeMs: 7 * 24 * 3600 * 1000,
  maxBytes: 1024 ** 3,
} as const;

import { CONSUMERS, STREAMS, SUBJECTS, type Subject, TUNING_STREAM_MAX_AGE_MS } from '@mlops/contracts';

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
  /** How many messages it takes at once (handled or pulled ahead). */
  readonly inFlight: string;
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
    publishers: ['`mlops tune`', 'monitor (a retrain)', '`nats request tune.requested …`', 'any NATS client'],
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
    summary:
      'A tune request refused, with every problem: at the intake (validation) or by the worker after acceptance when the data prove unusable (nothing was trained or tracked), or by the tracker when trials completed but none can be registered (no completed trial has the selection metric, e.g. roc_auc on a one-class test split; the parent run is FAILED with the reason in mlops.failure_reason).',
    publishers: ['trainer intake', 'trainer worker', 'tracker'],
    consumers: [
      '`mlops tune` (core subscription: prints the problems and exits 1)',
      'monitor (durable `monitor-tune-rejected`: a retrain whose tuning was refused ends as failed)',
      'kept in the stream for inspection',
    ],
    messageId:
      '`tune.rejected:<random uuid>` at the intake (every rejection is stored); `tune.rejected:<tuning_id>` from the worker or the tracker (once per tuning)',
  },
  [SUBJECTS.tuningRequested]: {
    summary:
      "An accepted request with every default applied: the trainer's durable unit of work. The intake replies `accepted` only after JetStream stored it.",
    publishers: ['trainer intake'],
    consumers: [trainerWorker],
    messageId: '`tuning.requested:<tuning_id>`',
  },
  [SUBJECTS.trialRequested]: {
    summary:
      'One trial of an accepted tuning, with the request its data set is rebuilt from: the work queue every trainer replica consumes (stream TRIALS, work-queue retention). A replica fits it on a worker thread while the message is kept alive; a replica that dies mid-trial has it redelivered to another; a trial that keeps failing is dead-lettered and counted as failed.',
    publishers: ['trainer worker (the replica that took the tuning)'],
    consumers: ['trainer trial consumers (durable `trainer-trials`, shared by every replica)'],
    messageId: '`trial.requested:<trial_id>`',
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
    consumers: [
      tracker,
      'monitor (durable `monitor-tuning-completed`: a retrain tuning with no completed trial ends as failed)',
      cliWatch,
    ],
    messageId: '`tuning.completed:<tuning_id>`',
  },
  [SUBJECTS.modelRegistered]: {
    summary:
      'The `champion` alias moved (the gate promoted a better model, or a person promoted or rolled back): predictors resolve the alias and hot-reload what it points to.',
    publishers: ['tracker'],
    consumers: [
      'predictor (durable `predictor-<PREDICTOR_INSTANCE>`, one per predictor process: `-w<N>` appended for worker N > 1)',
      'monitor (durable `monitor-model-events`: ends the retrain that waited for the tuning)',
      cliWatch,
    ],
    messageId:
      '`model.registered:<name>:<version>` when the gate promotes; `model.registered:<name>:<version>:promote:<time>` or `model.registered:<name>:<version>:rollback:<time>` for a promote or rollback (`<time>` the ISO time of the move, so a repeated move is announced again)',
  },
  [SUBJECTS.modelRejected]: {
    summary:
      "The gate kept the champion (or, with none yet, held a first version below its threshold: `champion_version` is then `'0'`): the tuning's best is registered with the alias `challenger`, with both metric values, the difference, its interval and the reason (also tagged on the version and the tuning's parent run).",
    publishers: ['tracker'],
    consumers: ['monitor (durable `monitor-model-events`: ends the retrain that waited for the tuning)', cliWatch],
    messageId: '`model.rejected:<name>:<version>`',
  },
  [SUBJECTS.modelLoadFailed]: {
    summary:
      'A predictor could not load a registered version (corrupt or missing files, MLflow error) and keeps serving the previous one; also counted in `predictor_model_reload_failures_total`.',
    publishers: ['predictor'],
    consumers: ['none yet (kept in the MODELS stream for alerting and inspection)'],
    messageId: '`model.load_failed:<name>:<version>:<instance>`',
  },
  [SUBJECTS.predictionLogged]: {
    summary:
      'What a predictor scored, one message per request (rows batched): model, version, request id (row `i` has the prediction id `<request_id>-<i>`), features, probabilities and labels as little-endian doubles in base64, the sampling rate and the requests dropped before it. A request too large for one message goes in parts, each a message of its own whose entry says where it starts (`first_row`) and how many rows the request has (`request_rows`). Published after the answer, from a bounded buffer: never delays or fails a request.',
    publishers: ['predictor (PREDICTOR_LOG_SAMPLE of the requests)'],
    consumers: [
      `monitor (durable \`${CONSUMERS.monitorPredictions}\`)`,
      'monitor (replay at start, to rebuild the label join)',
    ],
    messageId:
      "`prediction.logged:<request_id>` (its first request's; a part: `prediction.logged:<request_id>@<first_row>`)",
  },
  [SUBJECTS.feedbackReceived]: {
    summary:
      'True outcomes: plain JSON `{"prediction_id": "…", "label": …}` (the class\'s own value as the target held it, `5` or `"yes"`, or its index 0 or 1) or an array of them (at most 10,000), optionally with `model` and `client` (the predictor sets `client` to the client id of the caller\'s token: the label then joins only the predictions of that client). Core NATS request/reply answered by the monitor, which joins each label to its prediction and stores it as `label.recorded`; the reply is `feedback.reply`. `POST /feedback` on the predictor forwards here.',
    publishers: ['`mlops feedback`', 'predictor `POST /feedback`', "`nats request feedback.received '{…}'`"],
    consumers: ['monitor (queue group `monitor-feedback`)'],
    messageId: undefined,
  },
  [SUBJECTS.labelRecorded]: {
    summary:
      'A label joined to its prediction (model, version, prediction time). The first label of a prediction id wins; repeats are answered as duplicates and not stored.',
    publishers: ['monitor'],
    consumers: ['monitor (replay at start)'],
    messageId: '`label.recorded:<prediction_id>`',
  },
  [SUBJECTS.monitorStatus]: {
    summary: 'The latest window and live performance of every served version the monitor saw (or one model/version).',
    publishers: ['`mlops monitor`', "`nats request monitor.status '{}'`"],
    consumers: ['monitor (queue group `monitor-status`)'],
    messageId: undefined,
  },
  [SUBJECTS.monitorWindow]: {
    summary:
      'One closed window (N rows or T seconds) of one served version: per feature and for the predicted probability PSI, Jensen–Shannon, KS or normalised Wasserstein, the deciding statistic, threshold and verdict; dataset drift; live performance; and the checkpoints a restarted monitor resumes from.',
    publishers: ['monitor'],
    consumers: [
      'monitor (its last message, at start)',
      'monitor (durable `monitor-mlflow-windows`: each window as a step of the version\'s MLflow run "monitoring v<N>", when `MONITOR_MLFLOW_RUNS` is on)',
    ],
    messageId: '`monitor.window:<model>:<version>:<window>`',
  },
  [SUBJECTS.driftDetected]: {
    summary: 'Dataset drift began for a served version (once per episode), naming the drifted features.',
    publishers: ['monitor'],
    consumers: ["none yet (alerting; the monitor's retrain policy counts drifted windows itself)"],
    messageId: '`drift.detected:<model>:<version>:<window>`',
  },
  [SUBJECTS.driftResolved]: {
    summary: 'The first window without dataset drift after an episode.',
    publishers: ['monitor'],
    consumers: ['none yet (alerting)'],
    messageId: '`drift.resolved:<model>:<version>:<window>`',
  },
  [SUBJECTS.performanceDegraded]: {
    summary:
      "The live metric (from labelled predictions) fell below the version's training metric by more than the threshold, with enough labelled rows (once per episode).",
    publishers: ['monitor'],
    consumers: ["none yet (alerting; the monitor's retrain policy reads its own episode state)"],
    messageId: '`performance.degraded:<model>:<version>:<episode>`',
  },
  [SUBJECTS.performanceRecovered]: {
    summary: 'The live metric came back within the threshold after a degradation.',
    publishers: ['monitor'],
    consumers: ['none yet (alerting)'],
    messageId: '`performance.recovered:<model>:<version>:<episode>`',
  },
  [SUBJECTS.monitorRetrain]: {
    summary:
      'Retrain the served version now, by hand (`{"reason": "…"}`): the policy\'s drift, new-label count and cooldown conditions are waived; at least 5 labelled rows of each class and no retrain in flight are still required. The reply is `monitor.retrain.reply`.',
    publishers: ['`mlops retrain`', "`nats request monitor.retrain '{}'`"],
    consumers: ['monitor (queue group `monitor-retrain`)'],
    messageId: undefined,
  },
  [SUBJECTS.monitorHistory]: {
    summary:
      "Past retrains of a model (or every model), newest first: trigger, data set, tuning id, and the gate's verdict on the version it registered (promoted with the champion it replaced, or rejected with why). The reply is `monitor.history.reply`.",
    publishers: ['`mlops history`', "`nats request monitor.history '{}'`"],
    consumers: ['monitor (queue group `monitor-history`)'],
    messageId: undefined,
  },
  [SUBJECTS.retrainRequested]: {
    summary:
      'A retrain passed the policy (drift for K windows or degraded performance, M new labelled rows, cooldown over, the single-flight lock taken): the labelled live rows were written as a data set (path, SHA-256, window, label coverage) and a tune request with that tuning id was sent.',
    publishers: ['monitor'],
    consumers: ['none yet (`mlops history`, dashboards)'],
    messageId: '`retrain.requested:<model>:<version>:<n>`',
  },
  [SUBJECTS.retrainSkipped]: {
    summary:
      "A retrain trigger held but the policy said not now, and why (too few new labels, one class only, cooldown, a retrain in flight, a failure). Published at most once a minute per version and reason (the message id names the minute, so a restarted monitor does not store it twice); every decision is counted in the monitor's metrics (`monitor_retrain_decisions_total`).",
    publishers: ['monitor'],
    consumers: ['none yet (alerting)'],
    messageId: '`retrain.skipped:<model>:<version>:<reason>:<minute>`',
  },
  [SUBJECTS.retrainFailed]: {
    summary:
      "A retrain's tuning ended with no verdict to come: the trainer refused its tune request or its data, or no trial succeeded. The retrain is over (its lease released) and `mlops history` shows the reason; the monitor reads these back at start, so the reason outlives the tuning's own events (TUNE_REQUESTS and TUNING_EVENTS keep 30 days).",
    publishers: ['monitor'],
    consumers: ['monitor (history at start)'],
    messageId: '`retrain.failed:<model>:<version>:<n>` (the retrain id)',
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
  'feedback.reply': {
    summary:
      'The answer to feedback: `accepted`, `partial` or `rejected`, the labels stored, the repeats ignored, and each refused label with its path and reason (unknown or expired prediction id, another model, a malformed field; a prediction of another client is answered as an unknown id).',
    publishers: ['monitor'],
    consumers: ['the requester (`mlops feedback`, predictor `POST /feedback`, `nats request`)'],
    messageId: undefined,
  },
  'monitor.status.reply': {
    summary: 'The answer to `monitor.status`: per version, the last window, the drift episode and live performance.',
    publishers: ['monitor'],
    consumers: ['the requester (`mlops monitor`, `nats request`)'],
    messageId: undefined,
  },
  'monitor.history.reply': {
    summary:
      'The answer to `monitor.history`: each retrain (as `retrain.requested` said it) with its outcome, or null while its tuning runs.',
    publishers: ['monitor'],
    consumers: ['the requester (`mlops history`, `nats request`)'],
    messageId: undefined,
  },
  'monitor.retrain.reply': {
    summary: 'The answer to `monitor.retrain`: `requested` with the retrain (ids, data set), or `skipped` with why.',
    publishers: ['monitor'],
    consumers: ['the requester (`mlops retrain`, `nats request`)'],
    messageId: undefined,
  },
};

/** A stream's limits as the services provision it (what @mlops/contracts' STREAMS does not carry). */
export interface StreamLimitsDoc {
  /** JetStream's de-duplication window for message ids. */
  readonly duplicateWindow: string;
  /** How long or how much it keeps (beside what retention deletes). */
  readonly keeps: string;
}

const HOUR_WINDOW = 'one hour';
const FOREVER = 'forever (no age or size limit)';
const TUNING_KEEPS = `${TUNING_STREAM_MAX_AGE_MS / (24 * 3600 * 1000)} days, no size limit (set by every service that uses it; MLflow keeps each tuning's record, RETRAIN and MODELS each retrain's outcome)`;

/** Every stream's limits, by name: a stream added to the contracts fails to compile here. */
export const STREAM_LIMITS: Record<(typeof STREAMS)[keyof typeof STREAMS]['name'] | 'DEAD_LETTERS', StreamLimitsDoc> = {
  TUNE_REQUESTS: { duplicateWindow: HOUR_WINDOW, keeps: TUNING_KEEPS },
  TRIALS: { duplicateWindow: HOUR_WINDOW, keeps: 'until a replica acknowledges the trial (or it is dead-lettered)' },
  TUNING_EVENTS: { duplicateWindow: HOUR_WINDOW, keeps: TUNING_KEEPS },
  MODELS: { duplicateWindow: HOUR_WINDOW, keeps: FOREVER },
  PREDICTIONS: {
    duplicateWindow: '2 minutes (at most PREDICTOR_LOG_MAX_AGE_S)',
    keeps:
      'PREDICTOR_LOG_MAX_AGE_S (default 7 days) and PREDICTOR_LOG_MAX_BYTES (default 1 GiB), oldest dropped first; set by the predictor (the monitor only creates it, with those defaults, when missing)',
  },
  FEEDBACK: { duplicateWindow: HOUR_WINDOW, keeps: '7 days (set by the monitor)' },
  MONITOR: {
    duplicateWindow: HOUR_WINDOW,
    keeps:
      'MONITOR_STREAM_MAX_BYTES (default 256 MiB), oldest dropped first, no age limit (the newest window, where a restarted monitor resumes, always stays); set by the monitor',
  },
  RETRAIN: { duplicateWindow: HOUR_WINDOW, keeps: '90 days (set by the monitor)' },
  DEAD_LETTERS: { duplicateWindow: HOUR_WINDOW, keeps: FOREVER },
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
    inFlight: '1',
    source: 'services/trainer/src/adapters/nats-bus.ts',
  },
  {
    durable: CONSUMERS.trainerTrials,
    service: 'trainer (every replica; consumed with TRAINER_TRIALS=queue)',
    stream: STREAMS.trials.name,
    filter: SUBJECTS.trialRequested,
    deliverPolicy: 'all',
    ackWait: '10 s, kept alive every third of it while a trial fits',
    maxDeliver: 10,
    inFlight: 'TRAINER_TRIAL_THREADS per replica (unset: one per core)',
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
    inFlight: 'TRACKER_CONCURRENCY (default 1; 4 in the local stack and compose)',
    source: 'services/tracker/src/entry-points/events.ts',
  },
  {
    durable: 'predictor-<PREDICTOR_INSTANCE>',
    service:
      'predictor (one per process: with PREDICTOR_WORKERS > 1, worker 1 keeps this name and worker N > 1 uses `predictor-<PREDICTOR_INSTANCE>-w<N>`, e.g. `predictor-predictor-w2`; worker N publishes with source `mlops/<PREDICTOR_INSTANCE>-w<N>`)',
    stream: STREAMS.models.name,
    filter: SUBJECTS.modelRegistered,
    deliverPolicy: 'new',
    ackWait: '30 s',
    maxDeliver: 5,
    inFlight: '1',
    source: 'services/predictor/src/entry-points/model-events.ts',
  },
  {
    durable: CONSUMERS.monitorPredictions,
    service: 'monitor',
    stream: STREAMS.predictions.name,
    filter: undefined,
    deliverPolicy: 'all',
    ackWait:
      'max(30 s, 2 × MONITOR_WINDOW_SECONDS + 10 s), 130 s by default: a message is acknowledged when its window closes',
    maxDeliver: 10,
    inFlight:
      '256 pulled ahead, handled one at a time and held until their window closes (at most 50,000 unacknowledged)',
    source: 'services/monitor/src/entry-points/predictions.ts',
  },
  {
    durable: CONSUMERS.monitorModels,
    service: 'monitor (retrain outcomes)',
    stream: STREAMS.models.name,
    filter: undefined,
    deliverPolicy: 'new',
    ackWait: '30 s',
    maxDeliver: 5,
    inFlight: '1',
    source: 'services/monitor/src/entry-points/model-events.ts',
  },
  {
    durable: CONSUMERS.monitorTuneRejected,
    service: 'monitor (a retrain whose tuning was refused after acceptance)',
    stream: STREAMS.tuneRequests.name,
    filter: SUBJECTS.tuneRejected,
    deliverPolicy: 'new',
    ackWait: '30 s',
    maxDeliver: 5,
    inFlight: '1',
    source: 'services/monitor/src/entry-points/tuning-failures.ts',
  },
  {
    durable: CONSUMERS.monitorTuningCompleted,
    service: 'monitor (a retrain whose trials all failed)',
    stream: STREAMS.tuningEvents.name,
    filter: SUBJECTS.tuningCompleted,
    deliverPolicy: 'new',
    ackWait: '30 s',
    maxDeliver: 5,
    inFlight: '1',
    source: 'services/monitor/src/entry-points/tuning-failures.ts',
  },
  {
    durable: CONSUMERS.monitorMlflowWindows,
    service: 'monitor (windows into MLflow; removed while `MONITOR_MLFLOW_RUNS` is off)',
    stream: STREAMS.monitor.name,
    filter: SUBJECTS.monitorWindow,
    deliverPolicy: 'new',
    ackWait: '30 s',
    maxDeliver: 10,
    inFlight: '64',
    source: 'services/monitor/src/entry-points/mlflow-windows.ts',
  },
];

import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  type DatasetSpec,
  type EventData,
  SUBJECTS,
  type TrialParams,
  type TrialRequested,
  type TuneRequest,
  type TuningRequested,
} from '@mlops/contracts';
import { cvFoldsOf } from './cross-validation.js';
import { buildTrainingData, type CsvLoader, referenceProfileOf, type TrainingData } from './dataset.js';
import { holdoutOf, type StoreHoldout, storedHoldoutFields, type TuningHoldout } from './holdout.js';
import type { PublishEvent } from './ports.js';
import { trialsOf } from './random-search.js';
import { runTrial, type TrialFailure, type TrialSuccess } from './trial.js';
import { TrialInputsCache } from './trial-inputs.js';

/** What closing a tuning needs: publishing, and the object store a cut holdout's whole goes to. */
export interface ClosingPorts {
  readonly publish: PublishEvent;
  readonly storeHoldout: StoreHoldout;
  /** Told why a cut holdout's whole was not stored (the tuning closes all the same, with the cut rows only). */
  readonly holdoutNotStored: (err: unknown) => void;
}

/** What a tuning run needs from the outside world. */
export interface TuningPorts extends ClosingPorts {
  readonly loadCsv: CsvLoader;
  /** Called between trials so the bus can extend the message's ack deadline. */
  readonly heartbeat: () => void;
}

/** What every run event of one trial names. */
export type TrialRef = Omit<EventData<'run.started'>, 'started_at'>;

/** How a tuning ended, for logs. */
export interface TuningOutcome {
  readonly tuningId: string;
  readonly completed: number;
  readonly failed: number;
}

/** An opened tuning: its data set and its trials, in order. */
export interface OpenedTuning {
  readonly data: TrainingData;
  readonly trials: TrialRequested['data'][];
}

/**
 * Builds the data set of an accepted request and publishes `tuning.started`; returns the trials to run. A data set
 * that cannot be used throws UnusableDataError before anything is published.
 */
export async function openTuning(
  work: TuningRequested['data'],
  ports: Pick<TuningPorts, 'publish' | 'loadCsv'>,
): Promise<OpenedTuning> {
  const { tuning_id: tuningId } = work;
  const hashes = new Map<string, string>();
  const data = await buildTrainingData(work.request, async (path, digest) => {
    const csv = await ports.loadCsv(path, digest);
    hashes.set(path, csv.sha256);
    return csv;
  });
  const request = pinnedDigests(work.request, hashes);
  if (request.cv !== undefined) cvFoldsOf(data, request.cv); // refuses a class layout the folds cannot take
  const params = trialsOf(request);
  const { publish } = ports;
  await publish(
    SUBJECTS.tuningStarted,
    {
      ...tuningRef(work),
      trial_count: params.length,
      selection_metric: request.selection_metric,
      dataset: data.summary,
      ...optional('reference_profile', referenceProfileOf(data)),
      grid: request.grid,
      ...optional('lineage', request.lineage),
      dataset_spec: request.dataset,
      ...optional('append_training', request.append_training),
      split: request.split,
      ...optional('cv', request.cv),
      ...optional('search', request.search?.type === 'random' ? request.search : undefined),
      ...optional('log_models', request.log_models === 'top_k' ? { top_k: request.top_k } : undefined),
      started_at: new Date().toISOString(),
    },
    tuningId,
  );
  const requestedAt = new Date().toISOString();
  const trials = params.map((p, index) => ({
    tuning_id: tuningId,
    trial_id: trialId(tuningId, index),
    trial_index: index,
    trial_count: params.length,
    params: p,
    request,
    requested_at: requestedAt,
  }));
  return { data, trials };
}

/**
 * The request with each CSV pinned to the bytes read now: a replica that rebuilds the data set for a trial fits those
 * bytes (its file, or the snapshot kept of them) or refuses it (UnusableDataError), never other rows.
 */
function pinnedDigests(request: TuneRequest, hashes: ReadonlyMap<string, string>): TuneRequest {
  const pin = <D extends DatasetSpec>(spec: D): D =>
    spec.kind === 'csv' && spec.digest === undefined && hashes.has(spec.path)
      ? { ...spec, digest: hashes.get(spec.path) }
      : spec;
  return {
    ...request,
    dataset: pin(request.dataset),
    ...(request.append_training === undefined ? {} : { append_training: pin(request.append_training) }),
  };
}

/** Publishes `tuning.completed`: every trial is accounted for (completed or failed); a cut holdout's whole is stored first. */
export async function closeTuning(
  work: Pick<TuningRequested['data'], 'tuning_id' | 'request'>,
  counts: { completed: number; failed: number },
  holdout: TuningHoldout | undefined,
  ports: ClosingPorts,
): Promise<void> {
  const { request } = work;
  const { publish, storeHoldout, holdoutNotStored } = ports;
  const holdoutFields = await storedHoldoutFields(work.tuning_id, holdout, storeHoldout, holdoutNotStored);
  await publish(
    SUBJECTS.tuningCompleted,
    {
      ...tuningRef(work),
      trial_count: counts.completed + counts.failed,
      completed: counts.completed,
      failed: counts.failed,
      selection_metric: request.selection_metric,
      gate: request.gate,
      ...holdoutFields,
      ...optional('lineage', request.lineage),
      ...optional('cv', request.cv),
      ended_at: new Date().toISOString(),
    },
    work.tuning_id,
  );
}

/**
 * Runs a whole tuning in this process, one trial after another on the event loop (`TRAINER_TRIALS=inline`):
 * tuning.started, then per trial run.started and run.completed or run.failed, then tuning.completed. Event ids are
 * derived from the tuning and trial ids, so a redelivered request re-publishes the same ids and JetStream drops them.
 */
export async function runTuning(work: TuningRequested['data'], ports: TuningPorts): Promise<TuningOutcome> {
  const { data, trials } = await openTuning(work, ports);
  const inputs = new TrialInputsCache(data);
  const cv = work.request.cv === undefined ? undefined : cvFoldsOf(data, work.request.cv);
  const { publish } = ports;
  let completed = 0;
  for (const trial of trials) {
    ports.heartbeat();
    await yieldToEventLoop();
    const startedAt = new Date().toISOString();
    await publish(SUBJECTS.runStarted, { ...trialRefOf(trial), started_at: startedAt }, trial.trial_id);
    const outcome = runTrial(data, inputs, trial.params as TrialParams, cv);
    await publishTrialEnd(trialRefOf(trial), outcome, data.summary.digest, startedAt, publish);
    if (outcome.ok) completed++;
  }
  await closeTuning(work, { completed, failed: trials.length - completed }, holdoutOf(data), ports);
  return { tuningId: work.tuning_id, completed, failed: trials.length - completed };
}

/** The run events' view of a trial: its tuning, names, id, index and params. */
export function trialRefOf(trial: TrialRequested['data']): TrialRef {
  return {
    ...tuningRef(trial),
    trial_id: trial.trial_id,
    trial_index: trial.trial_index,
    params: trial.params,
  };
}

/** Publishes how a trial ended: run.completed with its model, or run.failed with the reason. */
export async function publishTrialEnd(
  ref: TrialRef,
  outcome: TrialSuccess | TrialFailure,
  datasetDigest: string,
  startedAt: string,
  publish: PublishEvent,
): Promise<void> {
  const endedAt = new Date().toISOString();
  if (!outcome.ok) {
    const failed = { ...ref, reason: outcome.reason, started_at: startedAt, ended_at: endedAt };
    await publish(SUBJECTS.runFailed, failed, ref.trial_id);
    return;
  }
  const completed: EventData<'run.completed'> = {
    ...ref,
    metrics: outcome.metrics,
    ...optional('cv', outcome.cv),
    model: outcome.model,
    n_iter: outcome.nIter,
    converged: outcome.converged,
    warnings: outcome.warnings,
    fit_time_ms: outcome.fitTimeMs,
    dataset_digest: datasetDigest,
    started_at: startedAt,
    ended_at: endedAt,
  };
  await publish(SUBJECTS.runCompleted, completed, ref.trial_id);
}

/** The stable id of trial `index` of a tuning, e.g. `tun-abc-007`. */
export function trialId(tuningId: string, index: number): string {
  return `${tuningId}-${String(index).padStart(3, '0')}`;
}

function tuningRef(work: Pick<TuningRequested['data'], 'tuning_id' | 'request'>) {
  return {
    tuning_id: work.tuning_id,
    experiment_name: work.request.experiment_name,
    registered_model_name: work.request.registered_model_name,
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

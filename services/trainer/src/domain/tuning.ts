import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type EventData, SUBJECTS, type TrialParams, type TuningRequested } from '@mlops/contracts';
import { type CvFolds, cvFoldsOf } from './cross-validation.js';
import { buildTrainingData, type CsvLoader, holdoutOf, referenceProfileOf, type TrainingData } from './dataset.js';
import type { PublishEvent } from './ports.js';
import { trialsOf } from './random-search.js';
import { runTrial } from './trial.js';
import { TrialInputsCache } from './trial-inputs.js';

/** What a tuning run needs from the outside world. */
export interface TuningPorts {
  readonly publish: PublishEvent;
  readonly loadCsv: CsvLoader;
  /** Called between trials so the bus can extend the message's ack deadline. */
  readonly heartbeat: () => void;
}

/** What every run event of one trial names. */
type TrialRef = Omit<EventData<'run.started'>, 'started_at'>;

/** How a tuning ended, for logs. */
export interface TuningOutcome {
  readonly tuningId: string;
  readonly completed: number;
  readonly failed: number;
}

/**
 * Runs every trial of an accepted request and publishes its events in order: tuning.started, then per trial
 * run.started and run.completed or run.failed, then tuning.completed. Event ids are derived from the tuning and
 * trial ids, so a redelivered request re-publishes the same ids and JetStream drops the duplicates.
 */
export async function runTuning(work: TuningRequested['data'], ports: TuningPorts): Promise<TuningOutcome> {
  const { request, tuning_id: tuningId } = work;
  const data = await buildTrainingData(request, ports.loadCsv);
  const cv = request.cv === undefined ? undefined : cvFoldsOf(data, request.cv);
  const trials = trialsOf(request);
  const inputs = new TrialInputsCache(data);
  const ref = {
    tuning_id: tuningId,
    experiment_name: request.experiment_name,
    registered_model_name: request.registered_model_name,
  };
  const { publish } = ports;
  await publish(
    SUBJECTS.tuningStarted,
    {
      ...ref,
      trial_count: trials.length,
      selection_metric: request.selection_metric,
      dataset: data.summary,
      ...optional('reference_profile', referenceProfileOf(data)),
      grid: request.grid,
      ...optional('lineage', request.lineage),
      dataset_spec: request.dataset,
      ...optional('append_training', request.append_training),
      ...optional('cv', request.cv),
      ...optional('search', request.search?.type === 'random' ? request.search : undefined),
      started_at: new Date().toISOString(),
    },
    tuningId,
  );
  let completed = 0;
  for (const [index, params] of trials.entries()) {
    ports.heartbeat();
    await yieldToEventLoop();
    const ok = await runOneTrial(
      data,
      inputs,
      params,
      { ...ref, trial_id: trialId(tuningId, index), trial_index: index, params },
      publish,
      cv,
    );
    if (ok) completed++;
  }
  await publish(
    SUBJECTS.tuningCompleted,
    {
      ...ref,
      trial_count: trials.length,
      completed,
      failed: trials.length - completed,
      selection_metric: request.selection_metric,
      gate: request.gate,
      holdout: holdoutOf(data),
      ...optional('lineage', request.lineage),
      ...optional('cv', request.cv),
      ended_at: new Date().toISOString(),
    },
    tuningId,
  );
  return { tuningId, completed, failed: trials.length - completed };
}

/** The stable id of trial `index` of a tuning, e.g. `tun-abc-007`. */
export function trialId(tuningId: string, index: number): string {
  return `${tuningId}-${String(index).padStart(3, '0')}`;
}

async function runOneTrial(
  data: TrainingData,
  inputs: TrialInputsCache,
  params: TrialParams,
  trialRef: TrialRef,
  publish: PublishEvent,
  cv: CvFolds | undefined,
): Promise<boolean> {
  const key = trialRef.trial_id;
  const startedAt = new Date().toISOString();
  await publish(SUBJECTS.runStarted, { ...trialRef, started_at: startedAt }, key);
  const outcome = runTrial(data, inputs, params, cv);
  const endedAt = new Date().toISOString();
  if (!outcome.ok) {
    await publish(
      SUBJECTS.runFailed,
      { ...trialRef, reason: outcome.reason, started_at: startedAt, ended_at: endedAt },
      key,
    );
    return false;
  }
  const completed: EventData<'run.completed'> = {
    ...trialRef,
    metrics: outcome.metrics,
    ...optional('cv', outcome.cv),
    model: outcome.model,
    n_iter: outcome.nIter,
    converged: outcome.converged,
    warnings: outcome.warnings,
    fit_time_ms: outcome.fitTimeMs,
    dataset_digest: data.summary.digest,
    started_at: startedAt,
    ended_at: endedAt,
  };
  await publish(SUBJECTS.runCompleted, completed, key);
  return true;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

import type { TuningCompleted } from '@mlops/contracts';
import { MlflowApiError, type MlflowClient, type ModelVersion, RunStatus, tagEquals } from '@mlops/mlflow';
import { MODEL_FILES } from '@mlops/model-format';
import { TrialsPendingError } from '../domain/errors.js';
import type { Unregistered } from '../domain/ports.js';
import { pickBestTrial, selectionKey, whyNothingToRegister } from '../domain/selection.js';
import { lineageTags, RUN_DESCRIPTION_TAG, TAGS } from '../domain/tags.js';
import { type DuplicateRun, retireDuplicates } from './duplicate-trials.js';
import { type DeferredTrial, type MlflowRecorder, topKOf } from './mlflow-recorder.js';

/** What the registration produced: the new (or, on a redelivery, the earlier) version; the gate moves aliases. */
export interface Registration {
  readonly kind: 'registered';
  readonly version: ModelVersion;
  readonly best: TrialRecord;
  readonly metricValue: number;
  readonly modelId: string;
  readonly parentRunId: string;
}

/** What a completed tuning came to: a registered version, or why nothing could be (nothing written yet). */
export type BestOutcome = Registration | { readonly kind: 'unregistered'; readonly unregistered: Unregistered };

/**
 * `tuning.completed`: once every trial is recorded, picks the best, writes `best_*` on the parent, registers a
 * version from the best trial's LoggedModel (or finds the one an earlier delivery registered). Aliases are the
 * gate's business (domain/promotion.ts).
 * When no trial can be registered (none succeeded, none has the selection metric, none of the best kept its model),
 * returns why, and whether an earlier delivery already said so on the parent run ({@link recordUnregistered}).
 */
export async function registerBest(
  mlflow: MlflowClient,
  recorder: MlflowRecorder,
  data: TuningCompleted['data'],
): Promise<BestOutcome> {
  const parent = await recorder.parentRun(data);
  const { trials, duplicates } = await trialRuns(mlflow, parent.info.experimentId, data.tuning_id);
  if (trials.length < data.trial_count) throw new TrialsPendingError(data.tuning_id, trials.length, data.trial_count);
  const completed = await recorder.logTopModels(
    data,
    trials.filter((t) => t.status === 'completed'),
  );
  // Every model a trial keeps is READY by now: a PENDING one of the tuning is a duplicate too.
  await retireDuplicates(mlflow, {
    experimentId: parent.info.experimentId,
    tuningId: data.tuning_id,
    trials,
    duplicates,
  });
  // A top-k trial whose weights were gone before its model was logged has none: the best of the rest is registered.
  const withModels = completed.filter((t) => t.modelId !== '');
  const best = pickBestTrial(withModels, data.selection_metric, data.cv);
  const parentRunId = parent.info.runId;
  if (best === undefined) {
    const why = whyNothingToRegister({
      completed,
      failed: trials.length - completed.length,
      metric: data.selection_metric,
      cv: data.cv,
      topK: topKOf(parent),
      testRows: data.test_rows ?? positiveInteger(parent.data.params.n_test),
    });
    const recorded = parent.data.tags[TAGS.failureReason] !== undefined;
    return { kind: 'unregistered', unregistered: { ...why, parentRunId, recorded } };
  }
  // With cv, the value the best was picked on: its mean over the folds of the training split.
  const metricName = selectionKey(data.selection_metric, data.cv);
  const metricValue = best.metrics[metricName]!;
  await copyReferenceProfile(mlflow, parentRunId, best.modelId);
  const version = await findOrRegister(mlflow, data, best, metricValue);
  const endTime = Date.parse(data.ended_at);
  await logBestOnParent(mlflow, parentRunId, best, { name: metricName, value: metricValue, endTime }, version);
  await mlflow.updateRun({ runId: parentRunId, status: RunStatus.FINISHED, endTime });
  return { kind: 'registered', version, best, metricValue, modelId: best.modelId, parentRunId };
}

/**
 * Says on the parent run why its tuning registered nothing (the reason as a tag, which also marks it said, and as
 * the run's description in the MLflow UI), then ends it as FAILED. Writing the same again changes nothing.
 */
export async function recordUnregistered(
  mlflow: MlflowClient,
  unregistered: Unregistered,
  endedAt: string,
): Promise<void> {
  const runId = unregistered.parentRunId;
  const reason = unregistered.message.slice(0, 5000);
  await mlflow.logBatch({
    runId,
    tags: { [TAGS.failureReason]: reason, [RUN_DESCRIPTION_TAG]: `Nothing was registered: ${reason}` },
  });
  await mlflow.updateRun({ runId, status: RunStatus.FAILED, endTime: Date.parse(endedAt) });
}

function positiveInteger(text: string | undefined): number | undefined {
  const n = Number(text);
  return text !== undefined && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * Puts the tuning's reference profile (logged on the parent run by `tuning.started`) into the best model's directory,
 * where the monitor reads it for whichever version is served. Tunings from trainers without profiles have none.
 */
async function copyReferenceProfile(mlflow: MlflowClient, parentRunId: string, modelId: string): Promise<void> {
  const path = MODEL_FILES.referenceProfile;
  const profile = await mlflow.downloadArtifact({ runId: parentRunId, path }).catch((err: unknown) => {
    if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
    throw err;
  });
  if (profile === undefined) return;
  const model = await mlflow.resolveModelUri(`models:/${modelId}`);
  if (model === null) throw new Error(`models:/${modelId} does not exist: cannot store its reference profile`);
  await mlflow.uploadArtifact({ artifactUri: model.artifactUri, path }, profile);
}

/** A recorded trial with what registration needs. */
export interface TrialRecord extends DeferredTrial {
  readonly status: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Every trial of a tuning recorded in its experiment (completed or failed, its run ended), from the runs' tags. */
export async function recordedTrials(
  mlflow: MlflowClient,
  experimentId: string,
  tuningId: string,
): Promise<TrialRecord[]> {
  return (await trialRuns(mlflow, experimentId, tuningId)).trials;
}

/**
 * The recorded trials of a tuning, and the runs that duplicate one of them: a run of a recorded trial that never
 * ended is a create that MLflow ran after the tracker had looked it up and made the trial's run again.
 */
export async function trialRuns(
  mlflow: MlflowClient,
  experimentId: string,
  tuningId: string,
): Promise<{ trials: TrialRecord[]; duplicates: DuplicateRun[] }> {
  const trials: TrialRecord[] = [];
  const unended = new Map<string, string[]>();
  const filter = tagEquals(TAGS.tuningId, tuningId);
  for await (const run of mlflow.iterateRuns({ experimentIds: [experimentId], filter })) {
    const tags = run.data.tags;
    const status = tags[TAGS.recorded];
    const trialId = tags[TAGS.trialId];
    if (trialId === undefined) continue;
    // `recorded` comes one call before the status that ends the run: a tracker killed in between leaves it
    // RUNNING, and its redelivered event finishes it. Until then it is not counted, so nothing registers before.
    if (status === undefined || (run.info.status !== RunStatus.FINISHED && run.info.status !== RunStatus.FAILED)) {
      unended.set(trialId, [...(unended.get(trialId) ?? []), run.info.runId]);
      continue;
    }
    trials.push({
      trialId,
      trialIndex: Number(tags[TAGS.trialIndex]),
      runId: run.info.runId,
      metrics: Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value])),
      status,
      modelId: tags[TAGS.modelId] ?? '',
      runCompletedSequence: sequenceOf(tags[TAGS.runCompletedSequence]),
      skipped: tags[TAGS.modelSkipped] !== undefined,
      params: run.data.params,
    });
  }
  const duplicates = trials.flatMap((trial) =>
    (unended.get(trial.trialId) ?? []).map((runId) => ({ runId, duplicateOf: trial.runId })),
  );
  return { trials, duplicates };
}

function sequenceOf(tag: string | undefined): number | undefined {
  const seq = Number(tag);
  return tag !== undefined && Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
}

async function findOrRegister(
  mlflow: MlflowClient,
  data: TuningCompleted['data'],
  best: TrialRecord,
  metricValue: number,
): Promise<ModelVersion> {
  const name = data.registered_model_name;
  await mlflow.getOrCreateRegisteredModel({
    name,
    description: 'Customer classifier (logistic regression), tuned by mlops',
  });
  return await mlflow.createModelVersion({
    name,
    idempotencyTag: { key: TAGS.tuningId, value: data.tuning_id },
    source: `models:/${best.modelId}`,
    runId: best.runId,
    modelId: best.modelId,
    tags: {
      [TAGS.tuningId]: data.tuning_id,
      [TAGS.trialId]: best.trialId,
      [TAGS.selectionMetric]: data.selection_metric,
      [TAGS.metricValue]: String(metricValue),
      ...(data.lineage === undefined ? {} : lineageTags(data.lineage)),
    },
    description: `best of tuning ${data.tuning_id} by ${selectionKey(data.selection_metric, data.cv)} = ${metricValue}`,
  });
}

async function logBestOnParent(
  mlflow: MlflowClient,
  parentRunId: string,
  best: TrialRecord,
  metric: { name: string; value: number; endTime: number },
  version: ModelVersion,
): Promise<void> {
  const params = Object.fromEntries(Object.entries(best.params).map(([k, v]) => [`best_${k}`, v]));
  await mlflow.logBatch({
    runId: parentRunId,
    params: { ...params, best_trial_id: best.trialId, best_run_id: best.runId },
    // The tuning's end time, not now: a redelivered tuning.completed logs an identical point, which MLflow keeps once.
    metrics: [{ key: `best_${metric.name}`, value: metric.value, timestamp: metric.endTime, step: 0 }],
    tags: { [TAGS.registeredModel]: version.name, [TAGS.registeredVersion]: version.version },
  });
}

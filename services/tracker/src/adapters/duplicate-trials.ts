import { MlflowApiError, type MlflowClient, RunStatus, tagEquals } from '@mlops/mlflow';
import { TAGS } from '../domain/tags.js';

/** A second run of one trial that nothing writes to (a create a stalled MLflow ran late), and the trial's own run. */
export interface DuplicateRun {
  readonly runId: string;
  readonly duplicateOf: string;
}

/** A tuning whose trials are all recorded, with the duplicate runs its search found. */
export interface RecordedTuning {
  readonly experimentId: string;
  readonly tuningId: string;
  readonly trials: readonly { readonly trialId: string; readonly modelId: string }[];
  readonly duplicates: readonly DuplicateRun[];
}

/**
 * Takes what creates a stalled MLflow ran late out of a recorded tuning, so each trial shows once in the MLflow UI:
 * duplicate runs and PENDING LoggedModels (every model a trial keeps is READY once it is recorded). A run is tagged
 * with the trial's own run, KILLED and soft-deleted (restorable); a model is soft-deleted (MLflow then answers 404 for
 * it). What is already deleted is not found again.
 */
export async function retireDuplicates(mlflow: MlflowClient, tuning: RecordedTuning): Promise<void> {
  for (const { runId, duplicateOf } of tuning.duplicates) {
    await unlessGone(async () => {
      await mlflow.logBatch({ runId, tags: { [TAGS.duplicateOf]: duplicateOf } });
      await mlflow.updateRun({ runId, status: RunStatus.KILLED, endTime: Date.now() });
      await mlflow.deleteRun(runId);
    });
  }
  for (const modelId of await pendingModels(mlflow, tuning)) {
    await unlessGone(() => mlflow.deleteLoggedModel(modelId));
  }
}

/**
 * The tuning's PENDING LoggedModels but the ones its trials kept. The search puts them first (MLflow stores the status
 * as a number, PENDING before READY; its filter compares it with text and finds nothing), so this reads one page in
 * the usual case and stops at the first finished model; the status is checked here, not taken from the order.
 */
async function pendingModels(mlflow: MlflowClient, tuning: RecordedTuning): Promise<string[]> {
  const kept = new Map(tuning.trials.filter((t) => t.modelId !== '').map((t) => [t.trialId, t.modelId]));
  const found: string[] = [];
  let pageToken: string | undefined;
  do {
    const page = await mlflow.searchLoggedModels({
      experimentIds: [tuning.experimentId],
      filter: tagEquals(TAGS.tuningId, tuning.tuningId, 'logged-models'),
      orderBy: [{ fieldName: 'status', ascending: true }],
      maxResults: 50,
      ...(pageToken === undefined ? {} : { pageToken }),
    });
    for (const model of page.models) {
      if (model.status === 'READY' || model.status === 'UPLOAD_FAILED') return found;
      const trialId = model.tags[TAGS.trialId];
      const keptModel = trialId === undefined ? undefined : kept.get(trialId);
      if (model.status === 'PENDING' && keptModel !== model.modelId) found.push(model.modelId);
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined && pageToken !== '');
  return found;
}

/** Runs a write to a duplicate; one deleted meanwhile (another tracker, a person) is refused by MLflow, and is done. */
async function unlessGone(write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (!(err instanceof MlflowApiError) || err.status >= 500) throw err;
  }
}

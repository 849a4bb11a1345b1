import { STREAMS, SUBJECTS } from '@mlops/contracts';
import { type ModelVersion, type Run, tagEquals } from '@mlops/mlflow';
import { until } from '@mlops/testkit';
import { expect } from 'vitest';
import { type Accepted, type FaultStack, PREDICTOR_WORKERS } from './stack.js';

/** Every run of the case's experiment (all tunings), or none when the experiment does not exist yet. */
export async function experimentRuns(stack: FaultStack): Promise<Run[]> {
  const experiment = await stack.mlflow.getExperimentByName(stack.modelName);
  if (experiment === null) return [];
  const runs: Run[] = [];
  for await (const run of stack.mlflow.iterateRuns({ experimentIds: [experiment.experimentId] })) runs.push(run);
  return runs;
}

/**
 * Child runs of the tuning: fully recorded (`mlops.recorded` set), and half-way (its LoggedModel exists, the run is not
 * recorded yet).
 */
export async function trialProgress(
  stack: FaultStack,
  tuningId: string,
): Promise<{ recorded: number; halfway: number }> {
  const runs = (await experimentRuns(stack)).filter((r) => r.data.tags['mlops.tuning_id'] === tuningId);
  const recorded = new Set(runs.filter((r) => r.data.tags['mlops.recorded'] !== undefined).map((r) => r.info.runId));
  const experimentId = runs[0]?.info.experimentId;
  if (experimentId === undefined) return { recorded: 0, halfway: 0 };
  const page = await stack.mlflow.searchLoggedModels({
    experimentIds: [experimentId],
    filter: tagEquals('mlops.tuning_id', tuningId, 'logged-models'),
    maxResults: 50,
  });
  const halfway = page.models.filter((m) => m.sourceRunId !== undefined && !recorded.has(m.sourceRunId)).length;
  return { recorded: recorded.size, halfway };
}

/** Waits until the tracker announced the tuning's model (its last step) and that version holds the champion alias. */
export async function waitForChampion(stack: FaultStack, tuningId: string, ms = 180_000): Promise<ModelVersion> {
  return await until(
    `tuning ${tuningId} registered as champion`,
    async () => {
      if ((await stack.lastRegisteredTuning()) !== tuningId) return undefined;
      const champion = await stack.mlflow.getModelVersionByAlias(stack.modelName, 'champion').catch(() => null);
      return champion?.tags['mlops.tuning_id'] === tuningId ? champion : undefined;
    },
    ms,
    500,
  );
}

/**
 * The end state every fault case must reach: one parent run, one child run per trial (each FINISHED and recorded
 * once), one LoggedModel per trial, exactly one model version for the tuning holding `champion`, and the predictor
 * serving that version at /model and /predict.
 */
export async function expectCleanOutcome(stack: FaultStack, tuning: Accepted, waitMs = 180_000): Promise<ModelVersion> {
  const champion = await waitForChampion(stack, tuning.tuningId, waitMs);
  const runs = (await experimentRuns(stack)).filter((r) => r.data.tags['mlops.tuning_id'] === tuning.tuningId);
  const parents = runs.filter((r) => r.data.tags['mlops.tuning_parent'] === tuning.tuningId);
  expect(parents, 'exactly one parent run').toHaveLength(1);
  const parent = parents[0]!;
  expect(parent.info.status).toBe('FINISHED');
  const children = runs.filter((r) => r.data.tags['mlflow.parentRunId'] === parent.info.runId);
  expect(children, 'one child run per trial').toHaveLength(tuning.trialCount);
  expect(runs, 'no other run of this tuning').toHaveLength(tuning.trialCount + 1);
  expect(new Set(children.map((r) => r.data.tags['mlops.trial_id'])).size).toBe(tuning.trialCount);
  expect(children.every((r) => r.info.status === 'FINISHED' && r.data.tags['mlops.recorded'] === 'completed')).toBe(
    true,
  );
  await expectLoggedOnce(stack, children);
  expect(await loggedModelCount(stack, parent.info.experimentId), 'one LoggedModel per trial').toBe(tuning.trialCount);
  const versions = await stack.mlflow.searchModelVersions({ filter: `name = '${stack.modelName}'` });
  const ofTuning = versions.modelVersions.filter((v) => v.tags['mlops.tuning_id'] === tuning.tuningId);
  expect(
    ofTuning.map((v) => v.version),
    'exactly one model version for the tuning',
  ).toEqual([champion.version]);
  await expectServed(stack, champion.version);
  return champion;
}

/** Each child's metrics were logged once: a second logging of a trial would add a point to its history. */
async function expectLoggedOnce(stack: FaultStack, children: readonly Run[]): Promise<void> {
  for (const child of children) {
    const history = await stack.mlflow.getMetricHistory(child.info.runId, 'accuracy');
    expect(history, `accuracy history of ${child.data.tags['mlops.trial_id']}`).toHaveLength(1);
  }
}

async function loggedModelCount(stack: FaultStack, experimentId: string): Promise<number> {
  let count = 0;
  let pageToken: string | undefined;
  do {
    const page = await stack.mlflow.searchLoggedModels({
      experimentIds: [experimentId],
      maxResults: 50,
      ...(pageToken === undefined ? {} : { pageToken }),
    });
    count += page.models.length;
    pageToken = page.nextPageToken || undefined;
  } while (pageToken !== undefined);
  return count;
}

/**
 * Every worker of the predictor serves the version (its summed `predictor_model_info`; workers reload on their own
 * consumers, one may be a moment behind another), it reports it at /model and /ready, and /predict answers with it.
 */
export async function expectServed(stack: FaultStack, version: string): Promise<void> {
  await until(`every predictor worker serving version ${version}`, async () => {
    const text = await fetch(`${stack.predictorUrl}/metrics`).then((r) => (r.ok ? r.text() : ''));
    const serving = [...text.matchAll(/^predictor_model_info\{[^}]*model_version="([^"]+)"[^}]*\} (\S+)$/gm)]
      .filter((m) => m[1] === version)
      .reduce((sum, m) => sum + Number(m[2]), 0);
    return serving === PREDICTOR_WORKERS ? true : undefined;
  });
  const model = (await (await fetch(`${stack.predictorUrl}/model`)).json()) as { version: string };
  expect(model.version).toBe(version);
  const ready = (await (await fetch(`${stack.predictorUrl}/ready`)).json()) as { model: { version: string } };
  expect(ready.model.version).toBe(version);
  const response = await fetch(`${stack.predictorUrl}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ features: [Array.from({ length: 20 }, (_, j) => (j - 10) / 7)] }),
  });
  expect(response.status).toBe(200);
  const answer = (await response.json()) as { model: { version: string }; predictions: number[] };
  expect(answer.model.version).toBe(version);
  expect(answer.predictions).toHaveLength(1);
}

/** The tuning's events were stored once each in TUNING_EVENTS: one start and end, one run.started/completed a trial. */
export async function expectEventsStoredOnce(stack: FaultStack, tuning: Accepted): Promise<void> {
  const stored = await stack.storedPerSubject(STREAMS.tuningEvents.name);
  expect(stored).toEqual({
    [SUBJECTS.tuningStarted]: 1,
    [SUBJECTS.runStarted]: tuning.trialCount,
    [SUBJECTS.runCompleted]: tuning.trialCount,
    [SUBJECTS.tuningCompleted]: 1,
  });
}

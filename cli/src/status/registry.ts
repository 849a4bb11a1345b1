import {
  createMlflowClient,
  type MlflowClient,
  MlflowError,
  mlflowOptionsFromEnv,
  type Run,
  tagEquals,
} from '@mlops/mlflow';
import type { CliIo } from '../io.js';

/** What the tracker writes on a tuning's runs and its registered version (services/tracker/src/domain/tags.ts). */
const TRACKER_TAGS = {
  tuningParent: 'mlops.tuning_parent',
  tuningId: 'mlops.tuning_id',
  recorded: 'mlops.recorded',
  registeredModel: 'mlops.registered_model',
  registeredVersion: 'mlops.registered_version',
  failureReason: 'mlops.failure_reason',
  selectionMetric: 'mlops.selection_metric',
  metricValue: 'mlops.metric_value',
} as const;

/** The version behind `champion`, with the metric and tuning the tracker tagged it with. */
export interface ChampionStatus {
  readonly version: string;
  readonly metric: { readonly name: string; readonly value: string } | null;
  readonly tuningId: string | null;
}

/** A registered model's champion and aliases; `registered` false when the name is not registered yet. */
export type ModelSection =
  | { readonly kind: 'unavailable'; readonly problem: string }
  | {
      readonly kind: 'model';
      readonly name: string;
      readonly registered: boolean;
      readonly champion: ChampionStatus | null;
      readonly aliases: readonly { readonly alias: string; readonly version: string }[];
    };

/** One tuning: its parent run's state, trial count, best metric and registered version. */
export interface TuningRow {
  readonly tuningId: string;
  readonly startedAt: number | undefined;
  readonly status: string;
  readonly trials: number | null;
  /** Trials recorded so far (for a tuning still running), else null. */
  readonly recorded: number | null;
  /** The best trial's selection metric; `cv` when it is the mean over the cross-validation folds. */
  readonly best: { readonly name: string; readonly value: number; readonly cv: boolean } | null;
  readonly version: string | null;
  /** The registered model that version is of (tunings before this tag: null). */
  readonly model: string | null;
  /** Why a tuning registered nothing (a failed parent run), else null. */
  readonly failure: string | null;
}

/** The newest tunings of an experiment; `found` false when the experiment does not exist yet. */
export type TuningsSection =
  | { readonly kind: 'unavailable'; readonly problem: string }
  | {
      readonly kind: 'tunings';
      readonly experiment: string;
      readonly found: boolean;
      readonly rows: readonly TuningRow[];
    };

/** A short-fused MLflow client for the status (one attempt, 5 s), with the CLI's MLFLOW_TRACKING_* credentials. */
export function statusClient(io: CliIo, trackingUri: string): MlflowClient {
  const options = mlflowOptionsFromEnv({ ...io.env, MLFLOW_TRACKING_URI: trackingUri });
  return createMlflowClient({ ...options, timeoutMs: 5000, retries: { attempts: 1 } });
}

/** The registered model's aliases and its champion, from MLflow's registry. */
export async function modelSection(mlflow: MlflowClient, name: string): Promise<ModelSection> {
  return await unlessUnavailable(async () => {
    const model = await mlflow.getRegisteredModel(name);
    if (model === null) return { kind: 'model', name, registered: false, champion: null, aliases: [] };
    const aliases = model.aliases
      .map((a) => ({ alias: a.alias, version: a.version }))
      .sort(
        (a, b) => Number(b.alias === 'champion') - Number(a.alias === 'champion') || a.alias.localeCompare(b.alias),
      );
    const championVersion = aliases.find((a) => a.alias === 'champion')?.version;
    const champion =
      championVersion === undefined ? null : championOf(await mlflow.getModelVersion(name, championVersion));
    return { kind: 'model', name, registered: true, champion, aliases };
  });
}

/** The `limit` newest parent runs of tunings in the experiment, newest first. */
export async function tuningsSection(mlflow: MlflowClient, experiment: string, limit: number): Promise<TuningsSection> {
  return await unlessUnavailable(async () => {
    const found = await mlflow.getExperimentByName(experiment);
    if (found === null) return { kind: 'tunings', experiment, found: false, rows: [] };
    const page = await mlflow.searchRuns({
      experimentIds: [found.experimentId],
      filter: `tags.\`${TRACKER_TAGS.tuningParent}\` LIKE '%'`,
      orderBy: ['attributes.start_time DESC'],
      maxResults: limit,
    });
    const rows = await Promise.all(page.runs.map((run) => tuningRow(mlflow, run)));
    return { kind: 'tunings', experiment, found: true, rows };
  });
}

async function tuningRow(mlflow: MlflowClient, run: Run): Promise<TuningRow> {
  const { tags, params, metrics } = run.data;
  const tuningId = tags[TRACKER_TAGS.tuningParent] ?? run.info.runName;
  const metricName = params.selection_metric;
  // With cv the tracker picks, and logs as best_cv_mean_<metric>, the mean over the folds (selectionKey).
  const holdout = metrics.find((m) => m.key === `best_${metricName}`);
  const cvMean = metrics.find((m) => m.key === `best_cv_mean_${metricName}`);
  const best = holdout ?? cvMean;
  const running = run.info.status === 'RUNNING';
  return {
    tuningId,
    startedAt: run.info.startTime,
    status: run.info.status,
    trials: params.trial_count === undefined ? null : Number(params.trial_count),
    recorded: running ? await recordedTrials(mlflow, run.info.experimentId, tuningId) : null,
    best:
      metricName === undefined || best === undefined
        ? null
        : { name: metricName, value: best.value, cv: holdout === undefined },
    version: tags[TRACKER_TAGS.registeredVersion] ?? null,
    model: tags[TRACKER_TAGS.registeredModel] ?? null,
    failure: tags[TRACKER_TAGS.failureReason] ?? null,
  };
}

async function recordedTrials(mlflow: MlflowClient, experimentId: string, tuningId: string): Promise<number> {
  const page = await mlflow.searchRuns({
    experimentIds: [experimentId],
    filter: `${tagEquals(TRACKER_TAGS.tuningId, tuningId)} AND tags.\`${TRACKER_TAGS.recorded}\` LIKE '%'`,
    maxResults: 1000,
  });
  return page.runs.length;
}

function championOf(version: Awaited<ReturnType<MlflowClient['getModelVersion']>>): ChampionStatus {
  const name = version.tags[TRACKER_TAGS.selectionMetric];
  const value = version.tags[TRACKER_TAGS.metricValue];
  return {
    version: version.version,
    metric: name === undefined || value === undefined ? null : { name, value },
    tuningId: version.tags[TRACKER_TAGS.tuningId] ?? null,
  };
}

async function unlessUnavailable<T>(read: () => Promise<T>): Promise<T | { kind: 'unavailable'; problem: string }> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof MlflowError) return { kind: 'unavailable', problem: err.message };
    // A server answering 200 in another shape (not MLflow, or a proxy's page): the client read fields that are not there.
    if (err instanceof TypeError)
      return { kind: 'unavailable', problem: `its answer is not MLflow's (${err.message})` };
    throw err;
  }
}

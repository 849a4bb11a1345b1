import type {
  Cell,
  RunCompleted,
  RunFailed,
  RunStarted,
  SelectionMetric,
  TrialMetrics,
  TuningCompleted,
  TuningStarted,
} from '@mlops/contracts';
import { type Experiment, type LoggedModel, type MlflowClient, type Run, RunStatus, tagEquals } from '@mlops/mlflow';
import { MODEL_FILES } from '@mlops/model-format';
import { KeyedQueue } from '@mlops/service-kit';
import { TuningNotStartedError } from '../domain/errors.js';
import { TopTrials } from '../domain/model-logging.js';
import type { ModelFilesBuilder, StoredRunCompleted } from '../domain/ports.js';
import { bestTrials, type RecordedTrial } from '../domain/selection.js';
import { EXPERIMENT_KIND_TAG, lineageTags, MODEL_TRAINING_KIND, TAGS } from '../domain/tags.js';
import { trialRunName } from './trial-run-name.js';

type TuningRef = { tuning_id: string; experiment_name: string };

/** A recorded trial whose model `log_models: "top_k"` may log when its tuning completes. */
export interface DeferredTrial extends RecordedTrial {
  /** The LoggedModel's id, '' while it has none. */
  readonly modelId: string;
  /** Where its run.completed is stored (tag `mlops.run_completed_seq`). */
  readonly runCompletedSequence: number | undefined;
  /** Its run already says why it has no model (tag `mlops.model_skipped`). */
  readonly skipped?: boolean;
}

type TrialRef = TuningRef & { trial_id: string; trial_index: number; params: Record<string, unknown> };

/** What this process knows of a trial's child run. */
interface TrialRunState {
  readonly runId: string;
  readonly experimentId: string;
  /** FINISHED or FAILED: everything about the trial is in MLflow. */
  ended: boolean;
  /** The LoggedModel made for the trial, once known. */
  modelId: string | undefined;
  /** True while no LoggedModel can exist for the trial: this process made the run and has not tried to make one. */
  modelSurelyAbsent: boolean;
}

/** A tuning's child runs by trial id; `complete` when this process made every run missing from its search. */
interface ChildIndex {
  readonly runs: Map<string, TrialRunState>;
  readonly complete: boolean;
}

/** Tunings whose child runs are indexed at once; a tuning's events rarely interleave with a hundred others. */
const INDEXED_TUNINGS = 100;

/**
 * Mirrors tuning events into MLflow. Every method can run again after a crash or a redelivery: it first looks up
 * what an earlier delivery created (by tags) and only creates what is missing, so nothing is ever duplicated; events
 * handled side by side find-or-create the same entity one at a time.
 *
 * The child runs of a tuning are found with one search when its first trial event comes (after a restart, that
 * finds what the previous process made); from then on this process knows every child because it makes them: it is
 * the only tracker (see docs/scaling.md), so a trial's run is created without a search of its own.
 */
export class MlflowRecorder {
  private readonly experiments = new Map<string, Experiment>();
  /** Parent runs whose `tuning.started` is recorded: what run.completed reads from them never changes again. */
  private readonly startedParents = new Map<string, Run>();
  private readonly topTrials = new TopTrials();
  /** The child runs of recent tunings (most recently used last), so no trial needs a search of its own. */
  private readonly children = new Map<string, ChildIndex>();
  /** Tunings whose index was evicted: a create of theirs may still be in flight, so theirs are looked up first. */
  private readonly evicted = new Set<string>();
  /** Trials whose run create failed: it may have taken effect, so the next create looks it up first. */
  private readonly uncertain = new Set<string>();
  /** Tuning id → its parent run's id (a parent, once made, never changes): a trial's run skips the parent search. */
  private readonly parentIds = new Map<string, string>();
  /** Find-or-create of one experiment, parent or trial run at a time (events are handled side by side). */
  private readonly once = new KeyedQueue();

  constructor(
    private readonly mlflow: MlflowClient,
    private readonly buildModelFiles: ModelFilesBuilder,
    private readonly storedRunCompleted: StoredRunCompleted,
  ) {}

  /** The experiment of a tuning, created if missing (cached per process). */
  async experiment(name: string): Promise<Experiment> {
    return await this.once.run(`experiment:${name}`, () => this.experimentNow(name));
  }

  private async experimentNow(name: string): Promise<Experiment> {
    const cached = this.experiments.get(name);
    if (cached !== undefined) return cached;
    const experiment = await this.mlflow.getOrCreateExperiment(name);
    if (experiment.tags[EXPERIMENT_KIND_TAG] === undefined) {
      // MLflow 3's UI opens an experiment without a kind in its GenAI view: these are model-training runs.
      await this.mlflow.setExperimentTag(experiment.experimentId, EXPERIMENT_KIND_TAG, MODEL_TRAINING_KIND);
    }
    this.experiments.set(name, experiment);
    return experiment;
  }

  /** The parent run of a tuning, created if missing. */
  async parentRun(ref: TuningRef, startTime?: number): Promise<Run> {
    return await this.once.run(`parent:${ref.tuning_id}`, () => this.parentRunNow(ref, startTime));
  }

  private async parentRunNow(ref: TuningRef, startTime?: number): Promise<Run> {
    const { experimentId } = await this.experiment(ref.experiment_name);
    return await this.mlflow.createRun({
      experimentId,
      idempotencyTag: { key: TAGS.tuningParent, value: ref.tuning_id },
      runName: `tuning ${ref.tuning_id}`,
      startTime: startTime ?? Date.now(),
      tags: {
        [TAGS.tuningParent]: ref.tuning_id,
        [TAGS.tuningId]: ref.tuning_id,
        'mlflow.source.name': 'mlops/trainer',
      },
    });
  }

  /**
   * `tuning.started`: the parent run with the data set as its input (and the appended training rows as a second one)
   * and the tuning setup as params.
   */
  async recordTuningStarted(data: TuningStarted['data']): Promise<void> {
    const parent = await this.parentRun(data, Date.parse(data.started_at));
    const { dataset } = data;
    const { appended } = dataset;
    await this.mlflow.logBatch({
      runId: parent.info.runId,
      params: {
        trial_count: String(data.trial_count),
        selection_metric: data.selection_metric,
        dataset_name: dataset.name,
        n_train: String(dataset.n_train),
        n_test: String(dataset.n_test),
        ...(data.split === undefined
          ? {}
          : {
              test_size: String(data.split.test_size),
              split_random_state: String(data.split.random_state),
              stratify: String(data.split.stratify),
            }),
        ...(dataset.rows_without_label === undefined ? {} : { rows_without_label: String(dataset.rows_without_label) }),
        ...(appended === undefined ? {} : { n_appended: String(appended.rows) }),
        ...(data.cv === undefined ? {} : { cv: String(data.cv) }),
        ...(data.log_models === undefined ? {} : { log_models: 'top_k', top_k: String(data.log_models.top_k) }),
        ...(data.search === undefined
          ? {}
          : {
              search: 'random',
              n_trials: String(data.search.n_trials),
              search_random_state: String(data.search.random_state),
            }),
      },
      tags: {
        [TAGS.datasetDigest]: dataset.digest,
        [TAGS.selectionMetric]: data.selection_metric,
        ...(dataset.columns === undefined
          ? {}
          : { [TAGS.columnRoles]: JSON.stringify(dataset.columns).slice(0, 8000) }),
        ...jsonTag(TAGS.grid, data.grid),
        ...jsonTag(TAGS.datasetSpec, data.dataset_spec),
        ...jsonTag(TAGS.search, data.search),
        ...(data.lineage === undefined ? {} : lineageTags(data.lineage)),
      },
    });
    const rows = dataset.n_train + dataset.n_test - (appended?.rows ?? 0);
    await this.mlflow.logInputs({
      runId: parent.info.runId,
      datasets: [
        datasetInput(dataset, dataset, rows),
        ...(appended === undefined ? [] : [datasetInput(appended, dataset, appended.rows)]),
      ],
    });
    if (data.reference_profile !== undefined) {
      const target = { runId: parent.info.runId, path: MODEL_FILES.referenceProfile };
      await this.mlflow.uploadArtifact(target, JSON.stringify(data.reference_profile));
    }
    await this.mlflow.setTag(parent.info.runId, TAGS.inputExample, JSON.stringify(dataset.input_example));
  }

  /** The child run of a trial, created (RUNNING) if missing. */
  async trialRun(ref: TrialRef, startTime: number): Promise<TrialRunState> {
    return await this.once.run(`trial:${ref.trial_id}`, () => this.trialRunNow(ref, startTime));
  }

  private async trialRunNow(ref: TrialRef, startTime: number): Promise<TrialRunState> {
    const { experimentId } = await this.experiment(ref.experiment_name);
    const index = await this.childIndex(ref.tuning_id, experimentId);
    const known = index.runs.get(ref.trial_id);
    if (known !== undefined) return known;
    const knownAbsent = index.complete && !this.uncertain.has(ref.trial_id);
    let run: Run;
    try {
      run = await this.createTrialRun(experimentId, ref, startTime, knownAbsent);
    } catch (err) {
      this.uncertain.add(ref.trial_id);
      if (this.uncertain.size > 10_000) this.uncertain.delete(this.uncertain.values().next().value!);
      throw err;
    }
    this.uncertain.delete(ref.trial_id);
    const state = { runId: run.info.runId, experimentId, ended: false, modelId: undefined, modelSurelyAbsent: true };
    index.runs.set(ref.trial_id, state);
    return state;
  }

  /** The tuning's child runs by trial id: one search the first time (or after it was evicted), then kept current. */
  private async childIndex(tuningId: string, experimentId: string): Promise<ChildIndex> {
    return await this.once.run(`children:${tuningId}`, async () => {
      let index = this.children.get(tuningId);
      if (index === undefined) {
        // After an eviction a create of this tuning may still be in flight: what the search misses is looked up.
        index = { runs: await this.searchChildren(tuningId, experimentId), complete: !this.evicted.has(tuningId) };
      }
      this.children.delete(tuningId);
      this.children.set(tuningId, index);
      if (this.children.size > INDEXED_TUNINGS) this.evict(this.children.keys().next().value!);
      return index;
    });
  }

  private evict(tuningId: string): void {
    this.children.delete(tuningId);
    this.evicted.add(tuningId);
    if (this.evicted.size > 10 * INDEXED_TUNINGS) this.evicted.delete(this.evicted.values().next().value!);
  }

  private async searchChildren(tuningId: string, experimentId: string): Promise<Map<string, TrialRunState>> {
    const index = new Map<string, TrialRunState>();
    const filter = tagEquals(TAGS.tuningId, tuningId);
    for await (const run of this.mlflow.iterateRuns({ experimentIds: [experimentId], filter })) {
      const trialId = run.data.tags[TAGS.trialId];
      if (trialId === undefined) continue;
      // Not the recorded tag: it comes with the metrics, one call before the status that ends the run.
      const ended = run.info.status === RunStatus.FINISHED || run.info.status === RunStatus.FAILED;
      // Two runs of one trial (a create that a stalled MLflow ran after its re-send): the ended one is the trial's.
      const seen = index.get(trialId);
      if (seen !== undefined && (seen.ended || !ended)) continue;
      index.set(trialId, {
        runId: run.info.runId,
        experimentId,
        ended,
        modelId: run.data.tags[TAGS.modelId],
        modelSurelyAbsent: false,
      });
    }
    return index;
  }

  /**
   * Creates the run of a trial the index says has none: without a lookup first when the index is sure (`knownAbsent`);
   * the key tag still guards a create whose answer is lost.
   */
  private async createTrialRun(
    experimentId: string,
    ref: TrialRef,
    startTime: number,
    knownAbsent: boolean,
  ): Promise<Run> {
    let parentId = this.parentIds.get(ref.tuning_id);
    if (parentId === undefined) {
      parentId = (await this.parentRun(ref, startTime)).info.runId;
      this.parentIds.set(ref.tuning_id, parentId);
      if (this.parentIds.size > 100) this.parentIds.delete(this.parentIds.keys().next().value!);
    }
    return await this.mlflow.createRun({
      experimentId,
      idempotencyTag: { key: TAGS.trialId, value: ref.trial_id, knownAbsent },
      runName: trialRunName(ref.params),
      startTime,
      parentRunId: parentId,
      tags: {
        [TAGS.tuningId]: ref.tuning_id,
        [TAGS.trialId]: ref.trial_id,
        [TAGS.trialIndex]: String(ref.trial_index),
      },
    });
  }

  /** `run.started`: the child run exists and shows as running. */
  async recordRunStarted(data: RunStarted['data']): Promise<void> {
    await this.trialRun(data, Date.parse(data.started_at));
  }

  /**
   * `run.completed`: the model (LoggedModel with its files) and the parent's data set, then params, metrics and tags
   * (with `recorded`) in one batch, then FINISHED: a run that is FINISHED is done, anything short of it is done again.
   * A `log_models: "top_k"` trial gets no model yet (see {@link logTopModels}): its batch records where its event is
   * stored instead. Throws {@link TuningNotStartedError} until `tuning.started` is recorded, whatever order events
   * arrive in.
   */
  async recordRunCompleted(data: RunCompleted['data'], streamSequence: number): Promise<void> {
    // One ending of a trial at a time: a trial can end twice (failed for good, then completed by a redelivery).
    await this.once.run(`end:${data.trial_id}`, () => this.recordRunCompletedNow(data, streamSequence));
  }

  private async recordRunCompletedNow(data: RunCompleted['data'], streamSequence: number): Promise<void> {
    const run = await this.trialRun(data, Date.parse(data.started_at));
    if (run.ended) return;
    const parent = await this.startedParent(data);
    const { runId } = run;
    const endTime = Date.parse(data.ended_at);
    const k = topKOf(parent);
    let modelTags: Record<string, string>;
    let modelId: string | undefined;
    if (k === undefined) {
      modelId = await this.logModel(run, parent, data);
      await this.logParentDataset(parent, runId);
      modelTags = { [TAGS.modelId]: modelId };
    } else {
      modelTags = { [TAGS.runCompletedSequence]: String(streamSequence), ...this.skippedTag(parent, data, k) };
    }
    await this.mlflow.logBatch({
      runId,
      params: trialParams(data.params),
      metrics: trialMetrics(data, endTime).map((metric) => (modelId === undefined ? metric : { ...metric, modelId })),
      tags: {
        converged: String(data.converged),
        [TAGS.datasetDigest]: data.dataset_digest,
        ...warningTags(data.warnings),
        ...modelTags,
        [TAGS.recorded]: 'completed',
      },
    });
    await this.mlflow.updateRun({ runId, status: RunStatus.FINISHED, endTime });
    run.ended = true;
  }

  /** `mlops.model_skipped` for a top-k trial already out of the best k seen so far: it cannot make the final k. */
  private skippedTag(parent: Run, data: RunCompleted['data'], k: number): Record<string, string> {
    const { selection_metric: metric, cv } = parent.data.params;
    if (metric === undefined) return {};
    const selection = metric as SelectionMetric;
    const value = cv === undefined ? data.metrics[selection] : data.cv?.mean[selection];
    const admitted = this.topTrials.admit(data.tuning_id, data.trial_id, k, selection, value ?? undefined);
    return admitted ? {} : { [TAGS.modelSkipped]: `not among the best ${k}` };
  }

  /**
   * `log_models: "top_k"`, once every trial is recorded: logs the models of the tuning's final best k (their weights
   * read back from each one's stored run.completed, its data set from the parent) and returns the trials with their
   * model ids, as MLflow's GridSearchCV autologging keeps its best 5. Idempotent, one delivery of a tuning at a time:
   * a model made earlier is found by its trial tag. A trial whose event is no longer stored keeps no model (its run
   * says why), so the best of the others is registered.
   */
  async logTopModels<T extends DeferredTrial>(data: TuningCompleted['data'], trials: readonly T[]): Promise<T[]> {
    const parent = await this.startedParent(data);
    const k = topKOf(parent);
    if (k === undefined) return [...trials];
    return await this.once.run(`top-models:${data.tuning_id}`, async () => {
      const logged = new Map<string, string>();
      const best = bestTrials(trials, data.selection_metric, k, data.cv);
      for (const trial of best) {
        if (trial.modelId !== '') continue;
        const modelId = await this.logDeferredModel(parent, trial);
        if (modelId !== undefined) logged.set(trial.trialId, modelId);
      }
      await this.tagPushedOut(trials, new Set(best.map((t) => t.trialId)), k);
      return trials.map((t) => ({ ...t, modelId: logged.get(t.trialId) ?? t.modelId }));
    });
  }

  /**
   * Says on each completed trial that was among the best k when it finished but not at the end why it has no model
   * (a trial out of them when it finished says so already): no run of the tuning lacks its model unexplained.
   */
  private async tagPushedOut(trials: readonly DeferredTrial[], best: ReadonlySet<string>, k: number): Promise<void> {
    for (const trial of trials) {
      const unexplained = trial.modelId === '' && trial.skipped !== true && trial.runCompletedSequence !== undefined;
      if (unexplained && !best.has(trial.trialId))
        await this.mlflow.setTag(trial.runId, TAGS.modelSkipped, `not among the final best ${k}`);
    }
  }

  /** A top-k trial's model: the one an earlier delivery made, else made from its stored event (undefined if gone). */
  private async logDeferredModel(parent: Run, trial: DeferredTrial): Promise<string | undefined> {
    const found = await this.mlflow.findLoggedModelByTag(parent.info.experimentId, TAGS.trialId, trial.trialId);
    const modelId =
      found?.status === 'READY'
        ? await this.linkModel(trial.runId, found.modelId)
        : await this.modelFromStoredEvent(parent, trial, found);
    if (modelId === undefined) return undefined;
    await this.logParentDataset(parent, trial.runId);
    await this.linkMetrics(trial.runId, modelId);
    await this.mlflow.setTag(trial.runId, TAGS.modelId, modelId);
    return modelId;
  }

  /** The run's metrics logged again for its model (the same rows, now naming it), so the Models tab shows them. */
  private async linkMetrics(runId: string, modelId: string): Promise<void> {
    const { data } = await this.mlflow.getRun(runId);
    const metrics = data.metrics.map(({ key, value, timestamp, step }) => ({ key, value, timestamp, step, modelId }));
    if (metrics.length > 0) await this.mlflow.logBatch({ runId, metrics });
  }

  private async linkModel(runId: string, modelId: string): Promise<string> {
    await this.mlflow.logModelOutputs({ runId, models: [{ modelId, step: 0 }] });
    return modelId;
  }

  /** Makes (or finishes) the model from the trial's stored event; tags the run and returns undefined if it is gone. */
  private async modelFromStoredEvent(
    parent: Run,
    trial: DeferredTrial,
    found: LoggedModel | null,
  ): Promise<string | undefined> {
    const event = await this.storedTrialEvent(trial);
    if (event === undefined) {
      const seq = trial.runCompletedSequence ?? 'not recorded';
      const reason = `its run.completed (stream sequence ${seq}) is no longer stored: its weights are gone`;
      await this.mlflow.setTag(trial.runId, TAGS.modelSkipped, reason);
      return undefined;
    }
    const run: TrialRunState = {
      runId: trial.runId,
      experimentId: parent.info.experimentId,
      ended: true,
      modelId: found?.modelId,
      // Just searched, and trials' models are made one tuning delivery at a time: none can appear meanwhile.
      modelSurelyAbsent: found === null,
    };
    return await this.logModel(run, parent, event);
  }

  private async storedTrialEvent(trial: DeferredTrial): Promise<RunCompleted['data'] | undefined> {
    const seq = trial.runCompletedSequence;
    const event = seq === undefined ? undefined : await this.storedRunCompleted(seq);
    return event?.trial_id === trial.trialId ? event : undefined;
  }

  private async startedParent(ref: TuningRef): Promise<Run> {
    const cached = this.startedParents.get(ref.tuning_id);
    if (cached !== undefined) return cached;
    const parent = await this.parentRun(ref);
    if (parent.data.tags[TAGS.inputExample] === undefined) throw new TuningNotStartedError(ref.tuning_id);
    this.startedParents.set(ref.tuning_id, parent);
    if (this.startedParents.size > 100) this.startedParents.delete(this.startedParents.keys().next().value!);
    return parent;
  }

  /** `run.failed`: params, the reason and `recorded` in one batch, then FAILED. */
  async recordRunFailed(data: RunFailed['data']): Promise<void> {
    await this.once.run(`end:${data.trial_id}`, () => this.recordRunFailedNow(data));
  }

  private async recordRunFailedNow(data: RunFailed['data']): Promise<void> {
    const run = await this.trialRun(data, Date.parse(data.started_at));
    if (run.ended) return;
    const { runId } = run;
    await this.mlflow.logBatch({
      runId,
      params: trialParams(data.params),
      tags: { [TAGS.failureReason]: data.reason.slice(0, 5000), [TAGS.recorded]: 'failed' },
    });
    await this.mlflow.updateRun({ runId, status: RunStatus.FAILED, endTime: Date.parse(data.ended_at) });
    run.ended = true;
  }

  private async logParentDataset(parent: Run, runId: string): Promise<void> {
    const inputs = parent.inputs.datasetInputs;
    if (inputs.length === 0) return;
    await this.mlflow.logInputs({
      runId,
      datasets: inputs.map((input) => ({
        name: input.dataset.name,
        digest: input.dataset.digest,
        sourceType: input.dataset.sourceType,
        source: input.dataset.source,
        ...(input.dataset.schema === undefined ? {} : { schema: input.dataset.schema }),
        ...(input.dataset.profile === undefined ? {} : { profile: input.dataset.profile }),
        context: 'training',
      })),
    });
  }

  /**
   * MLflow 3's LoggedModel flow, found again by its trial tag after a crash (no search when this process made the run
   * and never tried before); returns the model id.
   */
  private async logModel(run: TrialRunState, parent: Run, data: RunCompleted['data']): Promise<string> {
    const { runId, experimentId } = run;
    const knownAbsent = run.modelSurelyAbsent;
    run.modelSurelyAbsent = false;
    const model =
      run.modelId === undefined
        ? await this.createLoggedModel(experimentId, runId, data, knownAbsent)
        : await this.mlflow.getLoggedModel(run.modelId);
    const modelId = model.modelId;
    run.modelId = modelId;
    if (model.status !== 'READY') {
      const inputExample = storedInputExample(parent.data.tags[TAGS.inputExample]);
      const files = this.buildModelFiles({ modelId, runId, artifactUri: model.artifactUri, event: data, inputExample });
      // Whole-file PUTs, so sending them side by side is safe to repeat after any failure.
      await Promise.all(
        Object.entries(files).map(([path, body]) =>
          this.mlflow.uploadArtifact({ artifactUri: model.artifactUri, path }, body),
        ),
      );
      await this.mlflow.finalizeLoggedModel(modelId, 'READY');
    }
    await this.mlflow.logModelOutputs({ runId, models: [{ modelId, step: 0 }] });
    return modelId;
  }

  private async createLoggedModel(
    experimentId: string,
    runId: string,
    data: RunCompleted['data'],
    knownAbsent: boolean,
  ): Promise<LoggedModel> {
    return await this.mlflow.createLoggedModel({
      experimentId,
      name: 'model',
      sourceRunId: runId,
      modelType: 'logistic-regression',
      params: trialParams(data.params),
      tags: { [TAGS.trialId]: data.trial_id, [TAGS.tuningId]: data.tuning_id },
      idempotencyTag: { key: TAGS.trialId, value: data.trial_id, knownAbsent },
    });
  }
}

/** `top_k` of a parent run whose tuning logs only its best models; undefined when every model is logged. */
export function topKOf(parent: Run): number | undefined {
  const { log_models: mode, top_k: k } = parent.data.params;
  return mode === 'top_k' && k !== undefined ? Number(k) : undefined;
}

/**
 * Trial params as MLflow strings; null (`penalty`, `class_weight`) is logged as `None`, as scikit-learn users expect,
 * and a class_weight mapping as its JSON (`{"0":1,"1":3}`).
 */
export function trialParams(params: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, paramText(v)]));
}

function paramText(value: unknown): string {
  if (value === null) return 'None';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function trialMetrics(data: RunCompleted['data'], timestamp: number) {
  const metrics: Record<string, number | null> = {
    ...data.metrics,
    ...cvMetrics(data.cv),
    n_iter: data.n_iter,
    fit_time_ms: data.fit_time_ms,
    converged: data.converged ? 1 : 0,
  };
  return Object.entries(metrics).flatMap(([key, value]) =>
    value === null ? [] : [{ key, value, timestamp, step: 0 }],
  );
}

/** A trial's cross-validation as `cv_mean_<metric>` and `cv_std_<metric>` (none without cv). */
function cvMetrics(cv: RunCompleted['data']['cv']): Record<string, number | null> {
  if (cv === undefined) return {};
  const named = (prefix: string, metrics: TrialMetrics) =>
    Object.entries(metrics).map(([metric, value]) => [`${prefix}${metric}`, value] as const);
  return Object.fromEntries([...named('cv_mean_', cv.mean), ...named('cv_std_', cv.std)]);
}

function warningTags(warnings: readonly string[]): Record<string, string> {
  return warnings.length === 0 ? {} : { warnings: warnings.join('\n').slice(0, 7000) };
}

/** The input example a parent run's tag holds; none when the tag is absent or was cut (MLflow keeps 8000 characters). */
function storedInputExample(tag: string | undefined): Cell[][] {
  try {
    const rows: unknown = JSON.parse(tag ?? '[]');
    return Array.isArray(rows) && rows.every(Array.isArray) ? (rows as Cell[][]) : [];
  } catch {
    return [];
  }
}

/**
 * A value as a JSON tag when it fits MLflow's 8000 characters; none when absent or larger (a retrain then goes
 * without it: the default grid, no appended data set).
 */
function jsonTag(key: string, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  const json = JSON.stringify(value);
  return json.length <= 8000 ? { [key]: json } : {};
}

type Summary = TuningStarted['data']['dataset'];

/**
 * A training input of the parent run: `part` names the rows (the data set, whose digest is the tuning's over both
 * parts, or the appended rows), `summary` gives their columns and `rows` how many there are.
 */
function datasetInput(part: Pick<Summary, 'name' | 'digest' | 'source'>, summary: Summary, rows: number) {
  const local = part.source.startsWith('file://');
  return {
    name: part.name,
    digest: part.digest,
    sourceType: local ? 'local' : 'code',
    source: local ? { uri: part.source } : { tags: { generator: part.source } },
    schema: {
      mlflow_colspec: summary.feature_names.map((name, j) => ({
        type: summary.feature_kinds?.[j] === 'text' ? 'string' : 'double',
        name,
        required: true,
      })),
    },
    profile: { num_rows: rows, num_elements: rows * summary.feature_names.length },
    context: 'training',
  };
}

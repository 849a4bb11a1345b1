import type { RetrainLineage } from '@mlops/contracts';

/** Tags the tracker writes so every handler can find what an earlier (possibly interrupted) delivery created. */
export const TAGS = {
  /** On the parent run: the tuning it mirrors. */
  tuningParent: 'mlops.tuning_parent',
  /** On every run of a tuning (parent and children). */
  tuningId: 'mlops.tuning_id',
  /** On a child run: the trial it mirrors. */
  trialId: 'mlops.trial_id',
  trialIndex: 'mlops.trial_index',
  /**
   * On a child run: the LoggedModel made for it (with the params and metrics, once the model is READY; for a
   * `log_models: "top_k"` tuning, on its final best k when it completes).
   */
  modelId: 'mlops.model_id',
  /** On a trial run of a `log_models: "top_k"` tuning already out of the best k when it finished. */
  modelSkipped: 'mlops.model_skipped',
  /** On a trial run of a `log_models: "top_k"` tuning: where its run.completed is stored, to log its model later. */
  runCompletedSequence: 'mlops.run_completed_seq',
  /**
   * On a child run: `completed` or `failed`, with the params and metrics once the model and data set are logged;
   * FINISHED or FAILED follows, which is what says the trial is done.
   */
  recorded: 'mlops.recorded',
  /** On a second run of one trial (a create a stalled MLflow ran late), before it is deleted: the trial's own run. */
  duplicateOf: 'mlops.duplicate_of',
  /** On the parent run: the registered model and version its best trial became. */
  registeredModel: 'mlops.registered_model',
  registeredVersion: 'mlops.registered_version',
  /** On a failed trial run: why it failed; on the parent run of a tuning that registered nothing: why. */
  failureReason: 'mlops.failure_reason',
  selectionMetric: 'mlops.selection_metric',
  metricValue: 'mlops.metric_value',
  datasetDigest: 'mlops.dataset_digest',
  /** On the parent run of a CSV table's tuning: each column's role and why some were excluded (JSON). */
  columnRoles: 'mlops.column_roles',
  /** On the parent run, written last by `tuning.started`: a few test rows for each model's input example. */
  inputExample: 'mlops.input_example',
  /** On the parent run: the grid as requested, defaults applied (JSON): a retrain of its version reuses it. */
  grid: 'mlops.grid',
  /** On the parent run of a random search: the search (JSON): a retrain of its version draws the same way. */
  search: 'mlops.search',
  /** On the parent run: the request's `dataset` as requested, defaults applied (JSON): a retrain can append it. */
  datasetSpec: 'mlops.dataset_spec',
} as const;

/** On the parent run and the version of a tuning a retrain asked for: where it came from. */
export const LINEAGE_TAGS = {
  retrainId: 'mlops.retrain_id',
  trigger: 'mlops.retrain.trigger',
  detail: 'mlops.retrain.detail',
  replacesVersion: 'mlops.retrain.replaces_version',
  /** JSON: the data set's path, SHA-256, rows, class-1 rows, predictions and prediction-time window. */
  dataset: 'mlops.retrain.dataset',
} as const;

/** The lineage of a tuning a retrain asked for, as tags (run and version). */
export function lineageTags(lineage: RetrainLineage): Record<string, string> {
  return {
    [LINEAGE_TAGS.retrainId]: lineage.retrain_id,
    [LINEAGE_TAGS.trigger]: lineage.trigger,
    [LINEAGE_TAGS.detail]: lineage.detail.slice(0, 5000),
    [LINEAGE_TAGS.replacesVersion]: lineage.replaces_version,
    [LINEAGE_TAGS.dataset]: JSON.stringify(lineage.dataset),
  };
}

/** On a model version: the gate's verdict, written before any alias moves (JSON of the whole verdict first). */
export const GATE_TAGS = {
  verdict: 'mlops.gate.verdict',
  status: 'mlops.gate.status',
  reason: 'mlops.gate.reason',
  championVersion: 'mlops.gate.champion_version',
  metric: 'mlops.gate.metric',
  challengerValue: 'mlops.gate.challenger_value',
  championValue: 'mlops.gate.champion_value',
  difference: 'mlops.gate.difference',
  interval: 'mlops.gate.interval',
  pValue: 'mlops.gate.p_value',
} as const;

/** On the registered model: every move of the champion alias, newest last (JSON, the last 50). */
export const CHAMPION_HISTORY_TAG = 'mlops.champion_history';

/** The alias of the served model: moved only by the gate, `mlops promote` or `mlops rollback`. */
export const CHAMPION_ALIAS = 'champion';

/** The alias of the last tuning's best that the gate kept out. */
export const CHALLENGER_ALIAS = 'challenger';

/** MLflow's run tag holding the run's description, shown at the top of the run's page in its UI. */
export const RUN_DESCRIPTION_TAG = 'mlflow.note.content';

/** MLflow's experiment tag naming what the experiment is for; its UI picks its view from it. */
export const EXPERIMENT_KIND_TAG = 'mlflow.experimentKind';
/** The kind of an experiment of model training runs (MLflow 3: `custom_model_development`). */
export const MODEL_TRAINING_KIND = 'custom_model_development';

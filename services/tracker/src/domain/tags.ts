/** Tags the tracker writes so every handler can find what an earlier (possibly interrupted) delivery created. */
export const TAGS = {
  /** On the parent run: the tuning it mirrors. */
  tuningParent: 'mlops.tuning_parent',
  /** On every run of a tuning (parent and children). */
  tuningId: 'mlops.tuning_id',
  /** On a child run: the trial it mirrors. */
  trialId: 'mlops.trial_id',
  trialIndex: 'mlops.trial_index',
  /** On a child run: the LoggedModel created for it (set right after creation, before any upload). */
  modelId: 'mlops.model_id',
  /** On a child run, last: `completed` or `failed` once everything about the trial is in MLflow. */
  recorded: 'mlops.recorded',
  failureReason: 'mlops.failure_reason',
  selectionMetric: 'mlops.selection_metric',
  metricValue: 'mlops.metric_value',
  datasetDigest: 'mlops.dataset_digest',
  /** On the parent run, written last by `tuning.started`: a few test rows for each model's input example. */
  inputExample: 'mlops.input_example',
} as const;

/** The alias the tracker moves to each newly registered best model. */
export const CHAMPION_ALIAS = 'champion';

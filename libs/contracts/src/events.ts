import { z } from 'zod';
import { envelopeSchema, eventType } from './envelope.js';
import { ClassWeightSchema, PENALTY_NAMES } from './penalties.js';
import { ReferenceProfileSchema } from './reference-profile.js';
import { RetrainLineageSchema } from './retraining.js';
import { RandomSearchSchema } from './search.js';
import {
  CellSchema,
  ClassLabelSchema,
  ColumnRolesSchema,
  FittedPreprocessorSchema,
  InputColumnSchema,
} from './tables.js';
import {
  CATEGORICAL_MISSING_MODES,
  CV_FOLDS,
  DatasetSpecSchema,
  GateSpecSchema,
  GridSpecSchema,
  IMPUTE_STRATEGIES,
  SELECTION_METRICS,
  SOLVER_NAMES,
  SplitSpecSchema,
  TuneRequestSchema,
} from './tune-request.js';

const id = z.string().min(1).max(128);
const timestamp = z.iso.datetime({ offset: true });
const finite = z.number().finite();

/** The parameters of one trial, as logged to MLflow. */
export const TrialParamsSchema = z.strictObject({
  C: finite.gt(0),
  solver: z.enum(SOLVER_NAMES),
  tol: finite.gt(0),
  max_iter: z.number().int().min(1),
  fit_intercept: z.boolean(),
  intercept_scaling: finite.gt(0),
  penalty: z.enum(PENALTY_NAMES).nullable(),
  /** Elasticnet trials only. */
  l1_ratio: finite.min(0).max(1).optional(),
  /** Only when the grid named class_weight. */
  class_weight: ClassWeightSchema.optional(),
  random_state: z.number().int().min(0),
  scale: z.boolean().optional(),
  impute: z.enum(IMPUTE_STRATEGIES).optional(),
  categorical_missing: z.enum(CATEGORICAL_MISSING_MODES).optional(),
});

/** Test-split metrics of one trial (roc_auc is null when the test split holds a single class). */
export const TrialMetricsSchema = z.strictObject({
  accuracy: finite,
  precision: finite,
  recall: finite,
  f1: finite,
  roc_auc: finite.nullable(),
  log_loss: finite,
});

/** A number of cross-validation folds (a tune request's `cv`). */
const CvFoldsSchema = z.number().int().min(CV_FOLDS.min).max(CV_FOLDS.max);

/** A trial's cross-validation on the training split: per metric the mean and the std (ddof 0) over the k folds. */
export const TrialCvSchema = z.strictObject({
  k: CvFoldsSchema,
  mean: TrialMetricsSchema,
  std: TrialMetricsSchema,
});

/** The data set a tuning trained on: enough to log it as an MLflow input and to build an input example. */
export const DatasetSummarySchema = z.strictObject({
  name: z.string().min(1).max(500),
  /** 8-64 hex characters over the rows, labels and column names (MLflow keeps at most 36). */
  digest: z.string().regex(/^[0-9a-f]{8,64}$/),
  source: z.string().min(1).max(2048),
  /** The model's input columns: the features of a matrix, or a CSV table's raw columns used as features. */
  feature_names: z.array(z.string().min(1)).min(1),
  target: z.string().min(1),
  n_train: z.number().int().min(1),
  n_test: z.number().int().min(1),
  /** A few test rows, for the MLmodel input example (a table's raw cells: numbers, text, null). */
  input_example: z.array(z.array(CellSchema)).max(10),
  /** CSV tables: what each column was used as, and why some were left out. */
  columns: ColumnRolesSchema.optional(),
  /** CSV tables: what each of `feature_names` holds (numbers or text). */
  feature_kinds: z.array(z.enum(['number', 'text'])).optional(),
  /** CSV tables: rows left out because their label was missing. */
  rows_without_label: z.number().int().min(0).optional(),
  /**
   * The request's `append_training`: its rows (all of them) follow the split's train rows, so `n_train` counts them
   * and `digest` hashes both parts; `digest` here is of the appended rows alone.
   */
  appended: z
    .strictObject({
      name: z.string().min(1).max(500),
      digest: z.string().regex(/^[0-9a-f]{8,64}$/),
      source: z.string().min(1).max(2048),
      rows: z.number().int().min(1),
    })
    .optional(),
});

/** The data of `tuning.requested`: an accepted request with every default applied; the trainer's unit of work. */
export const TuningRequestedDataSchema = z.object({
  tuning_id: id,
  trial_count: z.number().int().min(1),
  requested_at: timestamp,
  request: TuneRequestSchema,
});

/** The CloudEvents envelope of `tuning.requested`. */
export const TuningRequestedSchema = envelopeSchema(eventType('tuning.requested'), TuningRequestedDataSchema);

/** The data of `trial.requested`: one trial of an accepted tuning, with the request its data set is built from. */
export const TrialRequestedDataSchema = z.object({
  tuning_id: id,
  trial_id: id,
  trial_index: z.number().int().min(0),
  trial_count: z.number().int().min(1),
  params: TrialParamsSchema,
  request: TuneRequestSchema,
  requested_at: timestamp,
});

/** The CloudEvents envelope of `trial.requested`. */
export const TrialRequestedSchema = envelopeSchema(eventType('trial.requested'), TrialRequestedDataSchema);

/**
 * The data of `tune.rejected`: a request that failed validation or whose data proved unusable (nothing was trained
 * or tracked), or a tuning whose completed trials give nothing to register (the tracker says why).
 */
export const TuneRejectedDataSchema = z.object({
  tuning_id: id.nullable(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).min(1),
  rejected_at: timestamp,
});

/** The CloudEvents envelope of `tune.rejected`. */
export const TuneRejectedSchema = envelopeSchema(eventType('tune.rejected'), TuneRejectedDataSchema);

const tuningRef = {
  tuning_id: id,
  experiment_name: z.string().min(1),
  registered_model_name: z.string().min(1),
};

/** The data of `tuning.started`: the trainer built the data set and is about to train `trial_count` models. */
export const TuningStartedDataSchema = z.object({
  ...tuningRef,
  trial_count: z.number().int().min(1),
  selection_metric: z.enum(SELECTION_METRICS),
  dataset: DatasetSummarySchema,
  /** The training split's profile for drift monitoring; absent from trainers before it existed. */
  reference_profile: ReferenceProfileSchema.optional(),
  /** The grid as requested, defaults applied (a retrain of the version reuses it); absent from older trainers. */
  grid: GridSpecSchema.optional(),
  /** Set when a retrain asked for the tuning. */
  lineage: RetrainLineageSchema.optional(),
  /** The request's `dataset` as requested, defaults applied (a retrain can append it); absent from older trainers. */
  dataset_spec: DatasetSpecSchema.optional(),
  /** The request's `append_training`, when it had one: rows that trained every trial but were never tested on. */
  append_training: DatasetSpecSchema.optional(),
  /** The request's train/test split, defaults applied (with the data set, it rebuilds the test rows); absent from older trainers. */
  split: SplitSpecSchema.optional(),
  /** The folds of the request's cross-validation, when it asked for one. */
  cv: CvFoldsSchema.optional(),
  /** The request's search when it was random (absent: every grid point is a trial). */
  search: RandomSearchSchema.optional(),
  /** Set when only the best trials get their model logged (request `log_models: "top_k"`); absent: every one. */
  log_models: z.strictObject({ top_k: z.number().int().min(1) }).optional(),
  started_at: timestamp,
});

/** The CloudEvents envelope of `tuning.started`. */
export const TuningStartedSchema = envelopeSchema(eventType('tuning.started'), TuningStartedDataSchema);

const trialRef = { ...tuningRef, trial_id: id, trial_index: z.number().int().min(0), params: TrialParamsSchema };

/** The data of `run.started`: one trial began fitting. */
export const RunStartedDataSchema = z.object({ ...trialRef, started_at: timestamp });

/** The CloudEvents envelope of `run.started`. */
export const RunStartedSchema = envelopeSchema(eventType('run.started'), RunStartedDataSchema);

/** The data of `run.completed`: one trial fitted and evaluated; carries the model weights. */
export const RunCompletedDataSchema = z.object({
  ...trialRef,
  metrics: TrialMetricsSchema,
  model: z.object({
    classes: z.tuple([finite, finite]),
    coef: z.array(finite).min(1),
    intercept: finite,
    /** One per coefficient: a table's encoded columns (`tenure`, `plan_basic`, …). */
    feature_names: z.array(z.string()).min(1),
    /** CSV tables: the raw columns the model takes, in the preprocessor's order. */
    input_columns: z.array(InputColumnSchema).min(1).optional(),
    /** CSV tables: the fitted imputers, scaler and encoder. */
    preprocessing: FittedPreprocessorSchema.optional(),
    /** The target's own labels for classes 0 and 1, when they are text (`["no", "yes"]`). */
    class_labels: z.tuple([ClassLabelSchema, ClassLabelSchema]).optional(),
  }),
  /** The trial's cross-validation on the training split, when the tuning asked for one (`metrics` stay the test split's). */
  cv: TrialCvSchema.optional(),
  n_iter: z.number().int().min(0),
  converged: z.boolean(),
  warnings: z.array(z.string()),
  fit_time_ms: finite.min(0),
  dataset_digest: z.string(),
  started_at: timestamp,
  ended_at: timestamp,
});

/** The CloudEvents envelope of `run.completed`. */
export const RunCompletedSchema = envelopeSchema(eventType('run.completed'), RunCompletedDataSchema);

/** The data of `run.failed`: one trial could not be fitted; the tuning goes on with the others. */
export const RunFailedDataSchema = z.object({
  ...trialRef,
  reason: z.string().min(1),
  started_at: timestamp,
  ended_at: timestamp,
});

/** The CloudEvents envelope of `run.failed`. */
export const RunFailedSchema = envelopeSchema(eventType('run.failed'), RunFailedDataSchema);

/** At most this many cells (rows × features) of the test split travel with `tuning.completed` for the gate. */
export const MAX_HOLDOUT_CELLS = 25_000;

/** The rows the promotion gate judges champion and challenger on: the first rows of the tuning's test split. */
export const HoldoutSchema = z.strictObject({
  /** The model's input columns (a table's raw columns), in the order of each row's cells. */
  feature_names: z.array(z.string().min(1)).min(1),
  /** Numbers for a matrix; a table's raw cells (numbers, text, null for missing). */
  rows: z.array(z.array(CellSchema)).min(1),
  labels: z.array(z.union([z.literal(0), z.literal(1)])).min(1),
});

/**
 * Where a holdout too big for the event waits: the JetStream object store of the bus (GATE_HOLDOUT_BUCKET). The
 * object is a HoldoutSchema JSON of up to MAX_STORED_HOLDOUT_CELLS cells and MAX_STORED_HOLDOUT_BYTES,
 * named after the tuning; it lives GATE_HOLDOUT_TTL_MS.
 */
export const StoredHoldoutSchema = z.object({
  bucket: z.string().regex(/^[-\w]+$/),
  name: z.string().min(1),
  /** The rows the object holds: the whole test split unless that was above the store's cap too. */
  rows: z.number().int().min(1),
});

/** The object store bucket of holdouts too big for `tuning.completed`. */
export const GATE_HOLDOUT_BUCKET = 'gate-holdouts';
/** How long a stored holdout lives: a tracker away longer judges on the event's first rows. */
export const GATE_HOLDOUT_TTL_MS = 7 * 24 * 3600 * 1000;
/** The most the holdout bucket holds: a put past it is refused until stored holdouts expire. */
export const GATE_HOLDOUT_MAX_BYTES = 1024 ** 3;
/** At most this many cells (rows × features) of the test split are stored for the gate. */
export const MAX_STORED_HOLDOUT_CELLS = 2_000_000;
/** A stored holdout stops at this many UTF-8 bytes of JSON (a table's text can be long, a float takes up to 24). */
export const MAX_STORED_HOLDOUT_BYTES = 40_000_000;

/** The data of `tuning.completed`: every trial ended; the tracker now picks and registers the best. */
export const TuningCompletedDataSchema = z.object({
  ...tuningRef,
  trial_count: z.number().int().min(1),
  completed: z.number().int().min(0),
  failed: z.number().int().min(0),
  selection_metric: z.enum(SELECTION_METRICS),
  /** The request's gate overrides; the tracker's defaults fill the rest. */
  gate: GateSpecSchema.prefault({}),
  /** Absent in events of versions before the gate: the gate then cannot compare and keeps the champion. */
  holdout: HoldoutSchema.optional(),
  /**
   * The rows of the whole test split; more than the holdout's when it was cut (MAX_HOLDOUT_CELLS cells, or a table's
   * bytes): the gate then says on how many rows it judged. Beside the holdout, not in it (its schema is strict, and
   * a reader of an earlier version must still take this event). Absent in events of versions before it.
   */
  test_rows: z.number().int().min(1).optional(),
  /**
   * Set when `holdout` had to be cut: the whole of it (the same first rows, then the rest) in the object store. The
   * gate and the figures use it; a reader that cannot get it uses `holdout`. Absent in events of versions before it.
   */
  stored_holdout: StoredHoldoutSchema.optional(),
  /** Set when a retrain asked for the tuning. */
  lineage: RetrainLineageSchema.optional(),
  /** The folds of the request's cross-validation, when it asked for one: the best trial is picked on their mean. */
  cv: CvFoldsSchema.optional(),
  ended_at: timestamp,
});

/** The CloudEvents envelope of `tuning.completed`. */
export const TuningCompletedSchema = envelopeSchema(eventType('tuning.completed'), TuningCompletedDataSchema);

/** The data of `model.registered`: a new version of the registered model now carries the alias (e.g. champion). */
export const ModelRegisteredDataSchema = z.object({
  tuning_id: id,
  /** The winning trial of the tuning. */
  trial_id: id,
  name: z.string().min(1),
  version: z.string().regex(/^\d+$/),
  alias: z.string().min(1),
  run_id: z.string().min(1),
  model_uri: z.string().min(1),
  source_uri: z.string().min(1),
  /** The selection metric of the version's tuning; null for a version registered outside a tuning. */
  metric: z.object({ name: z.enum(SELECTION_METRICS), value: finite }).nullable(),
  /** The version that held the alias before, or null for the first champion. */
  previous_version: z.string().regex(/^\d+$/).nullable().optional(),
  /** Why the alias moved: the gate's verdict, or who promoted or rolled back and why. */
  reason: z.string().min(1).max(2000).optional(),
  /** The retrain that asked for the tuning, if one did. */
  retrain_id: z.string().min(1).max(300).optional(),
  registered_at: timestamp,
});

/** The CloudEvents envelope of `model.registered`. */
export const ModelRegisteredSchema = envelopeSchema(eventType('model.registered'), ModelRegisteredDataSchema);

/** `model.rejected`'s champion_version when no version is champion yet (MLflow versions start at 1). */
export const NO_CHAMPION = '0';

/**
 * The data of `model.rejected`: the gate kept the champion (or, with none yet, held a first version below its
 * threshold); the tuning's best is registered with alias challenger.
 */
export const ModelRejectedDataSchema = z.object({
  tuning_id: id,
  /** The tuning's best trial, now the challenger. */
  trial_id: id,
  /** The MLflow run of that trial (the version's source); absent in events published before it was added. */
  run_id: z.string().min(1).optional(),
  name: z.string().min(1),
  version: z.string().regex(/^\d+$/),
  /** The champion that stays; NO_CHAMPION ('0') when there is none yet (a first version below the gate's threshold). */
  champion_version: z.string().regex(/^\d+$/),
  metric: z.object({
    name: z.enum(SELECTION_METRICS),
    challenger: finite.nullable(),
    champion: finite.nullable(),
  }),
  difference: finite.nullable(),
  interval: z.object({ low: finite, high: finite, alpha: finite }).nullable(),
  p_value: finite.nullable(),
  reason: z.string().min(1).max(2000),
  /** The retrain that asked for the tuning, if one did. */
  retrain_id: z.string().min(1).max(300).optional(),
  rejected_at: timestamp,
});

/** The CloudEvents envelope of `model.rejected`. */
export const ModelRejectedSchema = envelopeSchema(eventType('model.rejected'), ModelRejectedDataSchema);

/** The data of `model.load_failed`: a predictor could not load a registered version and keeps serving what it had. */
export const ModelLoadFailedDataSchema = z.object({
  name: z.string().min(1),
  version: z.string().regex(/^\d+$/),
  alias: z.string().min(1),
  /** The predictor instance that failed (each loads on its own). */
  instance: z.string().min(1),
  reason: z.string().min(1).max(2000),
  /** The version still being served, or null when none is. */
  serving_version: z.string().regex(/^\d+$/).nullable(),
  failed_at: timestamp,
});

/** The CloudEvents envelope of `model.load_failed`. */
export const ModelLoadFailedSchema = envelopeSchema(eventType('model.load_failed'), ModelLoadFailedDataSchema);

/** The envelope of each event, by subject-free name. */
export type TuningRequested = z.infer<typeof TuningRequestedSchema>;
/** See {@link TrialRequestedSchema}. */
export type TrialRequested = z.infer<typeof TrialRequestedSchema>;
export type TuneRejected = z.infer<typeof TuneRejectedSchema>;
export type TuningStarted = z.infer<typeof TuningStartedSchema>;
export type RunStarted = z.infer<typeof RunStartedSchema>;
export type RunCompleted = z.infer<typeof RunCompletedSchema>;
export type RunFailed = z.infer<typeof RunFailedSchema>;
export type TuningCompleted = z.infer<typeof TuningCompletedSchema>;
export type ModelRegistered = z.infer<typeof ModelRegisteredSchema>;
export type ModelLoadFailed = z.infer<typeof ModelLoadFailedSchema>;
export type ModelRejected = z.infer<typeof ModelRejectedSchema>;
export type TrialMetrics = z.infer<typeof TrialMetricsSchema>;
export type TrialCv = z.infer<typeof TrialCvSchema>;
export type DatasetSummary = z.infer<typeof DatasetSummarySchema>;

/**
 * `@mlops/contracts`: the messages the services exchange — zod schemas and types, subject and stream names,
 * the CloudEvents envelope, and JSON Schemas generated from the zod schemas. Depends only on zod.
 */

export type { Envelope } from './envelope.js';
export { envelopeSchema, eventType, MAX_EVENT_ID_LENGTH, SPEC_VERSION } from './envelope.js';
export type {
  EventData,
  EventDefinition,
  EventOf,
  EventSubject,
  ParsedEvent,
  ReplyOf,
  RequestOf,
  RequestSubject,
} from './event-map.js';
export {
  EVENT_MAP,
  isEventSubject,
  makeEvent,
  parseEvent,
  REQUEST_MAP,
  refusesAcceptedTuning,
  requestSchema,
} from './event-map.js';
export type {
  DatasetSummary,
  ModelLoadFailed,
  ModelRegistered,
  ModelRejected,
  RunCompleted,
  RunFailed,
  RunStarted,
  TrialCv,
  TrialMetrics,
  TrialRequested,
  TuneRejected,
  TuningCompleted,
  TuningRequested,
  TuningStarted,
} from './events.js';
export {
  DatasetSummarySchema,
  GATE_HOLDOUT_BUCKET,
  GATE_HOLDOUT_MAX_BYTES,
  GATE_HOLDOUT_TTL_MS,
  HoldoutSchema,
  MAX_HOLDOUT_CELLS,
  MAX_STORED_HOLDOUT_BYTES,
  MAX_STORED_HOLDOUT_CELLS,
  ModelLoadFailedSchema,
  ModelRegisteredSchema,
  ModelRejectedSchema,
  NO_CHAMPION,
  RunCompletedSchema,
  RunFailedSchema,
  RunStartedSchema,
  StoredHoldoutSchema,
  TrialCvSchema,
  TrialMetricsSchema,
  TrialParamsSchema,
  TrialRequestedSchema,
  TuneRejectedSchema,
  TuningCompletedSchema,
  TuningRequestedSchema,
  TuningStartedSchema,
} from './events.js';
export { jsonSchemas, MESSAGE_SCHEMAS } from './json-schemas.js';
export type {
  ColumnDrift,
  FeedbackItem,
  FeedbackReply,
  LivePerformance,
  LoggedRequest,
  MissingShare,
  MonitorCheckpoint,
  MonitorWindowData,
  PredictionLoggedData,
  VersionStatus,
} from './monitoring.js';
export {
  base64LengthOfDoubles,
  CLIENT_ID_PATTERN,
  FeedbackBatchSchema,
  FeedbackItemSchema,
  FeedbackReplySchema,
  FeedbackRequestSchema,
  MAX_FEEDBACK_ITEMS,
  MAX_LISTED_FEEDBACK_ERRORS,
  MAX_LOGGED_ROWS,
  MAX_REQUESTS_PER_LOG_MESSAGE,
  MonitorStatusReplySchema,
  MonitorStatusRequestSchema,
  MonitorWindowDataSchema,
  PREDICTION_ENCODING,
  PREDICTION_ID_PATTERN,
  PREDICTION_PARTS_ENCODING,
  PredictionLoggedDataSchema,
  parseFeedback,
  RAW_COLUMNS_CODING,
  refusedLabels,
} from './monitoring.js';
export type { ClassWeightSpec, PenaltyName } from './penalties.js';
export {
  ClassWeightSchema,
  PENALTY_NAMES,
  PenaltySchema,
  SOLVERS_OF_PENALTY,
  solverFitsPenalty,
} from './penalties.js';
export type { MatrixProfileData, ReferenceProfileData, TableProfileData } from './reference-profile.js';
export {
  MAX_PROFILE_SAMPLE_CELLS,
  MAX_PROFILE_SAMPLE_ROWS,
  MatrixProfileSchema,
  profileSampleSize,
  ReferenceProfileSchema,
  TableProfileSchema,
} from './reference-profile.js';
export type { ChampionMoveReply, ListModelsReply, ModelVersionSummary } from './registry.js';
export {
  ChampionMoveReplySchema,
  ListModelsReplySchema,
  ListModelsRequestSchema,
  PromoteRequestSchema,
  RollbackRequestSchema,
} from './registry.js';
export type { TuneReply } from './replies.js';
export { TuneReplySchema } from './replies.js';
export type {
  RetrainDataset,
  RetrainHistoryReply,
  RetrainLineage,
  RetrainOutcome,
  RetrainReply,
  RetrainRequestedData,
  RetrainSkippedData,
  RetrainSkipReason,
  RetrainTrigger,
} from './retraining.js';
export {
  RETRAIN_DATA_MODES,
  RETRAIN_SKIP_REASONS,
  RETRAIN_TRIGGERS,
  RetrainDatasetSchema,
  RetrainFailedSchema,
  RetrainHistoryReplySchema,
  RetrainHistoryRequestSchema,
  RetrainLineageSchema,
  RetrainOutcomeSchema,
  RetrainReplySchema,
  RetrainRequestedSchema,
  RetrainRequestSchema,
  RetrainSkippedSchema,
} from './retraining.js';
export type { Distribution, RandomSearchSpec, SearchSpec } from './search.js';
export {
  DISTRIBUTION_AXES,
  DistributionSchema,
  MAX_RANDOM_TRIALS,
  RandomSearchSchema,
  SearchSpecSchema,
} from './search.js';
export type { Subject } from './subjects.js';
export { CONSUMERS, PREDICTIONS_STREAM_DEFAULTS, STREAMS, SUBJECTS, TUNING_STREAM_MAX_AGE_MS } from './subjects.js';
export type { Cell, ColumnRolesData, FittedPreprocessorData, InputColumn } from './tables.js';
export {
  CellSchema,
  ClassLabelSchema,
  ColumnRolesSchema,
  FittedPreprocessorSchema,
  InputColumnSchema,
  MAX_COLUMN_NAME_LENGTH,
} from './tables.js';
export type {
  DatasetSpec,
  GateRules,
  GateSpec,
  GridSpec,
  SearchSpace,
  SelectionMetric,
  TrialParams,
  TuneRequest,
  TuneRequestInput,
  ValidationProblem,
} from './tune-request.js';
export {
  CATEGORICAL_MISSING_MODES,
  ColumnOverridesSchema,
  CSV_DECIMAL_MARKS,
  CSV_DELIMITERS,
  CSV_FEATURE_MODES,
  CV_FOLDS,
  DatasetSpecSchema,
  DEFAULT_MODEL_NAME,
  expandGrid,
  GateRulesSchema,
  GateSpecSchema,
  GridSpecSchema,
  greaterIsBetter,
  IMPUTE_STRATEGIES,
  isTableDataset,
  LOG_MODELS,
  MAX_DATASET_CELLS,
  MAX_MATRIX_FEATURES,
  MAX_TRIALS,
  parseTuneRequest,
  plannedTrialCount,
  RETRAINED_CHAMPION_RULES,
  RegisteredModelNameSchema,
  resolvedGrid,
  resolveGateRules,
  SELECTION_METRICS,
  SIGNIFICANCE_TESTS,
  SOLVER_NAMES,
  searchSpace,
  TABLE_GRID_DEFAULTS,
  TuneRequestSchema,
  trialCount,
} from './tune-request.js';

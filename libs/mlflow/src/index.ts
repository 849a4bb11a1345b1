export type { ProxyLocation } from './artifact-uri.js';
export { resolveArtifactUri } from './artifact-uri.js';
export type { ArtifactFile, ArtifactsApi, ArtifactTarget } from './artifacts.js';
export type { MlflowClient } from './client.js';
export { createMlflowClient } from './client.js';
export {
  isAlreadyExists,
  isNotFound,
  MlflowApiError,
  MlflowError,
  MlflowInvalidArgumentError,
  MlflowOutcomeUnknownError,
  MlflowRegistrationError,
  MlflowUnavailableError,
} from './errors.js';
export type { CreateExperimentInput, Experiment, ExperimentsApi, LifecycleStage } from './experiments.js';
export type { FilterDialect } from './filters.js';
export { attributeEquals, tagEquals } from './filters.js';
export type { HoldOptions } from './hold.js';
export { holdWhileUnavailable } from './hold.js';
export type { IdempotencyTag } from './keyed-create.js';
export type { LogBatchChunk, LogBatchInput, MetricInput } from './log-batch.js';
export { chunkLogBatch, LOG_BATCH_LIMITS } from './log-batch.js';
export type {
  CreateLoggedModelInput,
  LoggedModel,
  LoggedModelStatus,
  LoggedModelsApi,
  SearchLoggedModelsQuery,
} from './logged-models.js';
export type { ModelUri, ResolvedModel } from './model-uri.js';
export { parseModelUri } from './model-uri.js';
export type {
  AwaitRegistrationOptions,
  CreateModelVersionInput,
  ModelVersionsApi,
  SearchModelVersionsQuery,
} from './model-versions.js';
export type { MlflowClientOptions, RetryEvent } from './options.js';
export {
  checkedMlflowOptionsFromEnv,
  MLFLOW_CLIENT_VARIABLES,
  mlflowEnvProblems,
  mlflowOptionsFromEnv,
} from './options.js';
export type { CreateRegisteredModelInput, RegisteredModelsApi } from './registered-models.js';
export type { ModelAlias, ModelVersion, ModelVersionStatus, RegisteredModel } from './registry-types.js';
export type { CallKind, FailureKind, RetryOptions, RetryRule } from './retry-policy.js';
export { DEFAULT_RETRIES, FAILURES, RETRY_POLICY } from './retry-policy.js';
export type { DatasetInputSpec, ModelOutputSpec, RunLoggingApi } from './run-logging.js';
export type { Dataset, DatasetInput, Metric, Run, RunInfo } from './run-types.js';
export { RunStatus } from './run-types.js';
export type { CreateRunInput, RunsApi, RunsPage, RunViewType, SearchRunsQuery, UpdateRunInput } from './runs.js';
export { PARENT_RUN_ID_TAG } from './runs.js';

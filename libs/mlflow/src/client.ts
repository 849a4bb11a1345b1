import { type ArtifactsApi, artifactsApi } from './artifacts.js';
import { type ExperimentsApi, experimentsApi } from './experiments.js';
import { createTransport } from './http.js';
import { type LoggedModelsApi, loggedModelsApi } from './logged-models.js';
import { type ResolvedModel, resolveModelUri } from './model-uri.js';
import { type ModelVersionsApi, modelVersionsApi } from './model-versions.js';
import { type MlflowClientOptions, resolveOptions } from './options.js';
import { type RegisteredModelsApi, registeredModelsApi } from './registered-models.js';
import { type RunLoggingApi, runLoggingApi } from './run-logging.js';
import { type RunsApi, runsApi } from './runs.js';

/** The whole typed MLflow REST client: every call retries as `RETRY_POLICY` says and maps snake_case to camelCase. */
export interface MlflowClient
  extends ExperimentsApi,
    RunsApi,
    RunLoggingApi,
    ArtifactsApi,
    LoggedModelsApi,
    RegisteredModelsApi,
    ModelVersionsApi {
  /** Tracking URI without credentials. */
  readonly trackingUri: string;
  /** Where the files of a `models:/…` or `runs:/…` URI are; null when it points at nothing. */
  resolveModelUri(uri: string): Promise<ResolvedModel | null>;
}

/** Creates a client; validates options, does no I/O until the first call. */
export function createMlflowClient(options: MlflowClientOptions): MlflowClient {
  const resolved = resolveOptions(options);
  const http = createTransport(resolved);
  const runs = runsApi(http);
  const apis = {
    ...experimentsApi(http),
    ...runs,
    ...runLoggingApi(http, runs),
    ...artifactsApi(http, runs),
    ...loggedModelsApi(http),
    ...registeredModelsApi(http),
    ...modelVersionsApi(http),
  };
  return {
    ...apis,
    trackingUri: resolved.baseUrl.href.replace(/\/$/, ''),
    resolveModelUri: (uri) => resolveModelUri(apis, uri),
  };
}

import { attributeEquals, tagEquals } from './filters.js';
import type { Transport } from './http.js';
import { findOrCreate, type IdempotencyTag, tagsWithKey } from './keyed-create.js';
import { type Metric, metricFromWire, type WireMetric } from './run-types.js';
import { int64FromWire, recordFromWire, recordToWire, type WireKeyValue } from './wire.js';

/** LoggedModel states without the wire's `LOGGED_MODEL_` prefix. */
export type LoggedModelStatus = 'PENDING' | 'READY' | 'UPLOAD_FAILED' | 'UNSPECIFIED';

/** An MLflow 3 LoggedModel (wire `info` and `data` flattened). */
export interface LoggedModel {
  /** `m-<32 hex>` */
  readonly modelId: string;
  readonly experimentId: string;
  readonly name: string;
  /** Upload the model files below this, e.g. `mlflow-artifacts:/1/models/m-…/artifacts`. */
  readonly artifactUri: string;
  readonly status: LoggedModelStatus;
  readonly statusMessage?: string | undefined;
  readonly modelType?: string | undefined;
  readonly sourceRunId?: string | undefined;
  readonly creationTimestampMs?: number | undefined;
  readonly lastUpdatedTimestampMs?: number | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, string>>;
  readonly metrics: readonly Metric[];
}

/** Input of `createLoggedModel`. */
export interface CreateLoggedModelInput {
  readonly experimentId: string;
  readonly name?: string;
  readonly sourceRunId?: string;
  readonly modelType?: string;
  readonly params?: Readonly<Record<string, string>>;
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Written as a tag (no single quote in the value); makes the create idempotent: the oldest LoggedModel of the
   * experiment with this tag is returned instead of creating another, also when an attempt's answer was lost.
   */
  readonly idempotencyTag?: IdempotencyTag;
}

/** Query of `searchLoggedModels` (filter e.g. `name = 'model' AND source_run_id = '<run>'`; single quotes only). */
export interface SearchLoggedModelsQuery {
  readonly experimentIds: readonly string[];
  readonly filter?: string;
  readonly orderBy?: readonly { readonly fieldName: string; readonly ascending?: boolean }[];
  /** ≤ 50. */
  readonly maxResults?: number;
  readonly pageToken?: string;
}

/** LoggedModel calls. */
export interface LoggedModelsApi {
  /** Starts PENDING. With `idempotencyTag`: find-or-create, retried safely; without: not re-sent once sent. */
  createLoggedModel(input: CreateLoggedModelInput): Promise<LoggedModel>;
  /** Idempotent: READY once the files are uploaded, UPLOAD_FAILED otherwise. */
  finalizeLoggedModel(modelId: string, status: 'READY' | 'UPLOAD_FAILED'): Promise<LoggedModel>;
  /** Throws MlflowApiError RESOURCE_DOES_NOT_EXIST for an unknown id. */
  getLoggedModel(modelId: string): Promise<LoggedModel>;
  searchLoggedModels(
    query: SearchLoggedModelsQuery,
  ): Promise<{ readonly models: readonly LoggedModel[]; readonly nextPageToken?: string | undefined }>;
  /** The oldest LoggedModel of the experiment with tag `key` = `value` (no single quote in value), or null. */
  findLoggedModelByTag(experimentId: string, key: string, value: string): Promise<LoggedModel | null>;
  /** The oldest LoggedModel named `name` produced by run `runId`, or null. */
  findLoggedModelOfRun(experimentId: string, runId: string, name: string): Promise<LoggedModel | null>;
  /** Idempotent (overwrites). */
  setLoggedModelTags(modelId: string, tags: Readonly<Record<string, string>>): Promise<void>;
  /** Soft delete (out of searches; MLflow's gc removes it for good). */
  deleteLoggedModel(modelId: string): Promise<void>;
}

interface WireLoggedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name?: string;
    artifact_uri?: string;
    status?: string;
    status_message?: string;
    model_type?: string;
    source_run_id?: string;
    creation_timestamp_ms?: number;
    last_updated_timestamp_ms?: number;
    tags?: WireKeyValue[];
  };
  data?: { params?: WireKeyValue[]; metrics?: WireMetric[] };
}

type Answer = { model: WireLoggedModel };

const OLDEST_FIRST = [{ fieldName: 'creation_timestamp', ascending: true }];

/** Builds the LoggedModel calls on a transport. */
export function loggedModelsApi(http: Transport): LoggedModelsApi {
  const path = (modelId: string): string => `logged-models/${encodeURIComponent(modelId)}`;
  const searchLoggedModels: LoggedModelsApi['searchLoggedModels'] = async (query) => {
    const answer = await http.api<{ models?: WireLoggedModel[]; next_page_token?: string }>(
      'read',
      'POST',
      'logged-models/search',
      {
        experiment_ids: query.experimentIds,
        filter: query.filter,
        order_by: query.orderBy?.map((order) => ({ field_name: order.fieldName, ascending: order.ascending ?? true })),
        max_results: query.maxResults,
        page_token: query.pageToken,
      },
    );
    return { models: (answer.models ?? []).map(loggedModelFromWire), nextPageToken: answer.next_page_token };
  };
  const findFirst = async (experimentId: string, filter: string): Promise<LoggedModel | null> => {
    const page = await searchLoggedModels({
      experimentIds: [experimentId],
      filter,
      orderBy: OLDEST_FIRST,
      maxResults: 1,
    });
    return page.models[0] ?? null;
  };
  const findByTag: LoggedModelsApi['findLoggedModelByTag'] = (experimentId, key, value) =>
    findFirst(experimentId, tagEquals(key, value, 'logged-models'));
  return {
    async createLoggedModel(input) {
      const payload = createBody(input);
      const key = input.idempotencyTag;
      if (key === undefined) {
        return loggedModelFromWire((await http.api<Answer>('non-idempotent', 'POST', 'logged-models', payload)).model);
      }
      return findOrCreate(
        http,
        { endpoint: 'logged-models', payload },
        () => findByTag(input.experimentId, key.key, key.value),
        (answer: Answer) => loggedModelFromWire(answer.model),
        key,
      );
    },
    async finalizeLoggedModel(modelId, status) {
      const body = { model_id: modelId, status: `LOGGED_MODEL_${status}` };
      return loggedModelFromWire((await http.api<Answer>('idempotent-write', 'PATCH', path(modelId), body)).model);
    },
    async getLoggedModel(modelId) {
      return loggedModelFromWire((await http.api<Answer>('read', 'GET', path(modelId))).model);
    },
    searchLoggedModels,
    findLoggedModelByTag: findByTag,
    findLoggedModelOfRun: (experimentId, runId, name) =>
      findFirst(
        experimentId,
        `${attributeEquals('source_run_id', runId, 'logged-models')} AND ${attributeEquals('name', name, 'logged-models')}`,
      ),
    async setLoggedModelTags(modelId, tags) {
      await http.api('idempotent-write', 'PATCH', `${path(modelId)}/tags`, { tags: recordToWire(tags) });
    },
    async deleteLoggedModel(modelId) {
      await http.api('idempotent-write', 'DELETE', path(modelId));
    },
  };
}

function createBody(input: CreateLoggedModelInput): object {
  const key = input.idempotencyTag;
  return {
    experiment_id: input.experimentId,
    name: input.name,
    source_run_id: input.sourceRunId,
    model_type: input.modelType,
    params: recordToWire(input.params),
    tags: recordToWire(key === undefined ? input.tags : tagsWithKey(input.tags, key)),
  };
}

function loggedModelFromWire(wire: WireLoggedModel): LoggedModel {
  const { info } = wire;
  return {
    modelId: info.model_id,
    experimentId: info.experiment_id,
    name: info.name ?? '',
    artifactUri: info.artifact_uri ?? '',
    status: statusFromWire(info.status),
    statusMessage: info.status_message,
    modelType: info.model_type,
    sourceRunId: info.source_run_id,
    creationTimestampMs: int64FromWire(info.creation_timestamp_ms),
    lastUpdatedTimestampMs: int64FromWire(info.last_updated_timestamp_ms),
    tags: recordFromWire(info.tags),
    params: recordFromWire(wire.data?.params),
    metrics: (wire.data?.metrics ?? []).map(metricFromWire),
  };
}

function statusFromWire(status: string | undefined): LoggedModelStatus {
  const short = (status ?? '').replace(/^LOGGED_MODEL_/, '');
  return short === 'PENDING' || short === 'READY' || short === 'UPLOAD_FAILED' ? short : 'UNSPECIFIED';
}

import { setTimeout as sleep } from 'node:timers/promises';
import { isNotFound, MlflowApiError, MlflowInvalidArgumentError, MlflowRegistrationError } from './errors.js';
import { attributeEquals, tagEquals } from './filters.js';
import type { Transport } from './http.js';
import { findOrCreate, type IdempotencyTag, tagsWithKey } from './keyed-create.js';
import { type ModelVersion, modelVersionFromWire, type WireModelVersion } from './registry-types.js';
import { recordToWire } from './wire.js';

/** Input of `createModelVersion`. */
export interface CreateModelVersionInput {
  readonly name: string;
  /** Preferably `models:/<model_id>` (the server resolves it to the LoggedModel's files and run). */
  readonly source: string;
  readonly runId?: string;
  /**
   * Sent as `model_id` (MLflow 3.17 requires it for a `models:/m-…` source; filled from such a source when omitted).
   * The SQL registry does not store it, but tags the LoggedModel `mlflow.modelVersions`.
   */
  readonly modelId?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly description?: string;
  readonly runLink?: string;
  /**
   * Written as a tag; makes the create idempotent: the lowest version of the model with this tag is returned (once
   * READY) instead of registering another, also when an attempt's answer was lost.
   */
  readonly idempotencyTag?: IdempotencyTag;
}

/** How long `createModelVersion` waits for PENDING_REGISTRATION to end. */
export interface AwaitRegistrationOptions {
  /** @defaultValue 300000 (as MLflow's Python client) */
  readonly timeoutMs?: number;
  /** @defaultValue 500 */
  readonly pollIntervalMs?: number;
}

/** Query of `searchModelVersions` (filter on `name`, `version_number`, `run_id`, `source_path`, `tags.<k>`). */
export interface SearchModelVersionsQuery {
  readonly filter?: string;
  /** e.g. `['version_number DESC']` */
  readonly orderBy?: readonly string[];
  readonly maxResults?: number;
  readonly pageToken?: string;
}

/** Model version and alias calls. */
export interface ModelVersionsApi {
  /** Resolves once READY. With `idempotencyTag`: find-or-create, retried safely; without: not re-sent once sent. */
  createModelVersion(input: CreateModelVersionInput, wait?: AwaitRegistrationOptions): Promise<ModelVersion>;
  /** Throws MlflowApiError RESOURCE_DOES_NOT_EXIST for an unknown model or version. */
  getModelVersion(name: string, version: string | number): Promise<ModelVersion>;
  searchModelVersions(
    query: SearchModelVersionsQuery,
  ): Promise<{ readonly modelVersions: readonly ModelVersion[]; readonly nextPageToken?: string | undefined }>;
  /** The lowest version of `name` with tag `key` = `value`, or null. */
  findModelVersionByTag(name: string, key: string, value: string): Promise<ModelVersion | null>;
  /** The highest version of `name`, or null when it has none (or does not exist). */
  getLatestModelVersion(name: string): Promise<ModelVersion | null>;
  /** Replaces the version's description; idempotent. */
  updateModelVersionDescription(name: string, version: string | number, description: string): Promise<void>;
  /** Idempotent (overwrites). */
  setModelVersionTag(name: string, version: string | number, key: string, value: string): Promise<void>;
  /** Points (or moves) `alias` at `version`; idempotent. Unknown version → MlflowApiError RESOURCE_DOES_NOT_EXIST. */
  setRegisteredModelAlias(name: string, alias: string, version: string | number): Promise<void>;
  /** The version behind `alias`, or null when the alias or the model does not exist (server: 400 / 404). */
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion | null>;
  /** Idempotent: deleting a missing alias succeeds. */
  deleteRegisteredModelAlias(name: string, alias: string): Promise<void>;
  /** Where the version's files are, e.g. the LoggedModel's `mlflow-artifacts:/…/artifacts`. */
  getModelVersionDownloadUri(name: string, version: string | number): Promise<string>;
}

type Answer = { model_version: WireModelVersion };

const ALIAS_PATTERN = /^[\w-]{1,255}$/;
const LOGGED_MODEL_SOURCE = /^models:\/(m-[0-9a-f]+)$/;

/** Builds the model version calls on a transport. */
export function modelVersionsApi(http: Transport): ModelVersionsApi {
  const getModelVersion: ModelVersionsApi['getModelVersion'] = async (name, version) => {
    const answer = await http.api<Answer>('read', 'GET', 'model-versions/get', {
      name,
      version: String(version),
    });
    return modelVersionFromWire(answer.model_version);
  };
  const searchModelVersions: ModelVersionsApi['searchModelVersions'] = async (query) => {
    const answer = await http.api<{ model_versions?: WireModelVersion[]; next_page_token?: string }>(
      'read',
      'GET',
      'model-versions/search',
      { filter: query.filter, order_by: query.orderBy, max_results: query.maxResults, page_token: query.pageToken },
    );
    return {
      modelVersions: (answer.model_versions ?? []).map(modelVersionFromWire),
      nextPageToken: answer.next_page_token,
    };
  };
  const firstVersion = async (filter: string, direction: 'ASC' | 'DESC'): Promise<ModelVersion | null> => {
    const page = await searchModelVersions({ filter, orderBy: [`version_number ${direction}`], maxResults: 1 });
    return page.modelVersions[0] ?? null;
  };
  const findModelVersionByTag: ModelVersionsApi['findModelVersionByTag'] = (name, key, value) =>
    firstVersion(`${attributeEquals('name', name)} AND ${tagEquals(key, value)}`, 'ASC');
  return {
    async createModelVersion(input, wait = {}) {
      const payload = createBody(input);
      const key = input.idempotencyTag;
      const version =
        key === undefined
          ? modelVersionFromWire(
              (await http.api<Answer>('non-idempotent', 'POST', 'model-versions/create', payload)).model_version,
            )
          : await findOrCreate(
              http,
              { endpoint: 'model-versions/create', payload },
              () => findModelVersionByTag(input.name, key.key, key.value),
              (answer: Answer) => modelVersionFromWire(answer.model_version),
            );
      return awaitReady(version, getModelVersion, wait);
    },
    getModelVersion,
    searchModelVersions,
    findModelVersionByTag,
    getLatestModelVersion: (name) => firstVersion(attributeEquals('name', name), 'DESC'),
    async updateModelVersionDescription(name, version, description) {
      await http.api('idempotent-write', 'PATCH', 'model-versions/update', {
        name,
        version: String(version),
        description,
      });
    },
    async setModelVersionTag(name, version, key, value) {
      await http.api('idempotent-write', 'POST', 'model-versions/set-tag', {
        name,
        version: String(version),
        key,
        value,
      });
    },
    async setRegisteredModelAlias(name, alias, version) {
      await http.api('idempotent-write', 'POST', 'registered-models/alias', {
        name,
        alias: checkAlias(alias),
        version: String(version),
      });
    },
    async getModelVersionByAlias(name, alias) {
      try {
        const query = { name, alias: checkAlias(alias) };
        const answer = await http.api<Answer>('read', 'GET', 'registered-models/alias', query);
        return modelVersionFromWire(answer.model_version);
      } catch (err) {
        if (isNotFound(err) || isUnknownAlias(err)) return null;
        throw err;
      }
    },
    async deleteRegisteredModelAlias(name, alias) {
      await http.api('idempotent-write', 'DELETE', 'registered-models/alias', { name, alias: checkAlias(alias) });
    },
    async getModelVersionDownloadUri(name, version) {
      const query = { name, version: String(version) };
      const answer = await http.api<{ artifact_uri: string }>('read', 'GET', 'model-versions/get-download-uri', query);
      return answer.artifact_uri;
    },
  };
}

function createBody(input: CreateModelVersionInput): object {
  const key = input.idempotencyTag;
  return {
    name: input.name,
    source: input.source,
    run_id: input.runId,
    model_id: input.modelId ?? LOGGED_MODEL_SOURCE.exec(input.source)?.[1],
    tags: recordToWire(key === undefined ? input.tags : tagsWithKey(input.tags, key)),
    description: input.description,
    run_link: input.runLink,
  };
}

/** MLflow answers an unknown alias with 400 INVALID_PARAMETER_VALUE; the alias itself was validated locally first. */
function isUnknownAlias(err: unknown): boolean {
  return err instanceof MlflowApiError && err.errorCode === 'INVALID_PARAMETER_VALUE';
}

function checkAlias(alias: string): string {
  if (!ALIAS_PATTERN.test(alias)) {
    throw new MlflowInvalidArgumentError('alias', `${JSON.stringify(alias)} must match ${ALIAS_PATTERN.source}`);
  }
  return alias;
}

async function awaitReady(
  created: ModelVersion,
  get: ModelVersionsApi['getModelVersion'],
  wait: AwaitRegistrationOptions,
): Promise<ModelVersion> {
  const deadline = Date.now() + (wait.timeoutMs ?? 300_000);
  let current = created;
  while (current.status === 'PENDING_REGISTRATION' && Date.now() < deadline) {
    await sleep(wait.pollIntervalMs ?? 500);
    current = await get(current.name, current.version);
  }
  if (current.status === 'READY') return current;
  const detail =
    current.statusMessage ?? (current.status === 'PENDING_REGISTRATION' ? 'still pending after the wait' : '');
  throw new MlflowRegistrationError({
    modelName: current.name,
    version: current.version,
    status: current.status,
    detail,
  });
}

import { childUri, joinArtifactPath } from './artifact-uri.js';
import type { ArtifactsApi } from './artifacts.js';
import { isNotFound, MlflowInvalidArgumentError } from './errors.js';
import type { LoggedModelsApi } from './logged-models.js';
import type { ModelVersionsApi } from './model-versions.js';
import type { ModelVersion } from './registry-types.js';
import type { RunsApi } from './runs.js';

const LOGGED_MODEL_SOURCE = /^models:\/(m-[0-9a-f]+)$/;

/** A parsed model URI. */
export type ModelUri =
  | { readonly kind: 'alias'; readonly name: string; readonly alias: string }
  | { readonly kind: 'version'; readonly name: string; readonly version: string }
  | { readonly kind: 'latest'; readonly name: string }
  | { readonly kind: 'logged-model'; readonly modelId: string }
  | { readonly kind: 'run'; readonly runId: string; readonly path: string };

/** Where a model URI's files are (download `MLmodel` and the weights from `artifactUri`). */
export interface ResolvedModel {
  readonly artifactUri: string;
  readonly name?: string | undefined;
  readonly version?: string | undefined;
  readonly versionNumber?: number | undefined;
  readonly runId?: string | undefined;
  readonly modelId?: string | undefined;
}

/** Parses `models:/<name>@<alias>`, `models:/<name>/<version|latest>`, `models:/m-<id>`, `runs:/<run>/<path>`. */
export function parseModelUri(uri: string): ModelUri {
  const models = /^models:\/(.+)$/.exec(uri)?.[1];
  if (models !== undefined) return parseModelsUri(uri, models);
  const runs = /^runs:\/\/?([^/]+)\/(.+)$/.exec(uri);
  if (runs?.[1] !== undefined && runs[2] !== undefined) {
    return { kind: 'run', runId: runs[1], path: joinArtifactPath(runs[2]) };
  }
  throw new MlflowInvalidArgumentError('model URI', `${uri} is not a models:/ or runs:/ URI`);
}

function parseModelsUri(uri: string, rest: string): ModelUri {
  const at = rest.lastIndexOf('@');
  if (at > 0) return { kind: 'alias', name: rest.slice(0, at), alias: rest.slice(at + 1) };
  const slash = rest.lastIndexOf('/');
  if (slash > 0) {
    const name = rest.slice(0, slash);
    const version = rest.slice(slash + 1);
    if (/^\d+$/.test(version)) return { kind: 'version', name, version };
    if (version.toLowerCase() === 'latest') return { kind: 'latest', name };
  }
  if (/^m-[0-9a-f]+$/.test(rest)) return { kind: 'logged-model', modelId: rest };
  throw new MlflowInvalidArgumentError('model URI', `${uri} names no alias, version, latest or m-<id>`);
}

/** What the resolver needs from the other API groups. */
export type ModelUriDeps = Pick<
  ModelVersionsApi,
  'getModelVersionByAlias' | 'getModelVersion' | 'getLatestModelVersion' | 'getModelVersionDownloadUri'
> &
  Pick<LoggedModelsApi, 'getLoggedModel' | 'findLoggedModelOfRun'> &
  Pick<RunsApi, 'getRun'> &
  Pick<ArtifactsApi, 'listArtifacts'>;

/** Resolves a model URI to its files; null when the alias, version, model or run does not exist. */
export async function resolveModelUri(deps: ModelUriDeps, uri: string): Promise<ResolvedModel | null> {
  const parsed = parseModelUri(uri);
  try {
    switch (parsed.kind) {
      case 'alias':
        return await fromVersion(deps, await deps.getModelVersionByAlias(parsed.name, parsed.alias));
      case 'latest':
        return await fromVersion(deps, await deps.getLatestModelVersion(parsed.name));
      case 'version':
        return await fromVersion(deps, await deps.getModelVersion(parsed.name, parsed.version));
      case 'logged-model':
        return await innerFiles(deps, uri);
      case 'run':
        return await fromRun(deps, parsed.runId, parsed.path);
    }
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

async function fromVersion(deps: ModelUriDeps, version: ModelVersion | null): Promise<ResolvedModel | null> {
  if (version === null) return null;
  const downloadUri = await deps.getModelVersionDownloadUri(version.name, version.version);
  const files = await innerFiles(deps, downloadUri);
  return {
    artifactUri: files?.artifactUri ?? downloadUri,
    name: version.name,
    version: version.version,
    versionNumber: version.versionNumber,
    runId: version.runId ?? files?.runId,
    modelId: files?.modelId ?? LOGGED_MODEL_SOURCE.exec(version.source)?.[1],
  };
}

/** A version whose source is `runs:/…` gets that URI back as download URI (3.17): resolve it one level further. */
async function innerFiles(deps: ModelUriDeps, downloadUri: string): Promise<ResolvedModel | null> {
  if (!downloadUri.startsWith('runs:/') && !LOGGED_MODEL_SOURCE.test(downloadUri)) return null;
  const inner = parseModelUri(downloadUri);
  if (inner.kind === 'run') return fromRun(deps, inner.runId, inner.path);
  if (inner.kind !== 'logged-model') return null;
  const model = await deps.getLoggedModel(inner.modelId);
  return { artifactUri: model.artifactUri, runId: model.sourceRunId, modelId: model.modelId };
}

/** As MLflow: the run's artifact directory if it holds an MLmodel, else the run's LoggedModel named `path`. */
async function fromRun(deps: ModelUriDeps, runId: string, path: string): Promise<ResolvedModel> {
  const run = await deps.getRun(runId);
  const files = await deps.listArtifacts({ artifactUri: run.info.artifactUri, path });
  const runArtifacts: ResolvedModel = { artifactUri: childUri(run.info.artifactUri, path), runId };
  if (files.some((file) => file.name === 'MLmodel')) return runArtifacts;
  const logged = await deps.findLoggedModelOfRun(run.info.experimentId, runId, path);
  return logged === null ? runArtifacts : { artifactUri: logged.artifactUri, runId, modelId: logged.modelId };
}

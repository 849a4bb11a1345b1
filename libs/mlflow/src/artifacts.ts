import { childUri, fileUrl, joinArtifactPath, type ProxyLocation, resolveArtifactUri } from './artifact-uri.js';
import type { Transport } from './http.js';
import type { RunsApi } from './runs.js';

/** Where an artifact is: a full `mlflow-artifacts:` URI, or a root (artifact URI or run) plus a relative path. */
export type ArtifactTarget =
  | string
  | { readonly artifactUri: string; readonly path?: string }
  | { readonly runId: string; readonly path?: string };

/** One entry of a directory listing. */
export interface ArtifactFile {
  /** Base name. */
  readonly name: string;
  /** Relative to the target's root (its artifactUri or run; the listed URI itself for a string target). */
  readonly path: string;
  readonly isDir: boolean;
  readonly fileSize?: number | undefined;
}

/** Artifact proxy calls (`--serve-artifacts`, the default). */
export interface ArtifactsApi {
  /** PUT of one file (parents are implicit); idempotent (overwrites). Returns the file's artifact URI. */
  uploadArtifact(target: ArtifactTarget, body: Uint8Array | string): Promise<string>;
  /** The file's bytes; MlflowApiError RESOURCE_DOES_NOT_EXIST when missing. */
  downloadArtifact(target: ArtifactTarget): Promise<Uint8Array>;
  /** The direct children of a directory ([] when empty or missing). */
  listArtifacts(target: ArtifactTarget): Promise<ArtifactFile[]>;
}

interface Located {
  readonly location: ProxyLocation;
  readonly uri: string;
  readonly relativePath: string;
}

/** Builds the artifact calls; `runs` resolves run ids to their artifact URI. */
export function artifactsApi(http: Transport, runs: Pick<RunsApi, 'getRun'>): ArtifactsApi {
  const locate = async (target: ArtifactTarget): Promise<Located> => {
    if (typeof target === 'string') {
      return { location: resolveArtifactUri(http.baseUrl, target), uri: target, relativePath: '' };
    }
    const root = 'runId' in target ? (await runs.getRun(target.runId)).info.artifactUri : target.artifactUri;
    const relativePath = joinArtifactPath(target.path ?? '');
    return {
      location: resolveArtifactUri(http.baseUrl, root, relativePath),
      uri: childUri(root, relativePath),
      relativePath,
    };
  };
  return {
    async uploadArtifact(target, body) {
      const { location, uri } = await locate(target);
      const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
      await http.raw({ kind: 'idempotent-write', method: 'PUT', target: fileUrl(location), bytes });
      return uri;
    },
    async downloadArtifact(target) {
      const { location } = await locate(target);
      return http.raw({ kind: 'read', method: 'GET', target: fileUrl(location) });
    },
    async listArtifacts(target) {
      const { location, relativePath } = await locate(target);
      const query = { path: location.path };
      const answer = await http.json<WireListing>({ kind: 'read', method: 'GET', target: location.endpoint, query });
      return (answer.files ?? []).map((file) => ({
        name: file.path,
        path: relativePath === '' ? file.path : `${relativePath}/${file.path}`,
        isDir: file.is_dir ?? false,
        fileSize: file.file_size === undefined ? undefined : Number(file.file_size),
      }));
    },
  };
}

interface WireListing {
  files?: { path: string; is_dir?: boolean; file_size?: number | string }[];
}

import { MlflowInvalidArgumentError } from './errors.js';

const PROXY_PREFIX = '/api/2.0/mlflow-artifacts/artifacts';
const SCHEME = 'mlflow-artifacts:';

/** A proxied artifact location split into the proxy's origin+prefix and the path below the artifact root. */
export interface ProxyLocation {
  /** `<tracking>/api/2.0/mlflow-artifacts/artifacts` (or the host named in the URI). */
  readonly endpoint: string;
  /** Cleaned path below the artifact root, without leading slash; '' for the root. */
  readonly path: string;
}

/** Resolves `mlflow-artifacts:/<P>` (and `mlflow-artifacts://host/<P>`) against the tracking URI; rejects `..`. */
export function resolveArtifactUri(baseUrl: URL, artifactUri: string, subPath = ''): ProxyLocation {
  if (!artifactUri.startsWith(SCHEME)) {
    throw new MlflowInvalidArgumentError(
      'artifactUri',
      `${artifactUri} is not an mlflow-artifacts: URI (only the proxy is supported)`,
    );
  }
  const rest = artifactUri.slice(SCHEME.length);
  const hostMatch = /^\/\/([^/]+)(\/.*)?$/.exec(rest);
  const basePath = baseUrl.pathname.replace(/\/+$/, '');
  const origin = hostMatch?.[1] ? `${baseUrl.protocol}//${hostMatch[1]}` : `${baseUrl.origin}${basePath}`;
  const rootPath = hostMatch ? (hostMatch[2] ?? '') : rest;
  return { endpoint: `${origin}${PROXY_PREFIX}`, path: joinArtifactPath(rootPath, subPath) };
}

/** Joins path pieces with `/`, dropping empty segments and rejecting `.`/`..` and backslashes. */
export function joinArtifactPath(...pieces: string[]): string {
  const segments = pieces.flatMap((piece) => piece.split('/')).filter((segment) => segment !== '');
  for (const segment of segments) {
    if (segment === '.' || segment === '..' || segment.includes('\\')) {
      throw new MlflowInvalidArgumentError('artifact path', `segment ${JSON.stringify(segment)} is not allowed`);
    }
  }
  return segments.join('/');
}

/** `<endpoint>/<encoded path>` for PUT/GET of one file. */
export function fileUrl(location: ProxyLocation): string {
  if (location.path === '')
    throw new MlflowInvalidArgumentError('artifact path', 'names the artifact root, not a file');
  return `${location.endpoint}/${location.path.split('/').map(encodeURIComponent).join('/')}`;
}

/** `<artifactUri>/<path>` as a URI string. */
export function childUri(artifactUri: string, path: string): string {
  const cleaned = joinArtifactPath(path);
  return cleaned === '' ? artifactUri : `${artifactUri.replace(/\/+$/, '')}/${cleaned}`;
}

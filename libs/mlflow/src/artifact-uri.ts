import { MlflowInvalidArgumentError } from './errors.js';

const PROXY_PREFIX = '/api/2.0/mlflow-artifacts/artifacts';
const SCHEME = 'mlflow-artifacts:';

/** A proxied artifact location split into the proxy's origin+prefix and the path below the artifact root. */
export interface ProxyLocation {
  /** `<tracking>/api/2.0/mlflow-artifacts/artifacts`: always on the tracking server. */
  readonly endpoint: string;
  /** Cleaned path below the artifact root, without leading slash; '' for the root. */
  readonly path: string;
}

/**
 * Resolves `mlflow-artifacts:/<P>` against the tracking URI; `mlflow-artifacts://<host>/<P>` only when the host is the
 * tracking server's own (else the client's credentials would go there: refused); rejects `..`.
 */
export function resolveArtifactUri(baseUrl: URL, artifactUri: string, subPath = ''): ProxyLocation {
  if (!artifactUri.startsWith(SCHEME)) {
    throw new MlflowInvalidArgumentError(
      'artifactUri',
      `${artifactUri} is not an mlflow-artifacts: URI (only the proxy is supported)`,
    );
  }
  const rest = artifactUri.slice(SCHEME.length);
  const hostMatch = /^\/\/([^/]+)(\/.*)?$/.exec(rest);
  if (hostMatch?.[1] !== undefined) refuseOtherOrigin(baseUrl, artifactUri, hostMatch[1]);
  const basePath = baseUrl.pathname.replace(/\/+$/, '');
  const rootPath = hostMatch ? (hostMatch[2] ?? '') : rest;
  return { endpoint: `${baseUrl.origin}${basePath}${PROXY_PREFIX}`, path: joinArtifactPath(rootPath, subPath) };
}

/** Throws unless `host` (as in `mlflow-artifacts://<host>/`, on the tracking URI's scheme) is the tracking origin. */
function refuseOtherOrigin(baseUrl: URL, artifactUri: string, host: string): void {
  const origin = URL.parse(`${baseUrl.protocol}//${host}`)?.origin;
  if (origin === baseUrl.origin) return;
  throw new MlflowInvalidArgumentError(
    'artifactUri',
    `${artifactUri} names ${origin ?? host}, not the tracking server ${baseUrl.origin}: artifacts go only through ` +
      "the tracking server's proxy, so that the MLflow credentials go nowhere else (give MLFLOW_TRACKING_URI that " +
      'host, or the server an artifact root without one: mlflow-artifacts:/)',
  );
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

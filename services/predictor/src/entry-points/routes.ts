/** Who may call a route when bearer tokens are configured. */
export type Access = 'public' | 'health' | 'metrics' | 'protected';

/** The scoring protocols, served on the fast path. */
export type ScoringKind = 'predict' | 'invocations' | 'infer';

/** What a request addresses: its endpoint template (the metrics label), access class and, for scoring, the kind. */
export interface RouteMatch {
  readonly endpoint: string;
  readonly access: Access;
  readonly scoring?: ScoringKind;
  readonly params: { readonly name?: string | undefined; readonly version?: string | undefined };
  /** Set when the path exists but not for this method: the methods it has (answer 405). */
  readonly allowed?: readonly string[];
}

interface RouteSpec {
  readonly method: 'GET' | 'POST';
  readonly access: Access;
  readonly scoring?: ScoringKind;
}

const STATIC: Readonly<Record<string, RouteSpec>> = {
  '/predict': { method: 'POST', access: 'protected', scoring: 'predict' },
  '/invocations': { method: 'POST', access: 'protected', scoring: 'invocations' },
  '/model': { method: 'GET', access: 'protected' },
  '/health': { method: 'GET', access: 'health' },
  '/ready': { method: 'GET', access: 'health' },
  '/ping': { method: 'GET', access: 'health' },
  '/version': { method: 'GET', access: 'health' },
  '/v2': { method: 'GET', access: 'health' },
  '/v2/health/live': { method: 'GET', access: 'health' },
  '/v2/health/ready': { method: 'GET', access: 'health' },
  '/metrics': { method: 'GET', access: 'metrics' },
  '/openapi.json': { method: 'GET', access: 'public' },
  '/docs': { method: 'GET', access: 'public' },
};

const MODEL_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/;
const UNMATCHED: RouteMatch = { endpoint: 'unmatched', access: 'public', params: {} };

const STATIC_MATCHES = new Map<string, RouteMatch>();

/** Classifies a request by method and path (query excluded); unknown paths go to the 404 handler. */
export function matchRoute(method: string, path: string): RouteMatch {
  const fixed = STATIC[path];
  if (fixed !== undefined) {
    // Static routes are matched once per method and reused: no allocation on the hot path.
    const key = `${method} ${path}`;
    let match = STATIC_MATCHES.get(key);
    if (match === undefined) {
      match = withMethod(path, fixed, method, {});
      if (STATIC_MATCHES.size < 100) STATIC_MATCHES.set(key, match);
    }
    return match;
  }
  const model = MODEL_PATH.exec(path);
  if (model === null) return UNMATCHED;
  const [, name, version, suffix] = model;
  const endpoint = `/v2/models/{name}${version === undefined ? '' : '/versions/{version}'}${suffix ?? ''}`;
  const spec: RouteSpec =
    suffix === '/infer'
      ? { method: 'POST', access: 'protected', scoring: 'infer' }
      : { method: 'GET', access: suffix === '/ready' ? 'health' : 'protected' };
  return withMethod(endpoint, spec, method, { name: decode(name), version: decode(version) });
}

function withMethod(endpoint: string, spec: RouteSpec, method: string, params: RouteMatch['params']): RouteMatch {
  const ok = method === spec.method || (spec.method === 'GET' && method === 'HEAD');
  const base = { endpoint, access: spec.access, params };
  if (!ok) return { ...base, allowed: spec.method === 'GET' ? ['GET', 'HEAD'] : [spec.method] };
  return spec.scoring === undefined ? base : { ...base, scoring: spec.scoring };
}

function decode(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

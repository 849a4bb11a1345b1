import {
  type Access,
  type ForwardKind,
  type PathParam,
  ROUTES,
  type RouteSpec,
  type ScoringKind,
  templateParams,
} from './route-table.js';

/** What a request addresses: its endpoint template (the metrics label), access class and, for scoring, the kind. */
export interface RouteMatch {
  readonly endpoint: string;
  readonly access: Access;
  readonly scoring?: ScoringKind;
  /** Set for a route whose body is forwarded over NATS. */
  readonly forward?: ForwardKind;
  readonly params: { readonly [P in PathParam]?: string | undefined };
  /** Set when the path exists but not for this method: the methods it has (answer 405). */
  readonly allowed?: readonly string[];
  /** Set for a scoring path, whatever the method: its protocol's error shape answers the refusals (405, 403, 401). */
  readonly errorShape?: ScoringKind;
  /** Set when no route has the path (answer 404 here: nothing the table did not classify reaches a handler). */
  readonly unmatched?: true;
}

/** A path template of the table compiled to a pattern: each `{param}` is one non-empty segment. */
interface Template {
  readonly spec: RouteSpec;
  /** The literal start of the path (before the first param), checked before the pattern. */
  readonly prefix: string;
  readonly pattern: RegExp;
  /** The pattern's capture group of each param the template has (0 when it has none). */
  readonly groups: Readonly<Record<PathParam, number>>;
}

const STATIC: ReadonlyMap<string, RouteSpec> = new Map(
  ROUTES.filter((route) => !route.path.includes('{')).map((route) => [route.path, route]),
);
const TEMPLATES: readonly Template[] = ROUTES.filter((route) => route.path.includes('{')).map(compile);
/** What a request to no route (or to a target that is not a path) is classified as. */
export const UNMATCHED: RouteMatch = { endpoint: 'unmatched', access: 'public', params: {}, unmatched: true };

const STATIC_MATCHES = new Map<string, RouteMatch>();

/** Classifies a request by method and path (query excluded); an unknown path is `unmatched` (a 404). */
export function matchRoute(method: string, path: string): RouteMatch {
  const fixed = STATIC.get(path);
  if (fixed !== undefined) {
    // Static routes are matched once per method and reused: no allocation on the hot path.
    const key = `${method} ${path}`;
    let match = STATIC_MATCHES.get(key);
    if (match === undefined) {
      match = withMethod(fixed, method, {});
      if (STATIC_MATCHES.size < 100) STATIC_MATCHES.set(key, match);
    }
    return match;
  }
  for (const template of TEMPLATES) {
    if (!path.startsWith(template.prefix)) continue;
    const found = template.pattern.exec(path);
    if (found === null) continue;
    const { name, version, asset } = template.groups;
    const params = { name: param(found, name), version: param(found, version), asset: param(found, asset) };
    return withMethod(template.spec, method, params);
  }
  return UNMATCHED;
}

function compile(spec: RouteSpec): Template {
  const literals = spec.path.split(/\{\w+\}/);
  const pattern = new RegExp(
    `^${literals.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('([^/]+)')}$`,
  );
  const params = templateParams(spec.path);
  const groups = {
    name: params.indexOf('name') + 1,
    version: params.indexOf('version') + 1,
    asset: params.indexOf('asset') + 1,
  };
  return { spec, prefix: literals[0] ?? '', pattern, groups };
}

function withMethod(spec: RouteSpec, method: string, params: RouteMatch['params']): RouteMatch {
  const ok = method === spec.method || (spec.method === 'GET' && method === 'HEAD');
  const shape = 'scoring' in spec ? { errorShape: spec.scoring } : {};
  const base = { endpoint: spec.path, access: spec.access, params, ...shape };
  if (!ok) return { ...base, allowed: spec.method === 'GET' ? ['GET', 'HEAD'] : [spec.method] };
  if ('scoring' in spec) return { ...base, scoring: spec.scoring };
  return 'forward' in spec ? { ...base, forward: spec.forward } : base;
}

function param(found: RegExpExecArray, group: number): string | undefined {
  if (group === 0) return undefined;
  const segment = found[group] as string;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The request target as the path (and query) the routes and express both see: origin form as it came, the absolute
 * form (`http://host/path`, RFC 9112 3.2.2) cut to its path; undefined for a target with a fragment or of any other
 * form (a 400). Express would otherwise serve `/model#x` or `http://h/model` as `/model`, past a check that did not
 * recognise them.
 */
export function originForm(target: string): string | undefined {
  if (target.includes('#')) return undefined;
  if (target.charCodeAt(0) === 47 /* / */) return target;
  if (!/^https?:\/\//i.test(target)) return undefined;
  try {
    const url = new URL(target);
    return `${url.pathname}${url.search}`;
  } catch {
    return undefined;
  }
}

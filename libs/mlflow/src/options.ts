import type { Dispatcher } from 'undici';
import { MlflowInvalidArgumentError } from './errors.js';
import { DEFAULT_RETRIES, type RetryOptions } from './retry-policy.js';

/** What a retry is about to wait for; handed to `onRetry` so services can log it (no headers, no credentials). */
export interface RetryEvent {
  readonly method: string;
  readonly path: string;
  /** The attempt that just failed, 1-based. */
  readonly attempt: number;
  readonly delayMs: number;
  /** `HTTP 503`, `ECONNREFUSED`, ... */
  readonly reason: string;
}

/** Options of {@link createMlflowClient}; services fill them from their config (see {@link mlflowOptionsFromEnv}). */
export interface MlflowClientOptions {
  /** `http(s)://host:port[/prefix]`; credentials in the URL are used as basic auth and removed from it. */
  readonly trackingUri: string;
  readonly username?: string;
  readonly password?: string;
  /** Bearer token; mutually exclusive with username/password. */
  readonly token?: string;
  /** Per request, for the response headers and between body chunks. @defaultValue 30000 */
  readonly timeoutMs?: number;
  /** Budget and backoff of the retry policy (see `RETRY_POLICY`). */
  readonly retries?: Partial<RetryOptions>;
  /** @defaultValue `@mlops/mlflow` */
  readonly userAgent?: string;
  /** undici dispatcher (MockAgent in unit tests); @defaultValue undici's global dispatcher */
  readonly dispatcher?: Dispatcher;
  /** Called before each retry wait. */
  readonly onRetry?: (event: RetryEvent) => void;
}

/** The options with defaults applied, the auth header built and the base URL cleaned. */
export interface ResolvedOptions {
  readonly baseUrl: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly retries: RetryOptions;
  readonly dispatcher: Dispatcher | undefined;
  readonly onRetry: ((event: RetryEvent) => void) | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The MLflow client variables {@link mlflowOptionsFromEnv} reads besides MLFLOW_TRACKING_URI, with their meaning. */
export const MLFLOW_CLIENT_VARIABLES: readonly { readonly name: string; readonly description: string }[] = [
  { name: 'MLFLOW_TRACKING_USERNAME', description: 'Basic-auth user name for the tracking server (with the password)' },
  { name: 'MLFLOW_TRACKING_PASSWORD', description: 'Basic-auth password for the tracking server (with the user name)' },
  {
    name: 'MLFLOW_TRACKING_TOKEN',
    description: 'Bearer token for the tracking server; excludes user name and password',
  },
];

/** Maps exactly MLFLOW_TRACKING_URI / _USERNAME / _PASSWORD / _TOKEN (empty values ignored) for a service's loadConfig. */
export function mlflowOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): MlflowClientOptions {
  const trackingUri = nonEmpty(env.MLFLOW_TRACKING_URI);
  if (trackingUri === undefined) throw new MlflowInvalidArgumentError('MLFLOW_TRACKING_URI', 'is not set');
  const username = nonEmpty(env.MLFLOW_TRACKING_USERNAME);
  const password = nonEmpty(env.MLFLOW_TRACKING_PASSWORD);
  const token = nonEmpty(env.MLFLOW_TRACKING_TOKEN);
  return {
    trackingUri,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(token === undefined ? {} : { token }),
  };
}

/**
 * The client options of MLflow's own variables, or what is wrong with them (token beside user name and password,
 * half a user name and password, an unusable URI), said by variable: what a service's loadConfig refuses to start on.
 */
export function checkedMlflowOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): { readonly options: MlflowClientOptions } | { readonly problems: string[] } {
  try {
    const options = mlflowOptionsFromEnv(env);
    resolveOptions(options);
    return { options };
  } catch (err) {
    if (!(err instanceof MlflowInvalidArgumentError)) throw err;
    const variables =
      err.argument === 'credentials'
        ? 'MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD, MLFLOW_TRACKING_TOKEN'
        : 'MLFLOW_TRACKING_URI';
    return { problems: [`${variables}: ${err.message}`] };
  }
}

/**
 * What is wrong with MLflow's own variables (none when they make a client), `defaultUri` standing for an unset
 * MLFLOW_TRACKING_URI: a service lists these with the rest of its configuration's problems.
 */
export function mlflowEnvProblems(
  env: Readonly<Record<string, string | undefined>>,
  defaultUri: string,
): readonly string[] {
  const checked = checkedMlflowOptionsFromEnv({ ...env, MLFLOW_TRACKING_URI: env.MLFLOW_TRACKING_URI ?? defaultUri });
  return 'problems' in checked ? checked.problems : [];
}

/** Validates the options and applies defaults; throws {@link MlflowInvalidArgumentError} on bad combinations. */
export function resolveOptions(options: MlflowClientOptions): ResolvedOptions {
  const baseUrl = parseTrackingUri(options.trackingUri);
  const username = options.username ?? (decodeURIComponent(baseUrl.username) || undefined);
  const password = options.password ?? (decodeURIComponent(baseUrl.password) || undefined);
  baseUrl.username = '';
  baseUrl.password = '';
  const headers: Record<string, string> = { 'user-agent': options.userAgent ?? '@mlops/mlflow' };
  const authorization = authorizationHeader(username, password, options.token);
  if (authorization !== undefined) headers.authorization = authorization;
  return {
    baseUrl,
    headers,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retries: resolveRetries(options.retries),
    dispatcher: options.dispatcher,
    onRetry: options.onRetry,
  };
}

function parseTrackingUri(trackingUri: string): URL {
  let url: URL;
  try {
    url = new URL(trackingUri);
  } catch {
    throw new MlflowInvalidArgumentError('trackingUri', 'is not an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MlflowInvalidArgumentError('trackingUri', `must be http(s), not ${url.protocol}`);
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  url.search = '';
  url.hash = '';
  return url;
}

function authorizationHeader(username?: string, password?: string, token?: string): string | undefined {
  const hasBasic = username !== undefined || password !== undefined;
  if (hasBasic && token !== undefined) {
    throw new MlflowInvalidArgumentError('credentials', 'give either username/password or token, not both');
  }
  if (token !== undefined) return `Bearer ${token}`;
  if (!hasBasic) return undefined;
  if (username === undefined || password === undefined) {
    throw new MlflowInvalidArgumentError('credentials', 'basic auth needs both username and password');
  }
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

function resolveRetries(retries: Partial<RetryOptions> | undefined): RetryOptions {
  const resolved = { ...DEFAULT_RETRIES, ...retries };
  if (!Number.isInteger(resolved.attempts) || resolved.attempts < 1) {
    throw new MlflowInvalidArgumentError('retries.attempts', 'must be an integer >= 1');
  }
  return resolved;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

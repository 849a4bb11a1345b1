import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { MlflowApiError, MlflowUnavailableError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { backoffDelayMs, connectionErrorCode, isRetryableStatus, parseRetryAfterMs } from './retry.js';

/** HTTP methods the MLflow REST API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Query values; arrays become repeated keys, undefined entries are dropped. */
export type Query = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

/** One HTTP exchange with the tracking server, retried as configured. */
export interface RawRequest {
  readonly method: HttpMethod;
  /** Absolute URL or a path below the tracking URI (e.g. `/api/2.0/mlflow/runs/get`). */
  readonly target: string;
  readonly query?: Query;
  readonly json?: unknown;
  readonly bytes?: Uint8Array;
}

/** The retrying HTTP layer every API group is built on. */
export interface Transport {
  /** Tracking URI without credentials and trailing slash. */
  readonly baseUrl: URL;
  /** `POST|PATCH|DELETE` send `payload` as JSON; `GET` sends it as query. Parses the JSON answer (`{}` when empty). */
  api<T>(method: HttpMethod, endpoint: string, payload?: Query | object): Promise<T>;
  /** Any request; resolves with the raw body of a 2xx answer. */
  raw(req: RawRequest): Promise<Uint8Array>;
  /** Any request; parses the JSON answer (`{}` when empty). */
  json<T>(req: RawRequest): Promise<T>;
}

type Attempt = { readonly ok: true; readonly body: Uint8Array } | { readonly ok: false; readonly failure: Failure };
interface Exchange {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}
interface Failure {
  readonly error: unknown;
  readonly reason: string;
  readonly retryAfterMs?: number | undefined;
}

const MLFLOW_API_PREFIX = '/api/2.0/mlflow/';
const MAX_SERVER_MESSAGE = 1000;

/** Builds the transport from resolved options; no I/O until the first call. */
export function createTransport(options: ResolvedOptions): Transport {
  const raw = (req: RawRequest): Promise<Uint8Array> => send(options, req);
  const json = async <T>(req: RawRequest): Promise<T> => parseJson<T>(await raw(req), req.method, req.target);
  return {
    baseUrl: options.baseUrl,
    raw,
    json,
    api<T>(method: HttpMethod, endpoint: string, payload?: Query | object): Promise<T> {
      const target = `${MLFLOW_API_PREFIX}${endpoint}`;
      return json<T>(
        method === 'GET'
          ? { method, target, query: (payload ?? {}) as Query }
          : { method, target, json: payload ?? {} },
      );
    },
  };
}

async function send(options: ResolvedOptions, req: RawRequest): Promise<Uint8Array> {
  const url = buildUrl(options.baseUrl, req.target, req.query);
  const { attempts } = options.retries;
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(options, req, url);
    if (outcome.ok) return outcome.body;
    const { failure } = outcome;
    if (attempt >= attempts) {
      throw new MlflowUnavailableError({ method: req.method, path: url.pathname, attempts }, { cause: failure.error });
    }
    const delayMs = failure.retryAfterMs ?? backoffDelayMs(attempt, options.retries);
    options.onRetry?.({ method: req.method, path: url.pathname, attempt, delayMs, reason: failure.reason });
    await sleep(delayMs);
  }
}

async function attemptOnce(options: ResolvedOptions, req: RawRequest, url: URL): Promise<Attempt> {
  let response: Exchange;
  try {
    response = await exchange(url, requestOptions(options, req));
  } catch (err) {
    const code = connectionErrorCode(err);
    if (code === undefined) throw err;
    return { ok: false, failure: { error: err, reason: code } };
  }
  const { statusCode, body } = response;
  if (statusCode < 300) return { ok: true, body };
  const error = apiError(statusCode, body, req.method, url.pathname);
  if (!isRetryableStatus(statusCode)) throw error;
  const retryAfterMs = parseRetryAfterMs(response.headers['retry-after']);
  return { ok: false, failure: { error, reason: `HTTP ${statusCode}`, retryAfterMs } };
}

/** Sends and reads the whole body, so a reset or timeout while reading counts as a connection error too. */
async function exchange(url: URL, options: RequestOptions): Promise<Exchange> {
  const response = await request(url, options);
  return {
    statusCode: response.statusCode,
    headers: response.headers,
    body: new Uint8Array(await response.body.arrayBuffer()),
  };
}

type RequestOptions = NonNullable<Parameters<typeof request>[1]>;

function requestOptions(options: ResolvedOptions, req: RawRequest): RequestOptions {
  const headers: Record<string, string> = { ...options.headers, accept: 'application/json' };
  let body: string | Uint8Array | undefined;
  if (req.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(req.json);
  } else if (req.bytes !== undefined) {
    headers['content-type'] = 'application/octet-stream';
    body = req.bytes;
  }
  return {
    method: req.method,
    headers,
    body: body ?? null,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
  };
}

function buildUrl(baseUrl: URL, target: string, query: Query | undefined): URL {
  const basePath = baseUrl.pathname.replace(/\/+$/, '');
  const url = /^https?:\/\//.test(target) ? new URL(target) : new URL(`${basePath}${target}`, baseUrl);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(item));
  }
  return url;
}

function apiError(status: number, body: Uint8Array, method: string, path: string): MlflowApiError {
  const text = new TextDecoder().decode(body);
  const parsed = tryParseObject(text);
  const errorCode = typeof parsed?.error_code === 'string' ? parsed.error_code : `HTTP_${status}`;
  const message = typeof parsed?.message === 'string' ? parsed.message : (detailOf(parsed) ?? text.trim());
  return new MlflowApiError({ status, errorCode, serverMessage: message.slice(0, MAX_SERVER_MESSAGE), method, path });
}

function detailOf(parsed: Record<string, unknown> | undefined): string | undefined {
  const detail = parsed?.detail;
  if (detail === undefined) return undefined;
  return typeof detail === 'string' ? detail : JSON.stringify(detail);
}

function tryParseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function parseJson<T>(body: Uint8Array, method: string, path: string): T {
  if (body.length === 0) return {} as T;
  const text = new TextDecoder().decode(body);
  try {
    return JSON.parse(text) as T;
  } catch {
    const serverMessage = `answer is not JSON: ${text.slice(0, 200)}`;
    throw new MlflowApiError({ status: 200, errorCode: 'INVALID_RESPONSE', serverMessage, method, path });
  }
}

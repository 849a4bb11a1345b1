import { request } from 'undici';
import { MlflowApiError, MlflowInvalidArgumentError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { failureOfError, failureOfStatus, parseRetryAfterMs } from './retry.js';
import type { CallKind, FailureKind } from './retry-policy.js';

/** HTTP methods the MLflow REST API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Query values; arrays become repeated keys, undefined entries are dropped. */
export type Query = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

/** One HTTP exchange with the tracking server, retried as its `kind`'s row of the retry policy says. */
export interface RawRequest {
  readonly kind: CallKind;
  readonly method: HttpMethod;
  /** Absolute URL or a path below the tracking URI (e.g. `/api/2.0/mlflow/runs/get`). */
  readonly target: string;
  readonly query?: Query;
  readonly json?: unknown;
  readonly bytes?: Uint8Array;
}

/** A failed attempt worth another one, as the retry policy sorts it. */
export interface Failure {
  readonly kind: FailureKind;
  readonly error: unknown;
  /** `HTTP 503`, `ECONNRESET`, … */
  readonly reason: string;
  readonly retryAfterMs?: number | undefined;
}

/** The 2xx body of an attempt, or why it failed; answers that are never retried are thrown as MlflowApiError. */
export type Attempt = { readonly body: Uint8Array } | { readonly failure: Failure };

interface Exchange {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

const MAX_SERVER_MESSAGE = 1000;

/** Sends the request once; a failure the policy knows is returned, any other error or answer is thrown. */
export async function attemptOnce(options: ResolvedOptions, req: RawRequest, url: URL): Promise<Attempt> {
  let response: Exchange;
  try {
    response = await exchange(url, requestOptions(options, req));
  } catch (err) {
    const failure = failureOfError(err);
    if (failure === undefined) throw err;
    return { failure: { kind: failure.kind, error: err, reason: failure.code } };
  }
  const { statusCode, body } = response;
  if (statusCode < 300) return { body };
  const error = apiError(statusCode, body, req.method, url.pathname);
  const kind = failureOfStatus(statusCode);
  if (kind === undefined) throw error;
  const retryAfterMs = parseRetryAfterMs(response.headers['retry-after']);
  return { failure: { kind, error, reason: `HTTP ${statusCode}`, retryAfterMs } };
}

/**
 * The request URL: `target` below the tracking URI (or absolute) plus the query; refuses any other origin than the
 * tracking URI's, since every request carries the client's credentials.
 */
export function buildUrl(baseUrl: URL, target: string, query: Query | undefined): URL {
  const basePath = baseUrl.pathname.replace(/\/+$/, '');
  const url = /^https?:\/\//.test(target) ? new URL(target) : new URL(`${basePath}${target}`, baseUrl);
  if (url.origin !== baseUrl.origin) {
    throw new MlflowInvalidArgumentError('request URL', `${url.origin} is not the tracking server ${baseUrl.origin}`);
  }
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(item));
  }
  return url;
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

import { fetchRefusesPort } from '@mlops/local-stack';
import { UsageError } from './errors.js';

/** Longer than any scoring request takes; a predictor that accepts and never answers must not hang the command. */
const ANSWER_TIMEOUT_MS = 60_000;
const DEFAULT_URL = 'http://127.0.0.1:8080';

/**
 * The predictor's base URL from --url (default the local stack's), without a trailing slash; refused with the reason
 * (exit 2) unless it is an absolute http(s) URL without credentials: a bearer token goes in PREDICTOR_TOKEN.
 */
export function predictorBase(url: string | undefined): string {
  const text = url ?? DEFAULT_URL;
  const parsed = httpUrl(text, '--url', DEFAULT_URL);
  if (parsed.username !== '' || parsed.password !== '')
    throw new UsageError('--url carries credentials: give the predictor a bearer token in PREDICTOR_TOKEN instead');
  if (parsed.search !== '' || parsed.hash !== '') throw new UsageError('--url must not carry a query or fragment');
  return text.replace(/\/+$/, '');
}

/**
 * `text` parsed when it is an absolute http(s) URL; otherwise a usage error (exit 2) naming `from` (the flag or
 * variable that gave it), with `example` of one: `--mlflow "garbage" is not a URL (e.g. http://127.0.0.1:5000)`.
 */
export function httpUrl(text: string, from: string, example: string): URL {
  const parsed = URL.parse(text);
  if (parsed === null) throw new UsageError(`${from} "${withoutCredentials(text)}" is not a URL (e.g. ${example})`);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UsageError(`${from} must be http:// or https://, not ${parsed.protocol}//`);
  return parsed;
}

/**
 * Calls the predictor (with `Authorization: Bearer $PREDICTOR_TOKEN` when set); a refused connection or no answer in
 * 60 s is one line saying the predictor may not be running (exit 1), not a stack trace or a hang.
 */
export async function callPredictor(
  url: string,
  env: Readonly<Record<string, string | undefined>>,
  body?: unknown,
  timeoutMs = ANSWER_TIMEOUT_MS,
): Promise<Response> {
  const token = env.PREDICTOR_TOKEN?.trim();
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const init =
    body === undefined
      ? { headers }
      : {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        };
  refuseFetchBadPort(url);
  return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }).catch((err: unknown) => {
    if ((err as Error).name === 'TimeoutError')
      throw new UsageError(`no answer from ${url} within ${timeoutMs / 1000} s: is the predictor running?`, 1);
    throw new UsageError(`cannot reach ${url} (${(err as Error).cause ?? err}): is the predictor running?`, 1);
  });
}

/**
 * A port fetch refuses (a "bad port" such as 6000 or 10080, refused by browsers too) is said as such, not as a
 * predictor that may not run (fetch's own error is a bare "bad port"); exit 1, as a failed call.
 */
function refuseFetchBadPort(url: string): void {
  const port = URL.canParse(url) ? new URL(url).port : ''; // an address that is none is fetch's to refuse
  if (port === '' || !fetchRefusesPort(Number(port))) return;
  throw new UsageError(
    `cannot reach ${url}: port ${port} is one fetch and browsers refuse to connect to (serve the predictor on another)`,
    1,
  );
}

/** An address as an error may show it: user name, password or token before an @ removed. */
function withoutCredentials(text: string): string {
  return text.replace(/^([a-z][a-z\d+.-]*:\/\/)?[^/]*@/i, '$1');
}

/** The answer's text: a predictor that sent its headers and stalls on the body is one line too, not a stack trace. */
export async function answerText(response: Response, url: string): Promise<string> {
  try {
    return await response.text();
  } catch (err) {
    throw new UsageError(`${url} stopped answering mid-body (${(err as Error).name}): is the predictor running?`, 1, {
      cause: err,
    });
  }
}

import { UsageError } from './errors.js';

/** Calls the predictor; a refused connection is one line saying it may not be running (exit 1), not a stack trace. */
export async function callPredictor(url: string, body?: unknown): Promise<Response> {
  const init =
    body === undefined
      ? {}
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  return await fetch(url, init).catch((err: unknown) => {
    throw new UsageError(`cannot reach ${url} (${(err as Error).cause ?? err}): is the predictor running?`, 1);
  });
}

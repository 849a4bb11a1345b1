import type { Bus } from '@mlops/bus';
import { MlflowApiError, MlflowUnavailableError } from '@mlops/mlflow';
import { createLogger } from '@mlops/service-kit';
import { describe, expect, it } from 'vitest';
import { NoTrainingRunError } from '../src/adapters/mlflow-monitoring-runs.js';
import { consumeMlflowWindows } from '../src/entry-points/mlflow-windows.js';
import { columnsWindow } from './support/drift-window.js';

// Which failures of a window's MLflow write skip it and which send it back (what NATS then does is the bus's, and the
// real MLflow cases are in mlflow-windows.integration.test.ts).

type Handler = (event: { data: unknown }, message: { signal: AbortSignal }) => Promise<void>;

const logger = createLogger({ service: 'mlflow-window-refusals-test', level: 'silent' });
const apiError = (status: number, errorCode: string) =>
  new MlflowApiError({
    status,
    errorCode,
    serverMessage: 'no',
    method: 'POST',
    path: '/api/2.0/mlflow/runs/log-batch',
  });

/** The consumer's handler for a window whose write fails with `err` (and the stop signal already given). */
async function handleFailing(err: Error): Promise<unknown> {
  let handler: Handler | undefined;
  const bus = {
    consumeEvents: async (_durable: string, handlers: Record<string, Handler>) => {
      handler = Object.values(handlers)[0];
      return { stop: async () => undefined };
    },
  } as unknown as Bus;
  await consumeMlflowWindows(bus, { logWindow: async () => Promise.reject(err) }, logger);
  const stopped = AbortSignal.abort();
  return await handler!({ data: columnsWindow(['x0']) }, { signal: stopped }).then(
    () => 'skipped',
    (thrown: unknown) => (thrown === err ? 'sent back' : thrown),
  );
}

describe('a window MLflow does not take', () => {
  it('when MLflow refuses it for good (version gone, invalid, no training run), then it is skipped', async () => {
    expect(await handleFailing(apiError(404, 'RESOURCE_DOES_NOT_EXIST'))).toBe('skipped');
    expect(await handleFailing(apiError(400, 'INVALID_PARAMETER_VALUE'))).toBe('skipped');
    expect(await handleFailing(apiError(400, 'INVALID_STATE'))).toBe('skipped');
    expect(await handleFailing(new NoTrainingRunError('m', '1'))).toBe('skipped');
  });

  it('when the failure may pass or an operator can mend it, then it is sent back (retried, then dead-lettered)', async () => {
    expect(await handleFailing(apiError(500, 'INTERNAL_ERROR'))).toBe('sent back');
    expect(await handleFailing(apiError(401, 'UNAUTHENTICATED'))).toBe('sent back');
    expect(await handleFailing(apiError(200, 'INVALID_RESPONSE'))).toBe('sent back');
    expect(await handleFailing(new Error('getaddrinfo ENOTFOUND mlflow'))).toBe('sent back');
    const away = new MlflowUnavailableError({ method: 'POST', path: '/x', attempts: 5 }, { cause: 'down' });
    expect(await handleFailing(away)).toBe('sent back');
  });
});

import { randomUUID } from 'node:crypto';
import { afterEach, inject } from 'vitest';
import { createMlflowClient, type MlflowClient } from '../src/index.js';

/** A client on the run's real MLflow server. */
export function testClient(): MlflowClient {
  return createMlflowClient({ trackingUri: inject('mlflowTrackingUri'), retries: { attempts: 3, baseDelayMs: 50 } });
}

/** `<prefix>-<uuid>`: every test owns its names. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** Registers cleanups run after each test (errors of cleanups are ignored: the server is per test run anyway). */
export function useCleanup(): (fn: () => Promise<unknown>) => void {
  const pending: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    await Promise.allSettled(pending.splice(0).map((fn) => fn()));
  });
  return (fn) => {
    pending.push(fn);
  };
}

/** A fresh experiment, soft-deleted after the test. */
export async function freshExperiment(
  client: MlflowClient,
  cleanup: (fn: () => Promise<unknown>) => void,
): Promise<string> {
  const experiment = await client.getOrCreateExperiment(uniqueName('exp'));
  cleanup(() => client.deleteExperiment(experiment.experimentId));
  return experiment.experimentId;
}

import { type MlflowServerHandle, type NatsServerHandle, startMlflowServer, startNatsServer } from '@mlops/testkit';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** nats://127.0.0.1:<port> of the run's nats-server (JetStream on, temporary store). */
    natsUrl: string;
    /** http://127.0.0.1:<port> of the run's MLflow tracking server (SQLite, artifact proxy). */
    mlflowTrackingUri: string;
  }
}

/** Starts one nats-server and one MLflow server for the whole run; every test uses unique names inside them. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [nats, mlflow] = await Promise.allSettled([startNatsServer(), startMlflowServer()]);
  const started = [nats, mlflow].flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = [nats, mlflow].flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  if (failed.length > 0) {
    await Promise.all(started.map((s) => s.stop()));
    throw failed[0];
  }
  const natsServer = (nats as PromiseFulfilledResult<NatsServerHandle>).value;
  const mlflowServer = (mlflow as PromiseFulfilledResult<MlflowServerHandle>).value;
  project.provide('natsUrl', natsServer.url);
  project.provide('mlflowTrackingUri', mlflowServer.trackingUri);
  return async () => {
    await Promise.all([natsServer.stop(), mlflowServer.stop()]);
  };
}

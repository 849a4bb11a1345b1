import { connectBus, requestReply } from '@mlops/bus';
import { SUBJECTS } from '@mlops/contracts';
import { createMlflowClient, type MlflowClient } from '@mlops/mlflow';
import { createMonitor, loadConfig as monitorConfig } from '@mlops/monitor';
import { createPredictor, loadConfig as predictorConfig } from '@mlops/predictor';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer, until } from '@mlops/testkit';
import { createTracker, loadConfig as trackerConfig } from '@mlops/tracker';
import { createTrainer, natsTrainerBus, loadConfig as trainerConfig } from '@mlops/trainer';
import { connect, type NatsConnection } from '@nats-io/transport-node';

/** The whole pipeline in this process on a fresh nats-server and the shared MLflow, as the end-to-end tests run it. */
export interface InProcessStack {
  readonly nats: NatsServerHandle;
  /** A plain NATS connection for requests and watchers. */
  readonly client: NatsConnection;
  readonly mlflow: MlflowClient;
  readonly predictorUrl: string;
  stop(): Promise<void>;
}

/** What to start: the predictor serves `modelName`; `env` adds settings (e.g. TRAINER_DATA_DIR); a monitor on request. */
export interface InProcessStackOptions {
  readonly mlflowUri: string;
  readonly modelName: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly monitor?: Readonly<Record<string, string>>;
}

/** Starts trainer, tracker, predictor (and the monitor when asked) in order; stop() stops them in reverse. */
export async function startInProcessStack(options: InProcessStackOptions): Promise<InProcessStack> {
  const logger = createLogger({ service: 'e2e', level: 'silent' });
  const nats = await startNatsServer();
  const env = { NATS_URL: nats.url, MLFLOW_TRACKING_URI: options.mlflowUri, LOG_LEVEL: 'silent', ...options.env };
  const bus = () => connectBus({ servers: nats.url, name: 'e2e', logger });
  const predictor = createPredictor(
    predictorConfig({ ...env, MODEL_NAME: options.modelName, PREDICTOR_PORT: '0', PREDICTOR_MODEL_POLL_MS: '60000' }),
    { bus: await bus(), logger },
  );
  const services = [
    trainerOf(trainerConfig(env, process.cwd()), await bus(), logger),
    createTracker(trackerConfig(env), { bus: await bus(), logger }),
    predictor,
    ...(options.monitor === undefined
      ? []
      : [
          createMonitor(monitorConfig({ ...env, MONITOR_PORT: '0', ...options.monitor }), { bus: await bus(), logger }),
        ]),
  ];
  const stops: (() => Promise<void>)[] = [];
  for (const service of services) {
    await service.start();
    stops.unshift(() => service.stop());
  }
  const client = await connect({ servers: nats.url });
  return {
    nats,
    client,
    mlflow: createMlflowClient({ trackingUri: options.mlflowUri }),
    predictorUrl: `http://127.0.0.1:${predictor.port}`,
    async stop() {
      await client.drain();
      for (const stop of stops) await stop();
      await nats.stop();
    },
  };
}

/** What the end-to-end tests wait for comes within 90 s, looked at every 200 ms. */
/** A trainer on its own connection, its bus port set up from its config. */
function trainerOf(
  config: ReturnType<typeof trainerConfig>,
  bus: Awaited<ReturnType<typeof connectBus>>,
  logger: ReturnType<typeof createLogger>,
) {
  return createTrainer(config, { bus: natsTrainerBus(bus, config), logger });
}

export const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 90_000) =>
  until(what, probe, ms, 200);

/** Publishes the default tune request for `modelName` and waits until the predictor serves its version 1. */
export async function serveFirstVersion(stack: InProcessStack, modelName: string): Promise<void> {
  const body = JSON.stringify({ experiment_name: modelName, registered_model_name: modelName });
  await requestReply(stack.client, SUBJECTS.tuneRequested, body, { timeoutMs: 10_000 });
  await waitFor('version 1 served', async () =>
    (await fetch(`${stack.predictorUrl}/ready`)).status === 200 ? true : undefined,
  );
}

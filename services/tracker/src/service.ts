import type { Bus, ConsumerHandle } from '@mlops/bus';
import { SUBJECTS } from '@mlops/contracts';
import { createMlflowClient, type MlflowClient } from '@mlops/mlflow';
import {
  createLogger,
  type HealthServer,
  KeyedQueue,
  type Logger,
  type Service,
  startHealthServer,
} from '@mlops/service-kit';
import { mlflowChampions } from './adapters/mlflow-champions.js';
import { mlflowTuningFigures } from './adapters/mlflow-figures.js';
import { mlflowRecords } from './adapters/mlflow-records.js';
import { natsStoredHoldouts } from './adapters/nats-stored-holdouts.js';
import type { TrackerConfig } from './config.js';
import { modelFilesBuilder } from './domain/model-files.js';
import { consumeTuningEvents, provisionTracker } from './entry-points/events.js';
import { serveRegistryRequests } from './entry-points/registry-requests.js';

/** Creates the tracker; nothing connects until start(). */
export function createTracker(
  config: TrackerConfig,
  deps: { bus: Bus; logger?: Logger; mlflow?: MlflowClient },
): Service & { readonly ready: boolean } {
  const logger = deps.logger ?? createLogger({ service: 'tracker', level: config.logLevel });
  const mlflow =
    deps.mlflow ??
    createMlflowClient({
      ...config.mlflow,
      onRetry: (e) => logger.warn({ mlflow_retry: e }, 'MLflow call failed: retrying'),
    });
  const storedRunCompleted = async (seq: number) => (await deps.bus.storedEvent(SUBJECTS.runCompleted, seq))?.data;
  const records = mlflowRecords(mlflow, modelFilesBuilder(config.runtime), storedRunCompleted);
  const registry = mlflowChampions(mlflow);
  const modelMoves = new KeyedQueue();
  let consumer: ConsumerHandle | undefined;
  let requests: ConsumerHandle[] = [];
  let health: HealthServer | undefined;
  let ready = false;
  let stopped = false;
  return {
    get ready() {
      return ready;
    },
    async start() {
      await provisionTracker(deps.bus);
      consumer = await consumeTuningEvents({
        bus: deps.bus,
        records,
        registry,
        figures: mlflowTuningFigures(mlflow, registry),
        readStoredHoldout: natsStoredHoldouts(deps.bus),
        gate: config.gate,
        concurrency: config.concurrency,
        modelMoves,
        logger: logger.child({ module: 'events' }),
      });
      requests = await serveRegistryRequests({
        bus: deps.bus,
        registry,
        modelMoves,
        logger: logger.child({ module: 'registry' }),
      });
      if (config.healthPort !== undefined)
        health = await startHealthServer(config.healthPort, config.healthHost, () => ready);
      ready = true;
      logger.info({ mlflow: mlflow.trackingUri, ...healthAddress(health, config.healthHost) }, 'tracker started');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      ready = false;
      for (const handle of requests) await handle.stop();
      await consumer?.stop();
      await health?.close();
      await deps.bus.close();
      logger.info('tracker stopped');
    },
  };
}

/** The health endpoint's address for the start-up log: its bound port (0 asks for a free one); none when unserved. */
function healthAddress(health: HealthServer | undefined, host: string) {
  return health === undefined ? {} : { health_host: host, health_port: health.port };
}

import type { Bus, ConsumerHandle } from '@mlops/bus';
import { createMlflowClient, type MlflowClient } from '@mlops/mlflow';
import { createLogger, type Logger, type Service } from '@mlops/service-kit';
import { createMonitorMetrics, type MonitorPrometheus } from './adapters/metrics.js';
import { mlflowMonitoringRuns } from './adapters/mlflow-monitoring-runs.js';
import { mlflowVersionFiles, mlflowVersionTuning } from './adapters/mlflow-version-files.js';
import { natsAnnouncer } from './adapters/nats-announcer.js';
import { dataDirectoryStore, kvRetrainLeases, natsTuneRequester, streamFeatureSource } from './adapters/retrain-io.js';
import type { MonitorConfig } from './config.js';
import { Monitor } from './domain/monitor.js';
import type { RetrainLeases } from './domain/ports.js';
import { Retrainer } from './domain/retrainer.js';
import { startMonitorHttp } from './entry-points/http.js';
import { consumeMlflowWindows, provisionMlflowWindows } from './entry-points/mlflow-windows.js';
import { consumeModelEvents, provisionModelEvents, restoreOutcomes } from './entry-points/model-events.js';
import { consumePredictions, provisionMonitor, restoreMonitor } from './entry-points/predictions.js';
import { serveMonitorRequests } from './entry-points/requests.js';
import {
  consumeTuningFailures,
  provisionTuningFailures,
  restoreTuningFailures,
} from './entry-points/tuning-failures.js';

const TICK_MS = 250;

/** The running monitor: its HTTP port (0 in config means any), metrics and the domain object (for tests). */
export interface MonitorService extends Service {
  readonly port: number;
  readonly ready: boolean;
  readonly metrics: MonitorPrometheus;
  readonly monitor: Monitor;
}

/** Creates the monitor; nothing connects or listens until start(). */
export function createMonitor(
  config: MonitorConfig,
  deps: { bus: Bus; logger?: Logger; mlflow?: MlflowClient },
): MonitorService {
  const logger = deps.logger ?? createLogger({ service: 'monitor', level: config.logLevel });
  const mlflow =
    deps.mlflow ??
    createMlflowClient({
      ...config.mlflow,
      onRetry: (e) => logger.warn({ mlflow_retry: e }, 'MLflow call failed: retrying'),
    });
  const metrics = createMonitorMetrics();
  const stopping = new AbortController();
  const announce = natsAnnouncer(deps.bus, logger.child({ module: 'announce' }), stopping.signal);
  // The lease bucket is opened in start() (it needs the connection); the retrainer reaches it through this holder.
  const leases = lazyLeases();
  const retrainer = new Retrainer(
    config.retrain,
    { selectionMetric: config.performance.metric, gate: config.retrainGate, data: config.retrainData },
    {
      leases: leases.port,
      features: streamFeatureSource(deps.bus),
      datasets: dataDirectoryStore(config.retrainDataDir),
      tuner: natsTuneRequester(deps.bus),
      tuning: mlflowVersionTuning(mlflow),
      announce,
      metrics,
      logger: logger.child({ module: 'retrain' }),
      owner: config.instance,
      now: Date.now,
    },
  );
  const monitor = new Monitor(
    {
      window: config.window,
      drift: config.drift,
      join: config.join,
      performance: config.performance,
      retrain: config.retrain,
    },
    {
      files: mlflowVersionFiles(mlflow),
      announce,
      metrics,
      logger: logger.child({ module: 'monitor' }),
      retrainer,
    },
  );
  const runs = config.mlflowRuns
    ? mlflowMonitoringRuns(mlflow, {
        onError: (err) => logger.warn({ err }, 'drift figure not drawn on the monitoring run'),
      })
    : undefined;
  let http: Awaited<ReturnType<typeof startMonitorHttp>> | undefined;
  let mlflowWindows: ConsumerHandle | undefined;
  let consumer: ConsumerHandle | undefined;
  let modelEvents: ConsumerHandle | undefined;
  let tuningFailures: ConsumerHandle[] = [];
  let requests: ConsumerHandle[] = [];
  let ticker: NodeJS.Timeout | undefined;
  let ready = false;
  let stopped = false;
  return {
    metrics,
    monitor,
    get ready() {
      return ready;
    },
    get port() {
      return http?.port ?? 0;
    },
    async start() {
      http = await startMonitorHttp({
        port: config.port,
        host: config.host,
        registry: metrics.registry,
        isReady: () => ready,
      });
      await provisionMonitor(deps.bus, config.window.ms, config.streamMaxBytes);
      await provisionModelEvents(deps.bus);
      await provisionTuningFailures(deps.bus);
      await provisionMlflowWindows(deps.bus, runs !== undefined);
      leases.set(await kvRetrainLeases(deps.bus, config.retrain.leaseMs));
      await restoreMonitor(deps.bus, monitor, logger, retrainer);
      await restoreOutcomes(deps.bus, retrainer);
      await restoreTuningFailures(deps.bus, retrainer, logger);
      await retrainer.resume();
      requests = await serveMonitorRequests(deps.bus, monitor);
      modelEvents = await consumeModelEvents(deps.bus, monitor);
      tuningFailures = await consumeTuningFailures(deps.bus, retrainer);
      consumer = await consumePredictions(deps.bus, monitor, config.window.ms);
      if (runs !== undefined)
        mlflowWindows = await consumeMlflowWindows(deps.bus, runs, logger.child({ module: 'mlflow' }));
      ticker = setInterval(() => {
        monitor.tick().catch((err: unknown) => logger.error({ err }, 'monitor tick failed'));
      }, TICK_MS);
      ready = true;
      logger.info({ port: http.port, window: config.window }, 'monitor started');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      ready = false;
      clearInterval(ticker);
      stopping.abort();
      for (const handle of requests) await handle.stop();
      await consumer?.stop();
      await modelEvents?.stop();
      for (const handle of tuningFailures) await handle.stop();
      retrainer.stop();
      await retrainer.settle();
      // Windows not written to MLflow yet stay in the MONITOR stream: the next start writes them.
      await mlflowWindows?.stop();
      await http?.close();
      await deps.bus.close();
      logger.info('monitor stopped');
    },
  };
}

/** A lease port whose bucket is set once start() opened it; a call before that is a programming error. */
function lazyLeases(): { port: RetrainLeases; set(leases: RetrainLeases): void } {
  let target: RetrainLeases | undefined;
  const get = () => {
    if (target === undefined) throw new Error('the retrain lease bucket is not open yet (start() opens it)');
    return target;
  };
  return {
    port: {
      acquire: (model, value) => get().acquire(model, value),
      holder: (model) => get().holder(model),
      update: (held, value) => get().update(held, value),
      release: (held) => get().release(held),
      all: () => get().all(),
    },
    set(leases) {
      target = leases;
    },
  };
}

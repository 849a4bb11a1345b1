import type { Bus, ConsumerHandle } from '@mlops/bus';
import { createMlflowClient, type MlflowClient } from '@mlops/mlflow';
import { createLogger, type Logger, type Service } from '@mlops/service-kit';
import { createMonitorMetrics, type MonitorPrometheus } from './adapters/metrics.js';
import { mlflowMonitoringRuns } from './adapters/mlflow-monitoring-runs.js';
import { mlflowVersionFiles } from './adapters/mlflow-version-files.js';
import { natsAnnouncer } from './adapters/nats-announcer.js';
import type { MonitorConfig } from './config.js';
import { Monitor } from './domain/monitor.js';
import { startMonitorHttp } from './entry-points/http.js';
import { consumePredictions, provisionMonitor, restoreMonitor } from './entry-points/predictions.js';
import { serveMonitorRequests } from './entry-points/requests.js';

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
  const monitor = new Monitor(
    { window: config.window, drift: config.drift, join: config.join, performance: config.performance },
    {
      files: mlflowVersionFiles(mlflow),
      announce: natsAnnouncer(deps.bus, logger.child({ module: 'announce' }), stopping.signal),
      runs: config.mlflowRuns ? mlflowMonitoringRuns(mlflow) : undefined,
      metrics,
      logger: logger.child({ module: 'monitor' }),
    },
  );
  let http: Awaited<ReturnType<typeof startMonitorHttp>> | undefined;
  let consumer: ConsumerHandle | undefined;
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
      await provisionMonitor(deps.bus, config.window.ms);
      await restoreMonitor(deps.bus, monitor, logger);
      requests = serveMonitorRequests(deps.bus, monitor);
      consumer = await consumePredictions(deps.bus, monitor, config.window.ms);
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
      await monitor.flushRuns();
      await http?.close();
      await deps.bus.close();
      logger.info('monitor stopped');
    },
  };
}

import { connectBus } from '@mlops/bus';
import { createMonitor, loadConfig, type MonitorService } from '@mlops/monitor';
import type { Logger } from '@mlops/service-kit';

/**
 * A started monitor of `natsUrl` on a bus of its own (its stop() closes it), joining labels only: no retrains and no
 * MLflow runs, so a predictor test can send /feedback through a real one.
 */
export async function startLabelMonitor(natsUrl: string, mlflowUri: string, logger: Logger): Promise<MonitorService> {
  const config = loadConfig({
    NATS_URL: natsUrl,
    MLFLOW_TRACKING_URI: mlflowUri,
    MONITOR_PORT: '0',
    MONITOR_RETRAIN: 'false',
    MONITOR_MLFLOW_RUNS: 'false',
  });
  const bus = await connectBus({ servers: natsUrl, name: `monitor-${process.pid}`, logger });
  const monitor = createMonitor(config, { bus, logger });
  await monitor.start();
  return monitor;
}

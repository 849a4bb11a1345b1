import cluster from 'node:cluster';
import { connectBus } from '@mlops/bus';
import { ConfigError, createLogger, runUntilSignalled, warnUnknownVariables } from '@mlops/service-kit';
import { configSchema, loadConfig } from './config.js';
import { createPrimary } from './entry-points/cluster/primary.js';
import { runWorker } from './entry-points/cluster/worker.js';
import { createPredictor } from './service.js';

/**
 * Process entry: parse config (fail fast), then serve until signalled: in this process alone (PREDICTOR_WORKERS=1),
 * or as the primary of PREDICTOR_WORKERS worker processes sharing the port, or as one of those workers.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ service: 'predictor', level: config.logLevel });
  if (cluster.isWorker) {
    await runWorker(config, logger);
    return;
  }
  warnUnknownVariables(logger, configSchema, process.env, ['PREDICTOR_']);
  if (config.workers > 1) {
    await runUntilSignalled(createPrimary({ workers: config.workers, instance: config.instance, logger }), { logger });
    return;
  }
  const bus = await connectBus({
    servers: config.natsServers,
    streamReplicas: config.natsStreamReplicas,
    security: config.natsSecurity,
    name: config.instance,
    logger,
  });
  await runUntilSignalled(createPredictor(config, { bus, logger }), { logger });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});

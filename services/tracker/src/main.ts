import { connectBus } from '@mlops/bus';
import { ConfigError, createLogger, runUntilSignalled, warnUnknownVariables } from '@mlops/service-kit';
import { configSchema, loadConfig } from './config.js';
import { createTracker } from './service.js';

/** Process entry: parse config (fail fast), connect, run until signalled. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ service: 'tracker', level: config.logLevel });
  warnUnknownVariables(logger, configSchema, process.env, ['TRACKER_']);
  const bus = await connectBus({
    servers: config.natsServers,
    streamReplicas: config.natsStreamReplicas,
    security: config.natsSecurity,
    name: config.instance,
    logger,
  });
  await runUntilSignalled(createTracker(config, { bus, logger }), { logger });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});

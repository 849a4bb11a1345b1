import { connectBus } from '@mlops/bus';
import { ConfigError, createLogger, runUntilSignalled } from '@mlops/service-kit';
import { loadConfig } from './config.js';
import { createTracker } from './service.js';

/** Process entry: parse config (fail fast), connect, run until signalled. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ service: 'tracker', level: config.logLevel });
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

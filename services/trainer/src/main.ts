import { connectBus } from '@mlops/bus';
import { ConfigError, createLogger, runUntilSignalled, warnUnknownVariables } from '@mlops/service-kit';
import { natsTrainerBus } from './adapters/nats-bus.js';
import { configSchema, loadConfig } from './config.js';
import { createTrainer } from './service.js';

/** Process entry: parse config (fail fast), wire the bus, run until signalled. */
async function main(): Promise<void> {
  const config = loadConfig(process.env, process.cwd());
  const logger = createLogger({ service: 'trainer', level: config.logLevel });
  warnUnknownVariables(logger, configSchema, process.env, ['TRAINER_']);
  const lazyBus = await connectBus({
    servers: config.natsServers,
    streamReplicas: config.natsStreamReplicas,
    security: config.natsSecurity,
    name: config.instance,
    logger,
  });
  await runUntilSignalled(
    createTrainer(config, { bus: natsTrainerBus(lazyBus, { snapshotMaxBytes: config.snapshotMaxBytes }), logger }),
    { logger },
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});

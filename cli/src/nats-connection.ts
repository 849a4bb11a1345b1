import { securityOptions } from '@mlops/bus';
import { ConfigError, natsConnection, natsEnvShape, parseConfig } from '@mlops/service-kit';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { UsageError } from './errors.js';
import type { CliIo } from './io.js';

/** Connects the CLI to NATS as the services would (NATS_URL or --nats, NATS_* credentials); a clear error if down. */
export async function connectCli(io: CliIo, flag: string | undefined): Promise<NatsConnection> {
  const nats = natsFromEnv(io.env, flag);
  const servers = nats.servers.join(',');
  return await connect({
    servers: nats.servers,
    name: 'mlops-cli',
    timeout: 5000,
    ...securityOptions(nats.security),
  }).catch((err: unknown) => {
    throw new UsageError(`cannot connect to NATS at ${servers} (${(err as Error).message}): is the stack up?`, 1);
  });
}

/** NATS_URL (or --nats) and the NATS_* credential and TLS variables, as the services read them. */
function natsFromEnv(env: CliIo['env'], flag: string | undefined) {
  try {
    const parsed = parseConfig('mlops', z.object(natsEnvShape), {
      ...env,
      ...(flag === undefined ? {} : { NATS_URL: flag }),
    });
    return natsConnection(parsed);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message, 2);
    throw err;
  }
}

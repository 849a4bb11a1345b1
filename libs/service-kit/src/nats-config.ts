import { z } from 'zod';

const optional = (description: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v))
    .describe(description);

/**
 * The NATS variables every service reads, named as the `nats` CLI names them. Spread into a service's config schema;
 * {@link natsConnection} turns the parsed values into connect options.
 */
export const natsEnvShape = {
  NATS_URL: z
    .string()
    .min(1)
    .default('nats://127.0.0.1:4222')
    .describe('NATS server URL(s), comma-separated; tls:// to require TLS'),
  NATS_USER: optional('NATS user name (with NATS_PASSWORD)'),
  NATS_PASSWORD: optional('NATS password (secret; never logged)'),
  NATS_TOKEN: optional('NATS authentication token instead of a user (secret; never logged)'),
  NATS_CREDS: optional('Path of a NATS .creds file (JWT and NKey seed) for servers in operator mode'),
  NATS_CA: optional('PEM file of the CA that signed the NATS server certificate (turns TLS on)'),
  NATS_CERT: optional('PEM client certificate for mutual TLS (with NATS_KEY)'),
  NATS_KEY: optional('PEM private key of NATS_CERT'),
  NATS_STREAM_REPLICAS: z.coerce
    .number()
    .int()
    .min(1)
    .max(5)
    .default(1)
    .describe('Replicas of the JetStream streams and key-value buckets a service creates: 3 on a 3-node cluster'),
};

type NatsEnv = { [K in keyof typeof natsEnvShape]: z.output<(typeof natsEnvShape)[K]> };

/** How a service connects to NATS: servers plus credentials and TLS (the shape `connectBus` takes). */
export interface NatsConnectionConfig {
  readonly servers: string[];
  /** Replicas of the streams and buckets the service creates (NATS_STREAM_REPLICAS). */
  readonly streamReplicas: number;
  readonly security: {
    readonly user?: string | undefined;
    readonly password?: string | undefined;
    readonly token?: string | undefined;
    readonly credsFile?: string | undefined;
    readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string } | undefined;
  };
}

/** Problems with a combination of NATS variables, for a schema's superRefine (each names its variable). */
export function natsEnvProblems(env: Partial<NatsEnv>): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if ((env.NATS_USER === undefined) !== (env.NATS_PASSWORD === undefined)) {
    problems.push({
      path: env.NATS_USER === undefined ? 'NATS_USER' : 'NATS_PASSWORD',
      message: 'NATS_USER and NATS_PASSWORD go together',
    });
  }
  const ways = [env.NATS_USER, env.NATS_TOKEN, env.NATS_CREDS].filter((v) => v !== undefined).length;
  if (ways > 1)
    problems.push({ path: 'NATS_TOKEN', message: 'use one of NATS_USER/NATS_PASSWORD, NATS_TOKEN or NATS_CREDS' });
  if ((env.NATS_CERT === undefined) !== (env.NATS_KEY === undefined)) {
    problems.push({
      path: env.NATS_CERT === undefined ? 'NATS_CERT' : 'NATS_KEY',
      message: 'NATS_CERT and NATS_KEY go together',
    });
  }
  return problems;
}

/** A config schema's `superRefine` step: reports every contradiction among the NATS variables. */
export function checkNatsEnv(env: Partial<NatsEnv>, ctx: z.RefinementCtx): void {
  for (const { path, message } of natsEnvProblems(env)) ctx.addIssue({ code: 'custom', path: [path], message });
}

/** Servers, credentials and TLS from the parsed NATS variables. */
export function natsConnection(env: NatsEnv): NatsConnectionConfig {
  const tls =
    env.NATS_CA === undefined && env.NATS_CERT === undefined
      ? undefined
      : {
          ...(env.NATS_CA === undefined ? {} : { caFile: env.NATS_CA }),
          ...(env.NATS_CERT === undefined || env.NATS_KEY === undefined
            ? {}
            : { certFile: env.NATS_CERT, keyFile: env.NATS_KEY }),
        };
  return {
    servers: env.NATS_URL.split(',').map((s) => s.trim()),
    streamReplicas: env.NATS_STREAM_REPLICAS,
    security: {
      user: env.NATS_USER,
      password: env.NATS_PASSWORD,
      token: env.NATS_TOKEN,
      credsFile: env.NATS_CREDS,
      tls,
    },
  };
}

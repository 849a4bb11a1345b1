import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import {
  checkNatsEnv,
  hostSchema,
  logLevelSchema,
  type NatsConnectionConfig,
  natsConnection,
  natsEnvShape,
  parseConfig,
} from '@mlops/service-kit';
import { z } from 'zod';

/** The dataset snapshot bucket's size when TRAINER_SNAPSHOT_MAX_BYTES is unset. */
const DATASET_SNAPSHOT_DEFAULT_MAX_BYTES = 1024 ** 3;

/** The longest trial time limit: Node's timers hold at most 2^31 - 1 ms. */
const MAX_TRIAL_TIMEOUT_SECONDS = 2_147_483;

/** Every environment variable the trainer reads, with its default and meaning (docs are generated from this). */
export const configSchema = z
  .object({
    ...natsEnvShape,
    TRAINER_DATA_DIR: z
      .string()
      .min(1)
      .default('data/datasets')
      .describe(
        'Directory CSV data sets are read from: nothing outside it (a link leading out is refused), regular files of at most 512 MiB; relative to the working directory',
      ),
    TRAINER_INSTANCE: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Instance name: names the NATS connection and the CloudEvents source (mlops/<instance>). Unset: trainer-$HOSTNAME when HOSTNAME is set (each container of `--scale trainer=3` apart), else trainer',
      ),
    TRAINER_TRIALS: z
      .enum(['queue', 'inline'])
      .default('queue')
      .describe(
        "queue: a tuning's trials go to the TRIALS work queue that every trainer replica consumes, fitted on worker threads; inline: the replica that takes a tuning fits its trials one after another on its event loop",
      ),
    TRAINER_TRIAL_THREADS: z.coerce
      .number()
      .int()
      .min(1)
      .max(256)
      .optional()
      .describe('Worker threads fitting queued trials (trials in flight per replica); unset: one per core'),
    TRAINER_TRIAL_TIMEOUT_SECONDS: z.coerce
      .number({ message: 'must be a number of seconds' })
      .gt(0, 'must be more than 0: it is how long one queued trial may run on its thread')
      .max(
        MAX_TRIAL_TIMEOUT_SECONDS,
        `must be at most ${MAX_TRIAL_TIMEOUT_SECONDS} (about 24 days): the longest timer Node keeps`,
      )
      .default(3600)
      .describe(
        "Seconds a queued trial may run on its worker thread (its fit, or its tuning's holdout) before the thread is stopped and replaced; the trial is recorded as failed with the reason. Time waiting for a free thread does not count. Inline trials (TRAINER_TRIALS=inline) run on the event loop and cannot be stopped: no limit applies to them",
      ),
    TRAINER_SNAPSHOT_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(0)
      .default(DATASET_SNAPSHOT_DEFAULT_MAX_BYTES)
      .describe(
        'Object store trainer-dataset-snapshots: each queued tuning keeps a copy of its CSV there (7 days, one per distinct file), so a trial whose replica finds the file edited since, or missing, fits the rows the tuning pinned; nats-server reserves this size against its JetStream storage; it applies when the bucket is created (an existing one keeps its size). 0 keeps no copies (trials then read the file and refuse one that changed)',
      ),
    TRAINER_HEALTH_PORT: z.coerce
      .number()
      .int()
      .min(0)
      .max(65535)
      .optional()
      .describe(
        'Port of GET /health and GET /ready; unset serves no health endpoint; 0 picks a free one (logged at start)',
      ),
    TRAINER_HEALTH_HOST: hostSchema('127.0.0.1').describe('Interface the health endpoint binds'),
    LOG_LEVEL: logLevelSchema.describe('pino log level'),
  })
  .superRefine(checkNatsEnv);

/** The trainer's configuration, parsed once at start-up. */
export interface TrainerConfig {
  readonly natsServers: string[];
  /** Replicas of the streams and buckets it creates (NATS_STREAM_REPLICAS). */
  readonly natsStreamReplicas: number;
  /** NATS credentials and TLS (secrets: never logged). */
  readonly natsSecurity: NatsConnectionConfig['security'];
  readonly dataDir: string;
  readonly instance: string;
  /** How a tuning's trials run (TRAINER_TRIALS). */
  readonly trials: 'queue' | 'inline';
  /** Worker threads fitting queued trials. */
  readonly trialThreads: number;
  /** How long a queued trial may run on its thread before it is stopped, in ms (TRAINER_TRIAL_TIMEOUT_SECONDS). */
  readonly trialTimeoutMs: number;
  /** The dataset snapshot bucket's size (TRAINER_SNAPSHOT_MAX_BYTES); 0 keeps none. */
  readonly snapshotMaxBytes: number;
  readonly logLevel: string;
  readonly healthPort: number | undefined;
  readonly healthHost: string;
}

/** Reads the trainer's environment (NATS_URL, TRAINER_DATA_DIR, ...); throws ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined>, cwd: string): TrainerConfig {
  const parsed = parseConfig('trainer', configSchema, env);
  const nats = natsConnection(parsed);
  return Object.freeze({
    natsServers: nats.servers,
    natsStreamReplicas: nats.streamReplicas,
    natsSecurity: nats.security,
    dataDir: resolve(cwd, parsed.TRAINER_DATA_DIR),
    instance: parsed.TRAINER_INSTANCE ?? (env.HOSTNAME ? `trainer-${env.HOSTNAME}` : 'trainer'),
    trials: parsed.TRAINER_TRIALS,
    trialThreads: parsed.TRAINER_TRIAL_THREADS ?? availableParallelism(),
    trialTimeoutMs: Math.ceil(parsed.TRAINER_TRIAL_TIMEOUT_SECONDS * 1000),
    snapshotMaxBytes: parsed.TRAINER_SNAPSHOT_MAX_BYTES,
    logLevel: parsed.LOG_LEVEL,
    healthPort: parsed.TRAINER_HEALTH_PORT,
    healthHost: parsed.TRAINER_HEALTH_HOST,
  });
}

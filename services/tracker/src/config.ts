import { type MlflowClientOptions, mlflowOptionsFromEnv } from '@mlops/mlflow';
import {
  checkNatsEnv,
  logLevelSchema,
  type NatsConnectionConfig,
  natsConnection,
  natsEnvShape,
  parseConfig,
} from '@mlops/service-kit';
import { z } from 'zod';

/** Every environment variable the tracker reads, with its default and meaning (docs are generated from this). */
export const configSchema = z
  .object({
    ...natsEnvShape,
    MLFLOW_TRACKING_URI: z.string().url().default('http://127.0.0.1:5000').describe('MLflow tracking server URL'),
    TRACKER_INSTANCE: z
      .string()
      .min(1)
      .default('tracker')
      .describe('Instance name: names the NATS connection and the CloudEvents source (mlops/<instance>)'),
    TRACKER_HEALTH_PORT: z.coerce
      .number()
      .int()
      .min(0)
      .max(65535)
      .optional()
      .describe('Port of GET /health and GET /ready; unset serves no health endpoint'),
    TRACKER_HEALTH_HOST: z.string().default('127.0.0.1').describe('Interface the health endpoint binds'),
    TRACKER_MODEL_PYTHON_VERSION: z
      .string()
      .default('3.11')
      .describe("Python version written into each model's MLmodel and environment files"),
    TRACKER_MODEL_ONNX_VERSION: z
      .string()
      .default('1.19.1')
      .describe("onnx version pinned in each model's environment files"),
    TRACKER_MODEL_ONNXRUNTIME_VERSION: z
      .string()
      .default('1.23.2')
      .describe("onnxruntime version pinned in each model's environment files"),
    TRACKER_MODEL_MLFLOW_VERSION: z
      .string()
      .default('3.17.2')
      .describe("mlflow version written into each model's MLmodel and environment files"),
    LOG_LEVEL: logLevelSchema.describe('pino log level'),
  })
  .superRefine(checkNatsEnv);

/** The tracker's configuration, parsed once at start-up. */
export interface TrackerConfig {
  readonly natsServers: string[];
  /** NATS credentials and TLS (secrets: never logged). */
  readonly natsSecurity: NatsConnectionConfig['security'];
  readonly mlflow: MlflowClientOptions;
  readonly instance: string;
  readonly healthPort: number | undefined;
  readonly healthHost: string;
  readonly runtime: { mlflow: string; onnx: string; onnxruntime: string; python: string };
  readonly logLevel: string;
}

/** Reads NATS_URL, MLflow's own MLFLOW_TRACKING_* variables and the TRACKER_* ones; throws ConfigError on problems. */
export function loadConfig(env: Record<string, string | undefined>): TrackerConfig {
  const parsed = parseConfig('tracker', configSchema, env);
  const nats = natsConnection(parsed);
  return Object.freeze({
    natsServers: nats.servers,
    natsSecurity: nats.security,
    mlflow: mlflowOptionsFromEnv({ ...env, MLFLOW_TRACKING_URI: parsed.MLFLOW_TRACKING_URI }),
    instance: parsed.TRACKER_INSTANCE,
    healthPort: parsed.TRACKER_HEALTH_PORT,
    healthHost: parsed.TRACKER_HEALTH_HOST,
    runtime: {
      mlflow: parsed.TRACKER_MODEL_MLFLOW_VERSION,
      onnx: parsed.TRACKER_MODEL_ONNX_VERSION,
      onnxruntime: parsed.TRACKER_MODEL_ONNXRUNTIME_VERSION,
      python: parsed.TRACKER_MODEL_PYTHON_VERSION,
    },
    logLevel: parsed.LOG_LEVEL,
  });
}

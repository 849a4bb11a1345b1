import { type MlflowClientOptions, mlflowOptionsFromEnv } from '@mlops/mlflow';
import { logLevelSchema, parseConfig } from '@mlops/service-kit';
import { z } from 'zod';

const schema = z.object({
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  MLFLOW_TRACKING_URI: z.string().url().default('http://127.0.0.1:5000'),
  MODEL_NAME: z.string().min(1).default('One_Customer_Classifier'),
  MODEL_ALIAS: z.string().min(1).default('champion'),
  PREDICTOR_HOST: z.string().default('127.0.0.1'),
  PREDICTOR_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  PREDICTOR_INSTANCE: z
    .string()
    .regex(/^[\w-]+$/)
    .default('predictor'),
  PREDICTOR_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  PREDICTOR_MAX_ROWS: z.coerce.number().int().min(1).default(10_000),
  /** Safety net besides model.registered events: how often the alias is re-read from MLflow. */
  PREDICTOR_MODEL_POLL_MS: z.coerce.number().int().min(1000).default(30_000),
  LOG_LEVEL: logLevelSchema,
});

/** The predictor's configuration, parsed once at start-up. */
export interface PredictorConfig {
  readonly natsServers: string[];
  readonly mlflow: MlflowClientOptions;
  readonly modelName: string;
  readonly modelAlias: string;
  readonly host: string;
  readonly port: number;
  readonly instance: string;
  readonly maxBodyBytes: number;
  readonly maxRows: number;
  readonly pollIntervalMs: number;
  readonly logLevel: string;
}

/** Reads NATS_URL, MLflow's own MLFLOW_TRACKING_* variables, MODEL_* and PREDICTOR_*; throws ConfigError on problems. */
export function loadConfig(env: Record<string, string | undefined>): PredictorConfig {
  const parsed = parseConfig('predictor', schema, env);
  return Object.freeze({
    natsServers: parsed.NATS_URL.split(',').map((s) => s.trim()),
    mlflow: mlflowOptionsFromEnv({ ...env, MLFLOW_TRACKING_URI: parsed.MLFLOW_TRACKING_URI }),
    modelName: parsed.MODEL_NAME,
    modelAlias: parsed.MODEL_ALIAS,
    host: parsed.PREDICTOR_HOST,
    port: parsed.PREDICTOR_PORT,
    instance: parsed.PREDICTOR_INSTANCE,
    maxBodyBytes: parsed.PREDICTOR_MAX_BODY_BYTES,
    maxRows: parsed.PREDICTOR_MAX_ROWS,
    pollIntervalMs: parsed.PREDICTOR_MODEL_POLL_MS,
    logLevel: parsed.LOG_LEVEL,
  });
}

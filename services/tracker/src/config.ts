import { RETRAINED_CHAMPION_RULES, SIGNIFICANCE_TESTS } from '@mlops/contracts';
import { type MlflowClientOptions, mlflowEnvProblems, mlflowOptionsFromEnv } from '@mlops/mlflow';
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
import type { GateDefaults } from './domain/promotion.js';

/** MLflow's address when MLFLOW_TRACKING_URI is unset. */
const DEFAULT_TRACKING_URI = 'http://127.0.0.1:5000';

/**
 * A version as pip and conda take it (PEP 440-like: `3.11`, `2.0.0rc1`, `1.19.1+cpu`): it is written into each
 * model's requirements.txt, conda.yaml and MLmodel, so a space, a line break or a specifier (`=`, `<`, `,`, `;`) would
 * corrupt them.
 */
const VERSION = /^[0-9][A-Za-z0-9._+!*-]*$/;

/** A package version pinned in each model's files, with its default. */
const versionSchema = (fallback: string) =>
  z
    .string()
    .regex(VERSION, "must be a version such as 3.17.2 (it is written into each model's requirements)")
    .default(fallback);

/** Every environment variable the tracker reads, with its default and meaning (docs are generated from this). */
export const configSchema = z
  .object({
    ...natsEnvShape,
    MLFLOW_TRACKING_URI: z.string().url().default(DEFAULT_TRACKING_URI).describe('MLflow tracking server URL'),
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
      .describe(
        'Port of GET /health and GET /ready; unset serves no health endpoint; 0 picks a free one (logged at start)',
      ),
    TRACKER_HEALTH_HOST: hostSchema('127.0.0.1').describe('Interface the health endpoint binds'),
    TRACKER_CONCURRENCY: z.coerce
      .number()
      .int()
      .min(1)
      .max(64)
      .default(1)
      .describe(
        'Tuning events mirrored into MLflow at once (trials side by side; a trial, a parent run or an experiment is still created once). 1 handles them in order: best with MLflow on SQLite and one worker; more pays off with several MLflow workers (4 with 2 workers, as the local stack and compose run, even on SQLite; 8 on PostgreSQL: bench/tune)',
      ),
    TRACKER_MODEL_PYTHON_VERSION: versionSchema('3.11').describe(
      "Python version written into each model's MLmodel and environment files",
    ),
    TRACKER_MODEL_ONNX_VERSION: versionSchema('1.19.1').describe(
      "onnx version pinned in each model's environment files",
    ),
    TRACKER_MODEL_ONNXRUNTIME_VERSION: versionSchema('1.23.2').describe(
      "onnxruntime version pinned in each model's environment files",
    ),
    TRACKER_MODEL_MLFLOW_VERSION: versionSchema('3.17.2').describe(
      "mlflow version written into each model's MLmodel and environment files",
    ),
    TRACKER_GATE_MIN_ABSOLUTE_CHANGE: z.coerce
      .number()
      .min(0)
      .default(0)
      .describe('Promotion gate: the challenger must beat the champion by at least this much (0: any improvement)'),
    TRACKER_GATE_MIN_RELATIVE_CHANGE: z.coerce
      .number()
      .min(0)
      .lt(1)
      .default(0)
      .describe("Promotion gate: … and by at least this fraction of the champion's value"),
    TRACKER_GATE_THRESHOLD: z.coerce
      .number()
      .optional()
      .describe('Promotion gate: an absolute floor for the metric (a ceiling for log_loss); unset: none'),
    TRACKER_GATE_SIGNIFICANCE: z
      .enum(SIGNIFICANCE_TESTS)
      .default('none')
      .describe('Promotion gate: none, bootstrap (paired interval excludes 0) or mcnemar (exact test on accuracy)'),
    TRACKER_GATE_ALPHA: z.coerce.number().gt(0).lt(1).default(0.05).describe('Promotion gate: significance level'),
    TRACKER_GATE_BOOTSTRAP_RESAMPLES: z.coerce
      .number()
      .int()
      .min(100)
      .max(10_000)
      .default(1000)
      .describe('Promotion gate: paired bootstrap resamples'),
    TRACKER_GATE_RANDOM_STATE: z.coerce
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Promotion gate: seed of the paired bootstrap'),
    TRACKER_GATE_ON_SIGNATURE_CHANGE: z
      .enum(['reject', 'promote'])
      .default('reject')
      .describe('Promotion gate: what to do when the champion takes other features than the new model'),
    TRACKER_GATE_ON_RETRAINED_CHAMPION: z
      .enum(RETRAINED_CHAMPION_RULES)
      .default('keep_out')
      .describe(
        "Promotion gate: a tuning that is no retrain, when the champion is a retrain's version (fitted on live rows): keep_out keeps it out as challenger (its test split is other data than the champion serves; promote it by hand), judge compares on the tuning's rows",
      ),
    LOG_LEVEL: logLevelSchema.describe('pino log level'),
  })
  .superRefine(checkNatsEnv);

/** The tracker's configuration, parsed once at start-up. */
export interface TrackerConfig {
  readonly natsServers: string[];
  /** Replicas of the streams and buckets it creates (NATS_STREAM_REPLICAS). */
  readonly natsStreamReplicas: number;
  /** NATS credentials and TLS (secrets: never logged). */
  readonly natsSecurity: NatsConnectionConfig['security'];
  readonly mlflow: MlflowClientOptions;
  readonly instance: string;
  readonly healthPort: number | undefined;
  readonly healthHost: string;
  /** Tuning events handled at once (TRACKER_CONCURRENCY). */
  readonly concurrency: number;
  readonly runtime: { mlflow: string; onnx: string; onnxruntime: string; python: string };
  /** The promotion gate's rules where a tune request does not override them. */
  readonly gate: GateDefaults;
  readonly logLevel: string;
}

/** Reads NATS_URL, MLflow's own MLFLOW_TRACKING_* variables and the TRACKER_* ones; throws ConfigError on problems. */
export function loadConfig(env: Record<string, string | undefined>): TrackerConfig {
  const parsed = parseConfig('tracker', configSchema, env, (e) => mlflowEnvProblems(e, DEFAULT_TRACKING_URI));
  const nats = natsConnection(parsed);
  return Object.freeze({
    natsServers: nats.servers,
    natsStreamReplicas: nats.streamReplicas,
    natsSecurity: nats.security,
    mlflow: mlflowOptionsFromEnv({ ...env, MLFLOW_TRACKING_URI: parsed.MLFLOW_TRACKING_URI }),
    instance: parsed.TRACKER_INSTANCE,
    healthPort: parsed.TRACKER_HEALTH_PORT,
    healthHost: parsed.TRACKER_HEALTH_HOST,
    concurrency: parsed.TRACKER_CONCURRENCY,
    runtime: {
      mlflow: parsed.TRACKER_MODEL_MLFLOW_VERSION,
      onnx: parsed.TRACKER_MODEL_ONNX_VERSION,
      onnxruntime: parsed.TRACKER_MODEL_ONNXRUNTIME_VERSION,
      python: parsed.TRACKER_MODEL_PYTHON_VERSION,
    },
    gate: {
      min_absolute_change: parsed.TRACKER_GATE_MIN_ABSOLUTE_CHANGE,
      min_relative_change: parsed.TRACKER_GATE_MIN_RELATIVE_CHANGE,
      threshold: parsed.TRACKER_GATE_THRESHOLD ?? null,
      significance: parsed.TRACKER_GATE_SIGNIFICANCE,
      alpha: parsed.TRACKER_GATE_ALPHA,
      bootstrap_resamples: parsed.TRACKER_GATE_BOOTSTRAP_RESAMPLES,
      random_state: parsed.TRACKER_GATE_RANDOM_STATE,
      on_signature_change: parsed.TRACKER_GATE_ON_SIGNATURE_CHANGE,
      on_retrained_champion: parsed.TRACKER_GATE_ON_RETRAINED_CHAMPION,
    },
    logLevel: parsed.LOG_LEVEL,
  });
}

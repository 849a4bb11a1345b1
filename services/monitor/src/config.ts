import { SELECTION_METRICS } from '@mlops/contracts';
import { type MlflowClientOptions, mlflowOptionsFromEnv } from '@mlops/mlflow';
import {
  checkNatsEnv,
  flagSchema,
  logLevelSchema,
  type NatsConnectionConfig,
  natsConnection,
  natsEnvShape,
  parseConfig,
} from '@mlops/service-kit';
import { z } from 'zod';
import type { DriftRules } from './domain/drift-report.js';
import type { PerformanceRules } from './domain/live-performance.js';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const fraction = (fallback: number) => z.coerce.number().gt(0).lt(1).default(fallback);

/** Every environment variable the monitor reads, with its default and meaning (docs are generated from this). */
export const configSchema = z
  .object({
    ...natsEnvShape,
    MLFLOW_TRACKING_URI: z.string().url().default('http://127.0.0.1:5000').describe('MLflow tracking server URL'),
    MONITOR_INSTANCE: z
      .string()
      .min(1)
      .default('monitor')
      .describe('Instance name: names the NATS connection and the CloudEvents source (mlops/<instance>)'),
    MONITOR_HOST: z.string().default('127.0.0.1').describe('Interface of GET /health, /ready and /metrics'),
    MONITOR_PORT: z.coerce
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(8090)
      .describe('Port of GET /health, /ready and /metrics; 0 picks a free one'),
    MONITOR_WINDOW_ROWS: positiveInt(500).describe(
      'A window closes when it holds this many rows (a logged message that does not fit is split, its other rows opening the next window) …',
    ),
    MONITOR_WINDOW_SECONDS: z.coerce
      .number()
      .gt(0)
      .default(60)
      .describe('… or this many seconds after its first row arrived, whichever comes first'),
    MONITOR_MIN_WINDOW_ROWS: positiveInt(30).describe(
      'A window closed by time with fewer rows is reported without a drift verdict (too few rows to judge)',
    ),
    MONITOR_DRIFT_METHOD: z
      .enum(['auto', 'ks', 'wasserstein', 'psi', 'js'])
      .default('auto')
      .describe(
        'The statistic that decides per column; auto: KS (reference ≤ MONITOR_DRIFT_KS_MAX_REFERENCE_ROWS) else normalised Wasserstein',
      ),
    MONITOR_DRIFT_ALPHA: fraction(0.05).describe('KS significance level (before the Bonferroni correction)'),
    MONITOR_DRIFT_BONFERRONI: flagSchema(true).describe('Divide the KS significance level by the number of columns'),
    MONITOR_DRIFT_KS_MAX_REFERENCE_ROWS: positiveInt(1000).describe('auto uses KS up to this many reference rows'),
    MONITOR_DRIFT_WASSERSTEIN_THRESHOLD: z.coerce
      .number()
      .gt(0)
      .default(0.1)
      .describe('Normalised Wasserstein distance (W1 / std of the reference) at which a column drifts'),
    MONITOR_DRIFT_PSI_THRESHOLD: z.coerce.number().gt(0).default(0.1).describe('PSI at which a column drifts'),
    MONITOR_DRIFT_JS_THRESHOLD: z.coerce
      .number()
      .gt(0)
      .default(0.1)
      .describe('Jensen–Shannon distance at which a column drifts'),
    MONITOR_DRIFT_SHARE: fraction(0.5).describe('Dataset drift when at least this share of the features drift'),
    MONITOR_HORIZON_SECONDS: positiveInt(7 * 24 * 3600).describe(
      'How long predictions are kept for joining labels; older ids are reported as expired',
    ),
    MONITOR_JOIN_MAX_ROWS: positiveInt(2_000_000).describe(
      'Most prediction rows kept for joining labels (the oldest are forgotten first)',
    ),
    MONITOR_PERFORMANCE_METRIC: z
      .enum(SELECTION_METRICS)
      .default('accuracy')
      .describe('The live metric compared with the same metric at training time'),
    MONITOR_PERFORMANCE_THRESHOLD: z.coerce
      .number()
      .gt(0)
      .default(0.05)
      .describe('performance.degraded when the live metric is worse than the training metric by more than this'),
    MONITOR_PERFORMANCE_MIN_LABELS: positiveInt(200).describe('Labelled rows needed before performance is judged'),
    MONITOR_PERFORMANCE_WINDOW_SECONDS: positiveInt(24 * 3600).describe(
      'Live performance covers predictions made in this many seconds before now',
    ),
    MONITOR_MLFLOW_RUNS: flagSchema(true).describe('Log each window as a step of a "monitoring v<N>" run in MLflow'),
    LOG_LEVEL: logLevelSchema.describe('pino log level'),
  })
  .superRefine(checkNatsEnv);

/** The monitor's configuration, parsed once at start-up. */
export interface MonitorConfig {
  readonly natsServers: string[];
  /** NATS credentials and TLS (secrets: never logged). */
  readonly natsSecurity: NatsConnectionConfig['security'];
  readonly mlflow: MlflowClientOptions;
  readonly instance: string;
  readonly host: string;
  readonly port: number;
  readonly window: { readonly rows: number; readonly ms: number; readonly minRows: number };
  readonly drift: DriftRules;
  readonly join: { readonly horizonMs: number; readonly maxRows: number };
  readonly performance: PerformanceRules;
  readonly mlflowRuns: boolean;
  readonly logLevel: string;
}

/** Reads NATS_URL, MLflow's own MLFLOW_TRACKING_* variables and the MONITOR_* ones; throws ConfigError on problems. */
export function loadConfig(env: Record<string, string | undefined>): MonitorConfig {
  const p = parseConfig('monitor', configSchema, env);
  const nats = natsConnection(p);
  return Object.freeze({
    natsServers: nats.servers,
    natsSecurity: nats.security,
    mlflow: mlflowOptionsFromEnv({ ...env, MLFLOW_TRACKING_URI: p.MLFLOW_TRACKING_URI }),
    instance: p.MONITOR_INSTANCE,
    host: p.MONITOR_HOST,
    port: p.MONITOR_PORT,
    window: { rows: p.MONITOR_WINDOW_ROWS, ms: p.MONITOR_WINDOW_SECONDS * 1000, minRows: p.MONITOR_MIN_WINDOW_ROWS },
    drift: {
      method: p.MONITOR_DRIFT_METHOD,
      alpha: p.MONITOR_DRIFT_ALPHA,
      bonferroni: p.MONITOR_DRIFT_BONFERRONI,
      ks_max_reference_rows: p.MONITOR_DRIFT_KS_MAX_REFERENCE_ROWS,
      wasserstein_threshold: p.MONITOR_DRIFT_WASSERSTEIN_THRESHOLD,
      psi_threshold: p.MONITOR_DRIFT_PSI_THRESHOLD,
      js_threshold: p.MONITOR_DRIFT_JS_THRESHOLD,
      drift_share: p.MONITOR_DRIFT_SHARE,
      psi_epsilon: 0.0001,
    },
    join: { horizonMs: p.MONITOR_HORIZON_SECONDS * 1000, maxRows: p.MONITOR_JOIN_MAX_ROWS },
    performance: {
      metric: p.MONITOR_PERFORMANCE_METRIC,
      threshold: p.MONITOR_PERFORMANCE_THRESHOLD,
      minLabels: p.MONITOR_PERFORMANCE_MIN_LABELS,
      windowMs: p.MONITOR_PERFORMANCE_WINDOW_SECONDS * 1000,
    },
    mlflowRuns: p.MONITOR_MLFLOW_RUNS,
    logLevel: p.LOG_LEVEL,
  });
}

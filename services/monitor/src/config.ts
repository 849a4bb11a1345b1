import { resolve } from 'node:path';
import { type GateSpec, RETRAIN_DATA_MODES, SELECTION_METRICS, SIGNIFICANCE_TESTS } from '@mlops/contracts';
import { type MlflowClientOptions, mlflowEnvProblems, mlflowOptionsFromEnv } from '@mlops/mlflow';
import {
  checkNatsEnv,
  flagSchema,
  hostSchema,
  logLevelSchema,
  type NatsConnectionConfig,
  natsConnection,
  natsEnvShape,
  parseConfig,
} from '@mlops/service-kit';
import { z } from 'zod';
import type { DriftRules } from './domain/drift-report.js';
import type { PerformanceRules } from './domain/live-performance.js';
import type { RetrainRules } from './domain/retrain-policy.js';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const fraction = (fallback: number) => z.coerce.number().gt(0).lt(1).default(fallback);

/**
 * MONITOR keeps this much by default: about 32,000 windows of 20 features (~8 KB each). nats-server reserves a
 * stream's size limit against its storage, so it is kept small: MLflow holds the whole history.
 */
const MONITOR_STREAM_DEFAULT_MAX_BYTES = 256 * 1024 ** 2;

/** The longest time window: its timer, and the PREDICTIONS consumer's ack wait (twice it) kept alive by a timer. */
const MAX_WINDOW_SECONDS = 1_000_000;

/** MLflow's address when MLFLOW_TRACKING_URI is unset. */
const DEFAULT_TRACKING_URI = 'http://127.0.0.1:5000';

/** Every environment variable the monitor reads, with its default and meaning (docs are generated from this). */
export const configSchema = z
  .object({
    ...natsEnvShape,
    MLFLOW_TRACKING_URI: z.string().url().default(DEFAULT_TRACKING_URI).describe('MLflow tracking server URL'),
    MONITOR_INSTANCE: z
      .string()
      .min(1)
      .default('monitor')
      .describe('Instance name: names the NATS connection and the CloudEvents source (mlops/<instance>)'),
    MONITOR_HOST: hostSchema('127.0.0.1').describe('Interface of GET /health, /ready and /metrics'),
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
      .max(
        MAX_WINDOW_SECONDS,
        `must be at most ${MAX_WINDOW_SECONDS} (about 11.6 days): the window's timer and the consumer's ack wait hold it`,
      )
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
    MONITOR_DRIFT_BONFERRONI: flagSchema(true).describe(
      'Divide the significance level of each feature test by the number of features compared in the window (the prediction column keeps the uncorrected level)',
    ),
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
    MONITOR_RETRAIN: flagSchema(true).describe(
      'Retrain the served version on its own when the policy below says so (`mlops retrain` works either way)',
    ),
    MONITOR_RETRAIN_DRIFT_WINDOWS: z.coerce
      .number({ message: 'must be a whole number of windows' })
      .int('must be a whole number of windows')
      .min(1, 'must be at least 1: dataset drift in this many consecutive windows triggers a retrain')
      .default(3)
      .describe('Dataset drift in this many consecutive windows triggers a retrain (K)'),
    MONITOR_RETRAIN_MIN_LABELS: z.coerce
      .number({ message: 'must be a whole number of rows' })
      .int('must be a whole number of rows')
      .min(1, 'must be at least 1: a retrain needs new labelled rows to learn from')
      .default(500)
      .describe(
        'An automatic retrain waits for this many labelled rows among those it would learn from (predicted since the drift began, or in the performance window) that are newer than the last retrain (M)',
      ),
    MONITOR_RETRAIN_COOLDOWN_SECONDS: z.coerce
      .number({ message: 'must be a number of seconds' })
      .min(0, 'must not be negative: it is the time between two automatic retrains')
      .default(3600)
      .describe('Seconds after a retrain was requested before the next automatic one (a fraction for tests)'),
    MONITOR_RETRAIN_LEASE_SECONDS: z.coerce
      .number({ message: 'must be a number of seconds' })
      .gt(0, 'must be more than 0: the single-flight lease must outlive a tuning')
      .max(
        3600,
        'must be at most 3600: a lease resumed after a restart re-sends its tune request, which JetStream de-duplicates for an hour',
      )
      .default(1800)
      .describe(
        'The single-flight lease of a retrain ends after this long even if its outcome never comes (a monitor that died mid-retrain cannot block retraining for longer)',
      ),
    MONITOR_RETRAIN_GATE_SIGNIFICANCE: z
      .enum(SIGNIFICANCE_TESTS)
      .default('bootstrap')
      .describe(
        "The gate's significance test for a retrain's challenger (live labels can be noisy): bootstrap, mcnemar or none",
      ),
    MONITOR_RETRAIN_GATE_ALPHA: fraction(0.05).describe("The gate's significance level for a retrain's challenger"),
    MONITOR_RETRAIN_DATA: z
      .enum(RETRAIN_DATA_MODES)
      .default('recent')
      .describe(
        "What a retrain trains on: recent (the labelled live rows) or recent+original (plus the replaced version's own data set, on the training side only; the gate still judges on recent rows)",
      ),
    MONITOR_RETRAIN_MAX_ROWS: positiveInt(100_000).describe(
      'The newest this many labelled rows make a retrain data set',
    ),
    MONITOR_RETRAIN_DATA_DIR: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The trainer's data directory: retrain data sets are written to its retrain/ folder (default: TRAINER_DATA_DIR when set, else data/datasets)",
      ),
    TRAINER_DATA_DIR: z.string().min(1).optional().describe('Read only as the default of MONITOR_RETRAIN_DATA_DIR'),
    MONITOR_STREAM_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024 * 1024)
      .default(MONITOR_STREAM_DEFAULT_MAX_BYTES)
      .describe(
        'MONITOR stream (windows, drift and performance events): past this size the oldest are deleted; the newest window, where a restart resumes, always stays (set when the monitor starts)',
      ),
    MONITOR_MLFLOW_RUNS: flagSchema(true).describe('Log each window as a step of a "monitoring v<N>" run in MLflow'),
    LOG_LEVEL: logLevelSchema.describe('pino log level'),
  })
  .superRefine(checkNatsEnv);

/** The monitor's configuration, parsed once at start-up. */
export interface MonitorConfig {
  readonly natsServers: string[];
  /** Replicas of the streams and buckets it creates (NATS_STREAM_REPLICAS). */
  readonly natsStreamReplicas: number;
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
  readonly retrain: RetrainRules;
  /** The gate rules a retrain's tune request asks for. */
  readonly retrainGate: GateSpec;
  readonly retrainData: (typeof RETRAIN_DATA_MODES)[number];
  /** Absolute path of the trainer's data directory. */
  readonly retrainDataDir: string;
  readonly mlflowRuns: boolean;
  /** The MONITOR stream's size limit in bytes. */
  readonly streamMaxBytes: number;
  readonly logLevel: string;
}

/** Reads NATS_URL, MLflow's own MLFLOW_TRACKING_* variables and the MONITOR_* ones; throws ConfigError on problems. */
export function loadConfig(env: Record<string, string | undefined>, cwd = process.cwd()): MonitorConfig {
  const p = parseConfig('monitor', configSchema, env, (e) => mlflowEnvProblems(e, DEFAULT_TRACKING_URI));
  const nats = natsConnection(p);
  return Object.freeze({
    natsServers: nats.servers,
    natsStreamReplicas: nats.streamReplicas,
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
    retrain: {
      enabled: p.MONITOR_RETRAIN,
      driftWindows: p.MONITOR_RETRAIN_DRIFT_WINDOWS,
      minLabels: p.MONITOR_RETRAIN_MIN_LABELS,
      cooldownMs: p.MONITOR_RETRAIN_COOLDOWN_SECONDS * 1000,
      leaseMs: Math.round(p.MONITOR_RETRAIN_LEASE_SECONDS * 1000),
      maxRows: p.MONITOR_RETRAIN_MAX_ROWS,
    },
    retrainData: p.MONITOR_RETRAIN_DATA,
    retrainGate: { significance: p.MONITOR_RETRAIN_GATE_SIGNIFICANCE, alpha: p.MONITOR_RETRAIN_GATE_ALPHA },
    retrainDataDir: resolve(cwd, p.MONITOR_RETRAIN_DATA_DIR ?? p.TRAINER_DATA_DIR ?? 'data/datasets'),
    mlflowRuns: p.MONITOR_MLFLOW_RUNS,
    streamMaxBytes: p.MONITOR_STREAM_MAX_BYTES,
    logLevel: p.LOG_LEVEL,
  });
}

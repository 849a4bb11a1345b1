import { availableParallelism, hostname } from 'node:os';
import { PREDICTIONS_STREAM_DEFAULTS, RegisteredModelNameSchema } from '@mlops/contracts';
import { type MlflowClientOptions, mlflowEnvProblems, mlflowOptionsFromEnv } from '@mlops/mlflow';
import {
  checkNatsEnv,
  flagSchema,
  hostSchema,
  logLevelSchema,
  MAX_TIMER_MS,
  type NatsConnectionConfig,
  natsConnection,
  natsEnvShape,
  parseConfig,
  TIMER_MAX_MESSAGE,
} from '@mlops/service-kit';
import { z } from 'zod';
import { type AllowedHosts, allowedHostsOf, allowedHostsProblems } from './allowed-hosts.js';

/** Ends the durable consumer of worker N > 1 of a multi-process predictor, so no instance name may end so. */
const WORKER_SUFFIX = /-w\d+$/;

/** A bearer token shorter than this is refused: it could be guessed. */
const MIN_TOKEN_LENGTH = 16;

/** The longest PREDICTIONS max age taken (10 years): JetStream holds it in nanoseconds. */
const MAX_STREAM_AGE_S = 10 * 365 * 24 * 3600;

/** MLflow's address when MLFLOW_TRACKING_URI is unset. */
const DEFAULT_TRACKING_URI = 'http://127.0.0.1:5000';

/** Every environment variable the predictor reads, with its default and meaning (docs are generated from this). */
export const configSchema = z
  .object({
    ...natsEnvShape,
    MLFLOW_TRACKING_URI: z.string().url().default(DEFAULT_TRACKING_URI).describe('MLflow tracking server URL'),
    MODEL_NAME: RegisteredModelNameSchema.default('One_Customer_Classifier').describe(
      "Registered model to serve: any name MLflow's registry takes (`Churn (EU)`), no control characters",
    ),
    MODEL_ALIAS: z.string().min(1).default('champion').describe('Registry alias that names the version to serve'),
    PREDICTOR_HOST: hostSchema('127.0.0.1').describe('Interface the HTTP server binds (0.0.0.0 in containers)'),
    PREDICTOR_PORT: z.coerce.number().int().min(0).max(65535).default(8080).describe('HTTP port; 0 picks a free one'),
    PREDICTOR_INSTANCE: z
      .string()
      .regex(/^[\w-]+$/)
      .refine((name) => !WORKER_SUFFIX.test(name), {
        message: 'must not end in -w<digits>: worker N > 1 of an instance appends -w<N> to its durable consumer',
      })
      .optional()
      .describe(
        'Instance name: names its durable consumer of model events (predictor-<instance>), so each instance sees every model event; two instances must not share one. Unset: predictor-<host name>-<PREDICTOR_PORT> (predictor-<host name>-pid<pid> with port 0), distinct for each host and port. May not end in -w<digits> (worker N > 1 appends -w<N>)',
      ),
    PREDICTOR_WORKERS: z.coerce
      .number()
      .int()
      .min(1)
      .max(256)
      .optional()
      .describe(
        'Worker processes sharing the HTTP port, each loading the champion and following model events with its own consumer; unset: one per core (os.availableParallelism()); 1 serves from a single process',
      ),
    PREDICTOR_MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(8 * 1024 * 1024)
      .describe('Largest request body accepted; larger ones get 413'),
    PREDICTOR_MAX_ROWS: z.coerce
      .number()
      .int()
      .min(1)
      .default(10_000)
      .describe('Most rows scored in one request; more get 413'),
    PREDICTOR_REQUEST_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(100)
      .max(MAX_TIMER_MS, TIMER_MAX_MESSAGE)
      .default(30_000)
      .describe('Time a client has to send a whole request; slower ones get 408'),
    PREDICTOR_ALLOWED_HOSTS: z
      .string()
      .default('')
      .superRefine(checkAllowedHosts)
      .describe(
        'Comma-separated Host header values the HTTP server answers, against DNS rebinding (a web page whose name was made to point at this address); others get 403 on every route. Each a host name or IP address (IPv6 in brackets), alone or with `:*` for any port, or with `:port` for one (a Host without a port, as a browser or a proxy ending TLS sends it, matches `:80` and `:443`; a trailing dot is ignored); `*` alone allows every Host. Unset (or empty): `localhost`, `127.0.0.1`, `[::1]` and PREDICTOR_HOST, any port; when PREDICTOR_HOST is not loopback (0.0.0.0 in containers), also every IP address and every name without a dot (compose service names such as `predictor:8080`). A list replaces that default: keep `127.0.0.1` in it for health checks that call it. A request without Host (HTTP/1.0, as HAProxy checks) is answered: browsers always send one',
      ),
    PREDICTOR_AUTH_TOKENS: z
      .string()
      .default('')
      .superRefine(checkTokens)
      .describe(
        `Comma-separated bearer tokens for the prediction and model routes, each at least ${MIN_TOKEN_LENGTH} characters; empty (or unset) turns authentication off. A label sent to POST /feedback counts only for predictions scored with the same token (upgrade the monitor first: an older one refuses such labels)`,
      ),
    PREDICTOR_AUTH_HEALTH: flagSchema(false).describe('Whether health routes also need a token (when tokens are set)'),
    PREDICTOR_AUTH_METRICS: flagSchema(false).describe('Whether /metrics also needs a token (when tokens are set)'),
    PREDICTOR_MODEL_POLL_MS: z.coerce
      .number()
      .int()
      .min(1000)
      .max(MAX_TIMER_MS, TIMER_MAX_MESSAGE)
      .default(30_000)
      .describe('Safety net besides model.registered events: how often the alias is re-read from MLflow'),
    PREDICTOR_LOG_SAMPLE: z.coerce
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe(
        'Share of scoring requests written to the prediction log (prediction.logged); 0 turns the log off. Only logged predictions take labels (POST /feedback answers 404 for one not sampled) and count in drift and live performance',
      ),
    PREDICTOR_LOG_BUFFER_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(64 * 1024 * 1024)
      .describe(
        'Memory the prediction log may hold while it waits for NATS (the requests’ features and answers); a request that would pass it is not logged (counted as a buffer_full drop). Per worker process (PREDICTOR_WORKERS)',
      ),
    PREDICTOR_LOG_MAX_IN_FLIGHT: z.coerce
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(16)
      .describe('Prediction log messages being published at once (awaiting their JetStream ack), per worker process'),
    PREDICTOR_LOG_LINGER_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(50)
      .describe(
        'How long the prediction log lets requests gather before publishing, so they share a message (0: at once); a full message goes at once',
      ),
    PREDICTOR_LOG_FLUSH_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(MAX_TIMER_MS, TIMER_MAX_MESSAGE)
      .default(5_000)
      .describe('On shutdown, how long the prediction log may take to publish what it holds; the rest is dropped'),
    PREDICTOR_LOG_MAX_AGE_S: z.coerce
      .number()
      .int()
      .min(60)
      .max(MAX_STREAM_AGE_S, `must be at most ${MAX_STREAM_AGE_S} (10 years)`)
      .default(PREDICTIONS_STREAM_DEFAULTS.maxAgeMs / 1000)
      .describe('PREDICTIONS stream: messages older than this are deleted (set when the predictor starts)'),
    PREDICTOR_LOG_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024 * 1024)
      .default(PREDICTIONS_STREAM_DEFAULTS.maxBytes)
      .describe('PREDICTIONS stream: past this size the oldest messages are deleted (set when the predictor starts)'),
    PREDICTOR_FEEDBACK_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(100)
      .max(MAX_TIMER_MS, TIMER_MAX_MESSAGE)
      .default(5_000)
      .describe('POST /feedback: how long to wait for the monitor’s answer on feedback.received (then 504)'),
    LOG_LEVEL: logLevelSchema.describe('pino log level'),
  })
  .superRefine(checkNatsEnv)
  .superRefine(checkProtectedRoutes);

/** Each comma-separated token is non-empty and long enough: a stray comma must not turn authentication off unseen. */
function checkTokens(value: string, ctx: z.RefinementCtx): void {
  if (value === '') return;
  const tokens = value.split(',').map((t) => t.trim());
  if (tokens.some((t) => t === '')) {
    ctx.addIssue({
      code: 'custom',
      message:
        'holds an empty token (a stray comma or spaces): list tokens separated by single commas, or leave it empty to turn authentication off',
    });
  } else if (tokens.some((t) => t.length < MIN_TOKEN_LENGTH)) {
    ctx.addIssue({
      code: 'custom',
      message: `each token must be at least ${MIN_TOKEN_LENGTH} characters (one is shorter)`,
    });
  }
}

/** Each entry of PREDICTOR_ALLOWED_HOSTS is a host, with its port or `:*`, or `*`: a bad one is refused, not ignored. */
function checkAllowedHosts(value: string, ctx: z.RefinementCtx): void {
  for (const message of allowedHostsProblems(value)) ctx.addIssue({ code: 'custom', message });
}

/** PREDICTOR_AUTH_HEALTH and PREDICTOR_AUTH_METRICS protect nothing without tokens: refused rather than ignored. */
function checkProtectedRoutes(
  env: { PREDICTOR_AUTH_TOKENS: string; PREDICTOR_AUTH_HEALTH: boolean; PREDICTOR_AUTH_METRICS: boolean },
  ctx: z.RefinementCtx,
): void {
  if (env.PREDICTOR_AUTH_TOKENS !== '') return;
  for (const name of ['PREDICTOR_AUTH_HEALTH', 'PREDICTOR_AUTH_METRICS'] as const) {
    if (env[name])
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'is true but PREDICTOR_AUTH_TOKENS is empty: set tokens, or leave it false',
      });
  }
}

/**
 * The instance name when PREDICTOR_INSTANCE is unset: unique for each host and port (two instances cannot listen on
 * one), and stable across restarts, so an instance keeps its durable consumer; with port 0, the process id instead.
 */
export function defaultInstance(host: string, port: number, pid: number): string {
  const name = host.replace(/[^\w-]/g, '-') || 'localhost';
  return `predictor-${name}-${port === 0 ? `pid${pid}` : port}`;
}

/** Access control for the HTTP routes; tokens are secrets and never logged. */
export interface AuthConfig {
  readonly tokens: readonly string[];
  readonly protectHealth: boolean;
  readonly protectMetrics: boolean;
}

/** The prediction log: sampling, the in-memory buffer, the publisher and the PREDICTIONS stream's limits. */
export interface PredictionLogConfig {
  /** 0 (off) to 1 (every request). */
  readonly sampleRate: number;
  readonly bufferBytes: number;
  readonly maxInFlight: number;
  /** ms the publisher waits for more requests before sending. */
  readonly lingerMs: number;
  readonly flushTimeoutMs: number;
  readonly streamMaxAgeMs: number;
  readonly streamMaxBytes: number;
}

/** The predictor's configuration, parsed once at start-up. */
export interface PredictorConfig {
  readonly natsServers: string[];
  /** Replicas of the streams and buckets it creates (NATS_STREAM_REPLICAS). */
  readonly natsStreamReplicas: number;
  /** NATS credentials and TLS (secrets: never logged). */
  readonly natsSecurity: NatsConnectionConfig['security'];
  readonly mlflow: MlflowClientOptions;
  readonly modelName: string;
  readonly modelAlias: string;
  readonly host: string;
  readonly port: number;
  /** The Host header values answered (PREDICTOR_ALLOWED_HOSTS, or the default for PREDICTOR_HOST). */
  readonly allowedHosts: AllowedHosts;
  /** PREDICTOR_INSTANCE, or {@link defaultInstance}: names the durable consumer of model events. */
  readonly instance: string;
  /** Worker processes sharing the port (1: the service runs in this process alone). */
  readonly workers: number;
  readonly maxBodyBytes: number;
  readonly maxRows: number;
  readonly requestTimeoutMs: number;
  readonly auth: AuthConfig;
  readonly pollIntervalMs: number;
  readonly predictionLog: PredictionLogConfig;
  readonly feedbackTimeoutMs: number;
  readonly logLevel: string;
}

/** Reads NATS_URL, MLflow's own MLFLOW_TRACKING_* variables, MODEL_* and PREDICTOR_*; throws ConfigError on problems. */
export function loadConfig(env: Record<string, string | undefined>): PredictorConfig {
  const parsed = parseConfig('predictor', configSchema, env, (e) => mlflowEnvProblems(e, DEFAULT_TRACKING_URI));
  const nats = natsConnection(parsed);
  return Object.freeze({
    natsServers: nats.servers,
    natsStreamReplicas: nats.streamReplicas,
    natsSecurity: nats.security,
    mlflow: mlflowOptionsFromEnv({ ...env, MLFLOW_TRACKING_URI: parsed.MLFLOW_TRACKING_URI }),
    modelName: parsed.MODEL_NAME,
    modelAlias: parsed.MODEL_ALIAS,
    host: parsed.PREDICTOR_HOST,
    port: parsed.PREDICTOR_PORT,
    allowedHosts: Object.freeze(allowedHostsOf(parsed.PREDICTOR_ALLOWED_HOSTS, parsed.PREDICTOR_HOST)),
    instance: parsed.PREDICTOR_INSTANCE ?? defaultInstance(hostname(), parsed.PREDICTOR_PORT, process.pid),
    workers: parsed.PREDICTOR_WORKERS ?? availableParallelism(),
    maxBodyBytes: parsed.PREDICTOR_MAX_BODY_BYTES,
    maxRows: parsed.PREDICTOR_MAX_ROWS,
    requestTimeoutMs: parsed.PREDICTOR_REQUEST_TIMEOUT_MS,
    auth: Object.freeze({
      tokens: parsed.PREDICTOR_AUTH_TOKENS.split(',')
        .map((t) => t.trim())
        .filter((t) => t !== ''),
      protectHealth: parsed.PREDICTOR_AUTH_HEALTH,
      protectMetrics: parsed.PREDICTOR_AUTH_METRICS,
    }),
    pollIntervalMs: parsed.PREDICTOR_MODEL_POLL_MS,
    predictionLog: Object.freeze({
      sampleRate: parsed.PREDICTOR_LOG_SAMPLE,
      bufferBytes: parsed.PREDICTOR_LOG_BUFFER_BYTES,
      maxInFlight: parsed.PREDICTOR_LOG_MAX_IN_FLIGHT,
      lingerMs: parsed.PREDICTOR_LOG_LINGER_MS,
      flushTimeoutMs: parsed.PREDICTOR_LOG_FLUSH_TIMEOUT_MS,
      streamMaxAgeMs: parsed.PREDICTOR_LOG_MAX_AGE_S * 1000,
      streamMaxBytes: parsed.PREDICTOR_LOG_MAX_BYTES,
    }),
    feedbackTimeoutMs: parsed.PREDICTOR_FEEDBACK_TIMEOUT_MS,
    logLevel: parsed.LOG_LEVEL,
  });
}

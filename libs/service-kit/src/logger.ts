import { type DestinationStream, type Logger, pino } from 'pino';

/** The logger every service and library in a process shares (pino: JSON lines on stdout). */
export type { Logger } from 'pino';

/** Paths whose values never reach a log line, wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  'password',
  'token',
  'authorization',
  '*.password',
  '*.token',
  '*.authorization',
  '*.headers.authorization',
  'config.mlflow.password',
  'config.mlflow.token',
  'pass',
  '*.pass',
  'security.password',
  'security.token',
  '*.security.password',
  '*.security.token',
  'natsSecurity.password',
  'natsSecurity.token',
  '*.natsSecurity.password',
  '*.natsSecurity.token',
  'NATS_PASSWORD',
  'NATS_TOKEN',
  'MLFLOW_TRACKING_PASSWORD',
  'MLFLOW_TRACKING_TOKEN',
  'PREDICTOR_AUTH_TOKENS',
  '*.NATS_PASSWORD',
  '*.NATS_TOKEN',
  '*.MLFLOW_TRACKING_PASSWORD',
  '*.MLFLOW_TRACKING_TOKEN',
  '*.PREDICTOR_AUTH_TOKENS',
  'auth.tokens',
  '*.auth.tokens',
];

/** Creates a service's root logger; children add `module`, `tuning_id`, `trial_id` and so on. */
export function createLogger(options: { service: string; level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

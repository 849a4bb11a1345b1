/**
 * `@mlops/service-kit`: the root logger, config parsing, graceful lifecycle and per-key ordering shared by every
 * service process.
 */
export {
  ConfigError,
  flagSchema,
  hostSchema,
  logLevelSchema,
  MAX_TIMER_MS,
  millisSchema,
  parseConfig,
  portSchema,
  TIMER_MAX_MESSAGE,
} from './config.js';
export { isDecimalNumber } from './env-numbers.js';
export type { HealthServer } from './health.js';
export { startHealthServer } from './health.js';
export { KeyedQueue } from './keyed-queue.js';
export type { RunOptions, Service } from './lifecycle.js';
export { runUntilSignalled } from './lifecycle.js';
export type { Logger } from './logger.js';
export { createLogger, REDACTED_PATHS } from './logger.js';
export type { NatsConnectionConfig } from './nats-config.js';
export { checkNatsEnv, natsConnection, natsEnvProblems, natsEnvShape } from './nats-config.js';
export type { UnknownVariable } from './unknown-variables.js';
export { unknownVariables, warnUnknownVariables } from './unknown-variables.js';

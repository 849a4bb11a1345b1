import { resolve } from 'node:path';
import { logLevelSchema, parseConfig } from '@mlops/service-kit';
import { z } from 'zod';

const schema = z.object({
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222').describe('comma-separated NATS server URLs'),
  TRAINER_DATA_DIR: z.string().min(1).default('data/datasets').describe('CSV data sets are read from here only'),
  TRAINER_INSTANCE: z.string().min(1).default('trainer').describe('names the NATS connection and event source'),
  TRAINER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional().describe('GET /health and /ready'),
  TRAINER_HEALTH_HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: logLevelSchema,
});

/** The trainer's configuration, parsed once at start-up. */
export interface TrainerConfig {
  readonly natsServers: string[];
  readonly dataDir: string;
  readonly instance: string;
  readonly logLevel: string;
  readonly healthPort: number | undefined;
  readonly healthHost: string;
}

/** Reads the trainer's environment (NATS_URL, TRAINER_DATA_DIR, ...); throws ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined>, cwd: string): TrainerConfig {
  const parsed = parseConfig('trainer', schema, env);
  return Object.freeze({
    natsServers: parsed.NATS_URL.split(',').map((s) => s.trim()),
    dataDir: resolve(cwd, parsed.TRAINER_DATA_DIR),
    instance: parsed.TRAINER_INSTANCE,
    logLevel: parsed.LOG_LEVEL,
    healthPort: parsed.TRAINER_HEALTH_PORT,
    healthHost: parsed.TRAINER_HEALTH_HOST,
  });
}

import type { TrainerConfig } from '../../src/config.js';

/** A trainer configuration for in-process tests: queued trials on two threads, no health port, silent logs. */
export function testTrainerConfig(natsUrl: string, dataDir: string, instance: string): TrainerConfig {
  return {
    natsServers: [natsUrl],
    natsStreamReplicas: 1,
    natsSecurity: {},
    dataDir,
    instance,
    trials: 'queue',
    trialThreads: 2,
    trialTimeoutMs: 600_000,
    snapshotMaxBytes: 64 * 1024 ** 2,
    logLevel: 'silent',
    healthPort: undefined,
    healthHost: '127.0.0.1',
  };
}

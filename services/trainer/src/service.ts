import { TransientError } from '@mlops/bus';
import { createLogger, type HealthServer, type Logger, type Service, startHealthServer } from '@mlops/service-kit';
import { checkDatasetFile, csvFilesLoader, datasetFileSha256, readCsvHeader } from './adapters/csv-files.js';
import { trialThreads } from './adapters/trial-threads.js';
import type { TrainerConfig } from './config.js';
import type { DatasetSnapshots, Stoppable, TrainerBus } from './domain/ports.js';
import { startIntake } from './entry-points/intake.js';
import { startTrialConsumer } from './entry-points/trials.js';
import { startWorker, type TuningInHand } from './entry-points/worker.js';

/** Creates the trainer; nothing connects until start(). */
export function createTrainer(
  config: TrainerConfig,
  deps: { bus: TrainerBus; logger?: Logger },
): Service & { readonly ready: boolean } {
  const logger = deps.logger ?? createLogger({ service: 'trainer', level: config.logLevel });
  let running: Stoppable[] = [];
  const threads =
    config.trials === 'queue'
      ? trialThreads(config.trialThreads, config.dataDir, {
          timeLimitMs: config.trialTimeoutMs,
          readSnapshot: (digest) => deps.bus.datasetSnapshots.read(digest),
        })
      : undefined;
  let health: HealthServer | undefined;
  let ready = false;
  let stopped = false;
  return {
    get ready() {
      return ready;
    },
    async start() {
      await deps.bus.provision();
      running = [
        await startIntake(
          deps.bus,
          {
            check: (path) => checkDatasetFile(config.dataDir, path),
            header: (path, delimiter) => readCsvHeader(config.dataDir, path, delimiter),
            sha256: (path) => datasetFileSha256(config.dataDir, path),
          },
          logger.child({ module: 'intake' }),
        ),
        startWorker(
          deps.bus,
          (tuning) => csvFilesLoader(config.dataDir, threads === undefined ? {} : snapshotsOfWorker(deps.bus, tuning)),
          logger.child({ module: 'worker' }),
          config.trials,
        ),
        ...(threads === undefined
          ? []
          : [startTrialConsumer(deps.bus, threads, config.trialThreads, logger.child({ module: 'trials' }))]),
      ];
      if (config.healthPort !== undefined)
        health = await startHealthServer(config.healthPort, config.healthHost, () => ready);
      ready = true;
      logger.info(
        {
          data_dir: config.dataDir,
          trials: config.trials,
          threads: config.trialThreads,
          trial_timeout_ms: config.trialTimeoutMs,
          ...healthAddress(health, config.healthHost),
        },
        'trainer started',
      );
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      ready = false;
      // Every part stops taking work at once, then finishes what it holds: a slow tuning in hand must not let the
      // trial consumer take more trials meanwhile.
      await Promise.all(running.map((part) => part.stop()));
      await threads?.close();
      await health?.close();
      await deps.bus.close();
      logger.info('trainer stopped');
    },
  };
}

/** The health endpoint's address for the start-up log: its bound port (0 asks for a free one); none when unserved. */
function healthAddress(health: HealthServer | undefined, host: string) {
  return health === undefined ? {} : { health_host: host, health_port: health.port };
}

/**
 * The snapshots of the replica that opens a queued tuning: it keeps the CSV bytes the tuning pins, for trials whose
 * replica finds the file changed or missing, and reads them itself when a redelivered opening finds the file edited
 * since. A snapshot that cannot be kept is logged and the tuning goes on: its trials then read the file. A read that
 * may succeed later (TransientError) fails the opening, which the bus retries; on the last delivery, or for a lasting
 * cause, it is logged and the edited file is refused as it would be without snapshots (tune.rejected).
 */
function snapshotsOfWorker(bus: TrainerBus, tuning: TuningInHand): DatasetSnapshots {
  const { log, lastAttempt } = tuning;
  return {
    async keep(digest, bytes) {
      try {
        await bus.datasetSnapshots.keep(digest, bytes);
      } catch (err) {
        log.warn({ err, digest, bytes: bytes.length }, 'dataset snapshot not kept: trials read the file itself');
      }
    },
    async read(digest) {
      try {
        return await bus.datasetSnapshots.read(digest);
      } catch (err) {
        if (err instanceof TransientError && !lastAttempt) {
          log.warn({ err, digest }, 'dataset snapshot not read: the tuning is tried again');
          throw err;
        }
        log.warn(
          { err, digest, last_attempt: lastAttempt },
          'dataset snapshot not read: the file as it is now is checked against its pin',
        );
        return undefined;
      }
    },
  };
}

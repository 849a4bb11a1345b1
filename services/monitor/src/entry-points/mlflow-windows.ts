import type { Bus, ConsumerHandle } from '@mlops/bus';
import { CONSUMERS, STREAMS, SUBJECTS } from '@mlops/contracts';
import { holdWhileUnavailable, isNotFound, MlflowApiError, type MlflowUnavailableError } from '@mlops/mlflow';
import type { Logger } from '@mlops/service-kit';
import { NoTrainingRunError } from '../adapters/mlflow-monitoring-runs.js';
import type { MonitoringRuns } from '../domain/ports.js';

/**
 * Windows written at once: those of one version waiting together go in one `logBatch` (MLflow's cost is per call and
 * per metric), so a burst of windows costs MLflow few calls.
 */
const WINDOWS_IN_FLIGHT = 64;
const ACK_WAIT_MS = 30_000;
/** Failed writes of one window (MLflow away does not count: it is waited out) before it is dead-lettered. */
const MAX_DELIVER = 10;
/** While MLflow is away, every window in flight waits: one log line this often says so. */
const WAIT_LOG_EVERY_MS = 10_000;

/**
 * Provisions the consumer that writes `monitor.window` into MLflow (`on`: MONITOR_MLFLOW_RUNS), created to deliver
 * only windows stored from then on: windows stored before it (by a monitor that wrote them itself) are not written
 * twice. Off, it is removed with the windows it had left, so that turning runs on again does not write every window
 * since they were turned off.
 */
export async function provisionMlflowWindows(bus: Bus, on: boolean): Promise<void> {
  if (!on) {
    await bus.removeConsumer(STREAMS.monitor.name, CONSUMERS.monitorMlflowWindows);
    return;
  }
  await bus.ensureConsumer(STREAMS.monitor.name, {
    durable: CONSUMERS.monitorMlflowWindows,
    filterSubject: SUBJECTS.monitorWindow,
    deliverPolicy: 'new',
    ackWaitMs: ACK_WAIT_MS,
    maxDeliver: MAX_DELIVER,
  });
}

/**
 * Writes each stored window as a step of its version's monitoring run, acknowledged once MLflow has it: drift
 * detection never waits for MLflow, and a window closed while MLflow was away (or before a crash) is written when it
 * can be, in the same rows (writing it twice stores it once).
 */
export async function consumeMlflowWindows(bus: Bus, runs: MonitoringRuns, logger: Logger): Promise<ConsumerHandle> {
  let loggedAt = Number.NEGATIVE_INFINITY;
  const onWait = (err: MlflowUnavailableError, delayMs: number) => {
    if (Date.now() - loggedAt < WAIT_LOG_EVERY_MS) return;
    loggedAt = Date.now();
    logger.warn({ err, retry_in_ms: delayMs }, 'MLflow unavailable: windows wait for it, in the MONITOR stream');
  };
  return await bus.consumeEvents(
    CONSUMERS.monitorMlflowWindows,
    {
      [SUBJECTS.monitorWindow]: async (event, message) => {
        try {
          await holdWhileUnavailable(() => runs.logWindow(event.data), { signal: message.signal, onWait });
        } catch (err) {
          if (!refusedForGood(err)) throw err;
          const { model, version, window } = event.data;
          logger.warn({ err, model, version, window }, 'window not logged to MLflow: MLflow refused it');
        }
      },
    },
    { concurrency: WINDOWS_IN_FLIGHT, prefetch: WINDOWS_IN_FLIGHT, ackWaitMs: ACK_WAIT_MS, maxDeliver: MAX_DELIVER },
  );
}

/**
 * Whether MLflow refused the window in a way asking again cannot change: its version (or run) is not there, MLflow
 * calls the request invalid, or the version has no training run. The window is then skipped, as each redelivery
 * would be refused alike and fill the dead letters. Anything else (MLflow away, held above; a 5xx; a 401 after a
 * credential change; a proxy's page) is retried, and dead-lettered after 10 deliveries where an operator can replay it.
 */
function refusedForGood(err: unknown): boolean {
  if (err instanceof NoTrainingRunError) return true;
  return err instanceof MlflowApiError && (LASTING_REFUSALS.has(err.errorCode) || isNotFound(err));
}

/** MLflow's error codes for a request it will refuse however often it comes. */
const LASTING_REFUSALS = new Set(['INVALID_PARAMETER_VALUE', 'INVALID_STATE']);
